"""Meta's webhooks (Facebook Pages, Instagram): a delivery only prompts a fetch.

Meta signs each delivery with the app secret (X-Hub-Signature-256, an HMAC of
the raw body). A delivery whose signature does not verify is refused (403);
one that does is read for one thing only, which accounts it concerns, and
those accounts' sync is queued. Nothing in the body is stored or shown: the
sync fetches what is there from the platform itself, so a forged or replayed
body can at most cause a fetch, and a replay within the hour does not even
do that. Bodies over MAX_BODY_BYTES are refused before they are read.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import django_rq
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from engagement import jobs
from platforms.webhooks import verify_meta_signature
from practices.models import SocialAccount

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
REPLAY_SECONDS = 60 * 60
# Which of our accounts a delivery's entry ids name, by the delivery's object.
PLATFORM_OF = {"page": "facebook", "instagram": "instagram"}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _subscribe(request)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    header = request.headers.get("X-Hub-Signature-256", "")
    secrets = {settings.PLATFORM_APPS[p]["client_secret"] for p in ("facebook", "instagram")}
    if not any(verify_meta_signature(secret, body, header) for secret in secrets):
        logger.warning("meta webhook: a delivery whose signature does not verify was refused")
        return HttpResponse("Signature does not verify.", status=403, content_type="text/plain")
    if _seen_before(body):
        return HttpResponse(status=200)
    accounts = _accounts_named(body)
    queue = django_rq.get_queue(jobs.SYNC_QUEUE)
    for pk in accounts:
        queue.enqueue(
            jobs.sync_account, pk, job_id=f"sync-account-{pk}", result_ttl=0, failure_ttl=3600
        )
    return HttpResponse(status=200)


def _subscribe(request: HttpRequest) -> HttpResponse:
    """Meta's check when the subscription is made: our verify token, its challenge back."""
    expected = settings.META_WEBHOOK_VERIFY_TOKEN
    token = request.GET.get("hub.verify_token", "")
    if (
        request.GET.get("hub.mode") != "subscribe"
        or not expected
        or not constant_time_compare(token, expected)
    ):
        return HttpResponse("Not subscribed.", status=403, content_type="text/plain")
    return HttpResponse(request.GET.get("hub.challenge", "")[:200], content_type="text/plain")


def _seen_before(body: bytes) -> bool:
    """A delivery already taken within the hour (Meta retries; an attacker replays)."""
    key = "rounds:webhook:" + hashlib.sha256(body).hexdigest()
    connection = django_rq.get_connection(jobs.SYNC_QUEUE)
    return not connection.set(key, 1, nx=True, ex=REPLAY_SECONDS)


def _accounts_named(body: bytes) -> list[int]:
    try:
        delivery: Any = json.loads(body)
    except ValueError:
        return []
    if not isinstance(delivery, dict):
        return []
    platform = PLATFORM_OF.get(str(delivery.get("object", "")))
    entries = delivery.get("entry")
    if platform is None or not isinstance(entries, list):
        return []
    ids = {str(entry.get("id", "")) for entry in entries[:100] if isinstance(entry, dict)}
    return list(
        SocialAccount.objects.filter(
            platform=platform, external_id__in=ids - {""}, status=SocialAccount.Status.CONNECTED
        ).values_list("pk", flat=True)
    )
