"""The conversation fetched from the sandbox over HTTP (new, edited, deleted; cursors)
and replies sent through the reply engine: exactly once, read back after an unclear
answer, failures told."""

from __future__ import annotations

import pytest

from core.models import Notification
from engagement import replies, sending, sync
from engagement.models import InboxItem, Reply
from posts.models import Publication
from tests.publishing_support import scheduled_post, sent_mail, work

pytestmark = pytest.mark.django_db

SAFE = "Thank you for your feedback. Privacy rules keep us from discussing anyone's care here."


@pytest.fixture
def quiet(sandbox):
    """Only the conversation the test adds (the sandbox makes none of its own)."""
    sandbox.faults(conversation_rate=0)
    return sandbox


def published_on(world, platform: str, run_due) -> Publication:
    post = scheduled_post(world, [platform])
    run_due()
    publication = post.publications.get()
    assert publication.status == Publication.Status.PUBLISHED
    return publication


def test_comments_come_in_are_edited_and_deleted(world, quiet, run_due):
    publication = published_on(world, "facebook", run_due)
    account = world["accounts"]["facebook"]
    ids = quiet.add_conversation(
        "facebook", "comment", post_id=publication.platform_post_id, count=2, text="Congrats!"
    )
    [rude] = quiet.add_conversation(
        "facebook", "comment", post_id=publication.platform_post_id, text="Rude front desk."
    )
    done = sync.sync_account(account)
    assert len(done.new) == 3 and not done.errors
    items = {i.external_id: i for i in InboxItem.objects.filter(account=account)}
    assert set(items) == {*ids, rude}
    assert all(i.publication_id == publication.pk for i in items.values())
    assert items[rude].complaint and not items[ids[0]].complaint
    assert Notification.objects.filter(kind=Notification.Kind.BAD_REVIEW).count() == 1

    # A second round adds nothing; an edit and a deletion are brought up to date.
    quiet.edit_conversation("facebook", ids[0], text="Congrats to the whole team!")
    quiet.delete_conversation("facebook", ids[1])
    again = sync.sync_account(account)
    assert (len(again.new), again.edited, again.deleted) == (0, 1, 1)
    edited = InboxItem.objects.get(external_id=ids[0])
    assert edited.text == "Congrats to the whole team!" and edited.edited_at is not None
    assert InboxItem.objects.get(external_id=ids[1]).deleted_at is not None


def test_google_reviews_with_their_stars_and_a_deleted_one(world, quiet):
    account = world["accounts"]["google_business"]
    where = {"account": account.external_id}
    [bad] = quiet.add_conversation("google_business", "review", rating=1, text="Waited.", **where)
    [good] = quiet.add_conversation("google_business", "review", rating=5, text="Great.", **where)
    sync.sync_account(account)
    reviews = {i.external_id: i for i in InboxItem.objects.filter(kind="review")}
    assert (reviews[bad].rating, reviews[good].rating) == (1, 5)
    assert reviews[bad].complaint and not reviews[good].complaint
    quiet.delete_conversation("google_business", good)
    assert sync.sync_account(account).deleted == 1


def test_mentions_come_once(world, quiet):
    account = world["accounts"]["x"]
    where = {"account": account.external_id}
    quiet.add_conversation("x", "mention", count=2, text="Shout-out to @clinic!", **where)
    assert len(sync.sync_account(account).new) == 2
    assert len(sync.sync_account(account).new) == 0
    quiet.add_conversation("x", "mention", text="Another one", **where)
    assert len(sync.sync_account(account).new) == 1
    assert InboxItem.objects.filter(kind="mention").count() == 3


def send_due() -> None:
    from django.test.utils import CaptureQueriesContext  # noqa: F401 (keeps the import light)

    sending.dispatch_due()
    for reply in Reply.objects.filter(status__in=[Reply.Status.QUEUED, Reply.Status.UNKNOWN]):
        sending.attempt(reply.pk)


def review_item(world, quiet, text="Waited two hours.", rating=1) -> InboxItem:
    account = world["accounts"]["google_business"]
    quiet.add_conversation(
        "google_business", "review", rating=rating, text=text, account=account.external_id
    )
    sync.sync_account(account)
    return InboxItem.objects.get(kind="review")


