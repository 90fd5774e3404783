"""Sending replies: exactly once, retried, read back, failures told, as posts are.

The same rules as the publishing engine (posts.publishing.attempt), for one
reply at a time:

1. claim it (queued or unknown, due, not leased) with a lease, counting the
   attempt; a worker that dies leaves the lease to run out, and the sweep
   brings the reply back as unknown: it is read back before anything else;
2. read back first when an earlier try may have gone through: a reply found
   in the thread is settled as sent and never sent twice;
3. check, at this moment, that the text is the one written (and approved,
   where a doctor approves it) and that the item still stands;
4. send, and record exactly one outcome.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

import django_rq
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.models import AuditEvent
from engagement import alerts
from engagement.models import InboxItem, Reply
from engagement.sync import engagement_client
from platforms.base import Conversation, SentReply
from platforms.errors import PlatformError
from practices import alerts as account_alerts
from practices.models import SocialAccount
from practices.platform_clients import account_for

logger = logging.getLogger(__name__)

Status = Reply.Status
QUEUE = "publish"
LEASE = timedelta(seconds=120)


def dispatch_due(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Bring back replies whose worker died, then enqueue the due ones (cron)."""
    now = now or timezone.now()
    Reply.objects.filter(status=Status.SENDING, lease_until__lt=now).update(
        status=Status.UNKNOWN, read_back_first=True, next_attempt_at=now, lease_until=None
    )
    with transaction.atomic():
        due = list(
            Reply.objects.select_for_update(skip_locked=True)
            .filter(status__in=[Status.QUEUED, Status.UNKNOWN], next_attempt_at__lte=now)
            # Enqueued already and not yet taken: left alone until its lease runs
            # out (then its job was lost, and it is enqueued again).
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        Reply.objects.filter(pk__in=due).update(lease_until=now + LEASE)
    if due:
        transaction.on_commit(lambda: _enqueue(due))
    return due


def _enqueue(ids: list[int]) -> None:
    queue = django_rq.get_queue(QUEUE)
    for pk in ids:
        try:
            queue.enqueue(
                "engagement.jobs.send_reply",
                pk,
                job_id=f"reply-{pk}",
                result_ttl=0,
                failure_ttl=24 * 60 * 60,
                description=f"send reply {pk}",
            )
        except Exception:
            logger.exception("reply %s not enqueued; the next dispatch tries again", pk)


def claim(reply_id: int, *, now: datetime | None = None) -> Reply | None:
    """The reply, leased to this worker, or None if it is not due or someone has it."""
    now = now or timezone.now()
    with transaction.atomic():
        reply = (
            Reply.objects.select_for_update(skip_locked=True)
            .filter(pk=reply_id, status__in=[Status.QUEUED, Status.UNKNOWN])
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .first()
        )
        if reply is None:
            return None
        reply.status = Status.SENDING
        reply.attempts += 1
        reply.lease_until = now + LEASE
        reply.save(update_fields=["status", "attempts", "lease_until"])
    return Reply.objects.select_related("item__account", "item__practice").get(pk=reply.pk)


def attempt(reply_id: int) -> str:
    """One try: read back, check, send; returns the outcome's name."""
    reply = claim(reply_id)
    if reply is None:
        return "skipped"
    item = reply.item
    account = item.account
    client = engagement_client(account.platform)
    remote = account_for(account)
    conversation = as_conversation(item)
    if reply.read_back_first:
        try:
            found = client.find_reply(remote, conversation, reply.text)
        except PlatformError as error:
            # Could not look: the doubt stays (never send blind), look again later.
            return _later(
                reply,
                status=Status.UNKNOWN,
                message=f"{account.get_platform_display()}: could not check yet ({error.message}).",
                at=timezone.now() + timedelta(seconds=_delay(reply.attempts, error.retry_after)),
                read_back=True,
            )
        if found is not None:
            return _sent(reply, found, read_back=True)
        Reply.objects.filter(pk=reply.pk).update(read_back_first=False)
    try:
        problem = _problem(reply)
        if problem:
            return _failed(reply, problem)
        sent = client.reply(remote, conversation, reply.text)
    except PlatformError as error:
        return _platform_error(reply, error)
    return _sent(reply, sent, read_back=False)


def as_conversation(item: InboxItem) -> Conversation:
    """The item as the client knows it (what it replies to)."""
    return Conversation(
        kind=item.kind,
        external_id=item.external_id,
        text=item.text,
        author_name=item.author_name,
        author_id=item.author_id,
        created_at=item.posted_at,
        post_id=item.post_external_id or None,
        parent_id=item.parent_external_id or None,
        permalink=item.permalink,
        rating=item.rating,
        hidden=item.hidden,
    )


def _problem(reply: Reply) -> str:
    """Why this reply may not go out now; "" if it may."""
    if Reply.hash_of(reply.text) != reply.content_hash:
        return "Not sent: the reply was changed after it was checked. Write it again."
    if reply.approved_by_id is not None and not reply.approved_as_is():
        return "Not sent: the reply differs from the text the doctor approved."
    if reply.item.is_deleted:
        return f"Not sent: the {reply.item.get_kind_display().lower()} was deleted meanwhile."
    return ""


def _sent(reply: Reply, sent: SentReply, *, read_back: bool) -> str:
    now = timezone.now()
    with transaction.atomic():
        updated = Reply.objects.filter(pk=reply.pk, status=Status.SENDING).update(
            status=Status.SENT,
            platform_reply_id=sent.platform_id,
            permalink=sent.permalink[:1000],
            sent_at=now,
            lease_until=None,
            next_attempt_at=None,
            last_error="",
        )
        if not updated:
            logger.warning("reply %s: outcome came after the lease ran out", reply.pk)
            return "stale"
        item = InboxItem.objects.select_for_update().get(pk=reply.item_id)
        item.state = InboxItem.State.REPLIED
        item.first_response_at = item.first_response_at or now
        item.save(update_fields=["state", "first_response_at", "changed_at"])
        AuditEvent.record(
            "reply_sent",
            actor_label="publisher",
            practice=item.practice,
            obj=reply,
            detail={"item": item.pk, "attempt": reply.attempts, "read_back": read_back},
        )
    return "sent"


def _failed(reply: Reply, message: str) -> str:
    updated = Reply.objects.filter(pk=reply.pk, status=Status.SENDING).update(
        status=Status.FAILED, last_error=message[:1000], lease_until=None, next_attempt_at=None
    )
    if not updated:
        return "stale"
    reply.last_error = message
    AuditEvent.record(
        "reply_failed",
        actor_label="publisher",
        practice=reply.item.practice,
        obj=reply,
        detail={"item": reply.item_id, "attempt": reply.attempts},
    )
    alerts.reply_failed(reply)
    return "failed"


def _later(reply: Reply, *, status: str, message: str, at: datetime, read_back: bool) -> str:
    Reply.objects.filter(pk=reply.pk, status=Status.SENDING).update(
        status=status,
        last_error=message[:1000],
        next_attempt_at=at,
        lease_until=None,
        read_back_first=read_back,
    )
    return status


def _platform_error(reply: Reply, error: PlatformError) -> str:
    now = timezone.now()
    account = reply.item.account
    label = account.get_platform_display()
    message = f"{label}: {error.message}"
    out_of_time = reply.retry_until is not None and now >= reply.retry_until
    if error.kind == "ambiguous":
        # It may have gone through: look before sending again.
        return _later(
            reply,
            status=Status.UNKNOWN,
            message=f"{label} gave no clear answer; checking before trying again.",
            at=now + timedelta(seconds=_delay(1)),
            read_back=True,
        )
    if error.kind in ("transient", "throttled") and not out_of_time:
        if error.kind == "throttled":
            until = now + timedelta(seconds=float(error.retry_after or 60))
            SocialAccount.objects.filter(pk=account.pk).filter(
                Q(throttled_until__isnull=True) | Q(throttled_until__lt=until)
            ).update(throttled_until=until)
            return _later(reply, status=Status.QUEUED, message=message, at=until, read_back=False)
        at = now + timedelta(seconds=_delay(reply.attempts, error.retry_after))
        return _later(reply, status=Status.QUEUED, message=message, at=at, read_back=False)
    if error.kind == "reconnect":
        if account.mark_needs_reconnect(message):
            account_alerts.account_needs_reconnect(account)
        # Waits for the account: tried again an hour on, after reconnecting.
        return _later(
            reply,
            status=Status.QUEUED,
            message=message,
            at=now + timedelta(hours=1),
            read_back=False,
        )
    return _failed(reply, message)


def _delay(attempt: int, retry_after: float | None = None) -> float:
    base = settings.PUBLISH_RETRY_BASE_SECONDS
    cap = settings.PUBLISH_RETRY_CAP_SECONDS
    delay = random.uniform(0, min(cap, base * 2 ** max(attempt - 1, 0)))
    return max(delay, float(retry_after or 0))
