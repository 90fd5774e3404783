"""Meta's webhook: a signed delivery only prompts a fetch of the accounts it names;
forged, replayed and oversized deliveries are refused or change nothing."""

from __future__ import annotations

import json

import django_rq
import pytest

from engagement import jobs
from engagement.models import InboxItem
from platforms.webhooks import sign_meta
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/webhooks/meta/"


@pytest.fixture
def queue(settings):
    settings.PLATFORM_APPS = {
        **settings.PLATFORM_APPS,
        "facebook": {"client_id": "app", "client_secret": "the-app-secret"},
    }
    settings.META_WEBHOOK_VERIFY_TOKEN = "subscribe-me"
    q = django_rq.get_queue(jobs.SYNC_QUEUE)
    q.empty()
    connection = django_rq.get_connection(jobs.SYNC_QUEUE)
    for key in connection.scan_iter("rounds:webhook:*"):
        connection.delete(key)
    yield q
    q.empty()


def delivery(page_id: str, text: str = "Hi") -> bytes:
    return json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": page_id,
                    "time": 1765000000,
                    "changes": [{"field": "feed", "value": {"item": "comment", "message": text}}],
                }
            ],
        }
    ).encode()


def post(client, body: bytes, signature: str | None):
    headers = {} if signature is None else {"HTTP_X_HUB_SIGNATURE_256": signature}
    return client.post(URL, body, content_type="application/json", **headers)


def test_a_signed_delivery_prompts_a_fetch_of_that_page_only(
    client, practice, queue, django_capture_on_commit_callbacks
):
    page = factories.make_account(practice, "facebook", external_id="1000777")
    factories.make_account(practice, "facebook", external_id="1000888")
    body = delivery("1000777", "<script>never shown</script>")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, body, sign_meta("the-app-secret", body))
    assert response.status_code == 200
    assert [job.args for job in queue.get_jobs()] == [(page.pk,)]
    # The body itself is stored nowhere: the fetch brings what the platform has.
    assert not InboxItem.objects.exists()


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=" + "0" * 64, "sha1=abc", "not-a-signature"],
    ids=["missing", "empty", "forged", "sha1", "garbled"],
)
def test_forged_deliveries_are_refused(
    client, practice, queue, signature, django_capture_on_commit_callbacks
):
    factories.make_account(practice, "facebook", external_id="1000777")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, delivery("1000777"), signature)
    assert response.status_code == 403
    assert queue.count == 0


def test_a_body_changed_after_signing_or_signed_with_another_secret_is_refused(
    client, practice, queue, django_capture_on_commit_callbacks
):
    factories.make_account(practice, "facebook", external_id="1000777")
    body = delivery("1000777")
    tampered = body.replace(b"Hi", b"Ho")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, tampered, sign_meta("the-app-secret", body)).status_code == 403
        assert post(client, body, sign_meta("another-secret", body)).status_code == 403
    assert queue.count == 0


def test_a_replayed_delivery_prompts_nothing_more(
    client, practice, queue, django_capture_on_commit_callbacks
):
    factories.make_account(practice, "facebook", external_id="1000777")
    body = delivery("1000777")
    signature = sign_meta("the-app-secret", body)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, body, signature).status_code == 200
    assert queue.count == 1
    queue.empty()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, body, signature).status_code == 200
    assert queue.count == 0


def test_an_oversized_delivery_is_refused_unread(client, practice, queue):
    factories.make_account(practice, "facebook", external_id="1000777")
    body = delivery("1000777", "x" * 300_000)
    response = post(client, body, sign_meta("the-app-secret", body))
    assert response.status_code == 413 and queue.count == 0


def test_the_subscription_check(client, queue):
    ok = client.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": "subscribe-me", "hub.challenge": "42"}
    )
    assert ok.status_code == 200 and ok.content == b"42"
    wrong = client.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "42"}
    )
    assert wrong.status_code == 403