def test_a_reply_goes_out_once_and_shows_under_the_review(world, quiet):
    item = review_item(world, quiet)
    replies.write(item, SAFE, by=world["strategist"])
    send_due()
    reply = Reply.objects.get()
    assert reply.status == Reply.Status.SENT and reply.platform_reply_id
    item.refresh_from_db()
    assert item.state == InboxItem.State.REPLIED and item.first_response_at is not None
    [there] = quiet.conversation("google_business", account=item.account.external_id, kind="review")
    assert there["reply"] and there["reply"]["text"] == SAFE
    # Sent again by a retried job: nothing happens.
    assert sending.attempt(reply.pk) == "skipped"


def test_an_unclear_answer_is_read_back_and_never_sent_twice(world, quiet, settings):
    item = review_item(world, quiet)
    replies.write(item, SAFE, by=world["strategist"])
    reply = Reply.objects.get()
    quiet.faults(platform="google_business", ambiguous_rate=1.0, ambiguous_mode="5xx")
    assert sending.attempt(reply.pk) == Reply.Status.UNKNOWN
    reply.refresh_from_db()
    assert reply.read_back_first
    quiet.faults(platform="google_business", ambiguous_rate=0.0)
    Reply.objects.filter(pk=reply.pk).update(next_attempt_at=None)
    assert sending.attempt(reply.pk) == "sent"
    reply.refresh_from_db()
    assert reply.status == Reply.Status.SENT
    [there] = quiet.conversation("google_business", account=item.account.external_id, kind="review")
    assert there["reply"]["text"] == SAFE


def test_a_refused_reply_fails_with_its_cause_and_the_strategist_is_told(world, quiet):
    account = world["accounts"]["x"]
    quiet.add_conversation("x", "mention", text="Hello @clinic", account=account.external_id)
    sync.sync_account(account)
    item = InboxItem.objects.get(kind="mention")
    replies.write(item, "Thank you!", by=world["strategist"])
    reply = Reply.objects.get()
    quiet.faults(platform="x", error_rates={"rejected": 1.0})
    assert sending.attempt(reply.pk) == "failed"
    reply.refresh_from_db()
    assert reply.status == Reply.Status.FAILED and reply.last_error.startswith("X: ")
    told = [m for m in sent_mail() if "was not sent" in m.subject]
    assert told and told[0].to == [world["strategist"].email]
    assert reply.last_error in told[0].body


def test_a_reply_to_a_review_deleted_meanwhile_is_not_sent(world, quiet):
    item = review_item(world, quiet)
    replies.write(item, SAFE, by=world["strategist"])
    quiet.delete_conversation("google_business", item.external_id)
    sync.sync_account(item.account)
    send_due()
    reply = Reply.objects.get()
    assert reply.status == Reply.Status.FAILED and "deleted" in reply.last_error


def test_a_worker_killed_mid_send_leaves_the_reply_to_be_read_back(world, quiet):
    from datetime import timedelta

    from django.utils import timezone

    item = review_item(world, quiet)
    replies.write(item, SAFE, by=world["strategist"])
    reply = Reply.objects.get()
    # Claimed, sent, and the worker died before recording it.
    claimed = sending.claim(reply.pk)
    assert claimed is not None
    from engagement.sync import engagement_client
    from practices.platform_clients import account_for

    engagement_client("google_business").reply(
        account_for(item.account), sending.as_conversation(item), SAFE
    )
    Reply.objects.filter(pk=reply.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    sending.dispatch_due()
    reply.refresh_from_db()
    assert reply.status == Reply.Status.UNKNOWN and reply.read_back_first
    assert sending.attempt(reply.pk) == "sent"
    [there] = quiet.conversation("google_business", account=item.account.external_id, kind="review")
    assert there["reply"]["text"] == SAFE


def test_the_sync_job_and_the_send_job_run_in_rq(
    world, quiet, redis_db, django_capture_on_commit_callbacks
):
    from engagement import jobs

    account = world["accounts"]["google_business"]
    quiet.add_conversation(
        "google_business", "review", rating=4, text="Good.", account=account.external_id
    )
    assert jobs.sync_account(account.pk) == 1
    item = InboxItem.objects.get()
    replies.write(item, SAFE, by=world["strategist"])
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.dispatch_replies() == 1
    work("publish")
    assert Reply.objects.get().status == Reply.Status.SENT


def test_hide_and_delete_a_comment_and_delete_our_reply_audited(world, quiet, run_due, client):
    from django.urls import reverse

    from core.models import AuditEvent

    publication = published_on(world, "facebook", run_due)
    account = world["accounts"]["facebook"]
    [first, second] = quiet.add_conversation(
        "facebook", "comment", post_id=publication.platform_post_id, count=2, text="Spam link"
    )
    sync.sync_account(account)
    one, two = (InboxItem.objects.get(external_id=i) for i in (first, second))
    client.force_login(world["strategist"])
    client.post(reverse("inbox_hide", args=[one.pk]), {"hidden": "1"})
    one.refresh_from_db()
    assert one.hidden
    [there] = [
        c
        for c in quiet.conversation("facebook", post_id=publication.platform_post_id)
        if c["id"] == first
    ]
    assert there["hidden"]
    client.post(reverse("inbox_delete", args=[two.pk]))
    two.refresh_from_db()
    assert two.deleted_at is not None
    assert second not in {
        c["id"] for c in quiet.conversation("facebook", post_id=publication.platform_post_id)
    }
    assert {"comment_hidden", "comment_deleted"} <= set(
        AuditEvent.objects.values_list("verb", flat=True)
    )

    replies.write(one, "Thank you!", by=world["strategist"])
    send_due()
    reply = Reply.objects.get()
    assert reply.status == Reply.Status.SENT
    client.post(reverse("reply_delete", args=[reply.pk]))
    reply.refresh_from_db()
    assert reply.status == Reply.Status.DELETED
    assert AuditEvent.objects.filter(verb="reply_deleted").exists()


def test_where_the_platform_cannot_hide_the_page_says_so(world, quiet, client):
    from django.urls import reverse

    account = world["accounts"]["x"]
    quiet.add_conversation("x", "mention", text="Hello", account=account.external_id)
    sync.sync_account(account)
    item = InboxItem.objects.get()
    client.force_login(world["strategist"])
    page = client.get(reverse("inbox_item", args=[item.pk])).content.decode()
    assert "Hide it" not in page and "Delete it" not in page
    response = client.post(reverse("inbox_delete", args=[item.pk]), follow=True)
    assert "X does not let the page delete this." in response.content.decode()
    item.refresh_from_db()
    assert item.deleted_at is None


def test_a_reply_is_enqueued_once_until_its_job_is_lost(world, quiet):
    from datetime import timedelta

    from django.utils import timezone

    item = review_item(world, quiet)
    replies.write(item, SAFE, by=world["strategist"])
    reply = Reply.objects.get()
    assert sending.dispatch_due() == [reply.pk]
    # The next dispatches, a few seconds on, leave it to the job already queued...
    assert sending.dispatch_due() == []
    # ...until that job is taken as lost (Redis flushed): then it goes again.
    later = timezone.now() + sending.LEASE + timedelta(seconds=1)
    assert sending.dispatch_due(now=later) == [reply.pk]


def test_a_read_back_that_fails_keeps_the_doubt_and_never_sends_blind(world, quiet):
    item = review_item(world, quiet)
    replies.write(item, SAFE, by=world["strategist"])
    reply = Reply.objects.get()
    quiet.faults(platform="google_business", ambiguous_rate=1.0, ambiguous_mode="5xx")
    assert sending.attempt(reply.pk) == Reply.Status.UNKNOWN
    quiet.faults(platform="google_business", ambiguous_rate=0.0, error_rates={"transient": 1.0})
    Reply.objects.filter(pk=reply.pk).update(next_attempt_at=None)
    assert sending.attempt(reply.pk) == Reply.Status.UNKNOWN
    reply.refresh_from_db()
    assert reply.read_back_first and "could not check yet" in reply.last_error
    quiet.clear_faults()
    quiet.faults(conversation_rate=0)
    Reply.objects.filter(pk=reply.pk).update(next_attempt_at=None)
    assert sending.attempt(reply.pk) == "sent"
    [there] = quiet.conversation("google_business", account=item.account.external_id, kind="review")
    assert there["reply"]["text"] == SAFE
