"""Each class of platform error: retried, held for the account, or failed with its words shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from core.models import AuditEvent
from posts.models import Post, Publication
from practices.models import SocialAccount
from tests.posts.publishing.support import publications
from tests.publishing_support import (
    make_due,
    out_of_time,
    scheduled_post,
    sent_mail,
)
from tests.signin_support import SignInClient

pytestmark = pytest.mark.django_db

Status = Publication.Status
Kind = Publication.ErrorKind


# -- errors, one class at a time --------------------------------------------------


def _unreachable(settings, role: str) -> None:
    """Point one platform host at a closed port: the request never leaves."""
    settings.PLATFORM_HOSTS = {**settings.PLATFORM_HOSTS, role: "http://127.0.0.1:9/" + role}


def test_transient_error_retries_later_then_succeeds(world, sandbox, run_due, settings):
    hosts = dict(settings.PLATFORM_HOSTS)
    _unreachable(settings, "graph")
    post = scheduled_post(world, ["facebook"])
    before = timezone.now()

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.PENDING
    assert publication.last_error_kind == Kind.TRANSIENT
    assert not publication.read_back_first  # nothing was sent: no need to look
    assert publication.attempts == 1
    # Full jitter under the first ceiling (30 s).
    assert before <= publication.next_attempt_at <= timezone.now() + timedelta(seconds=31)
    assert sandbox.ledger("facebook") == []
    # Not due yet: a dispatch now does not touch it.
    assert run_due() == []

    settings.PLATFORM_HOSTS = hosts
    make_due(post)
    run_due()

    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED
    assert publication.attempts == 2
    assert len(sandbox.ledger("facebook")) == 1
    verbs = list(
        AuditEvent.objects.filter(object_id=str(publication.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["publish_attempt", "published"]
    assert sent_mail() == []


def test_server_error_while_creating_is_read_back_then_published_once(world, sandbox, run_due):
    # A 5xx to a create request may hide a post that was made: never blind.
    sandbox.faults(platform="linkedin", error_rates={"transient": 1.0})
    post = scheduled_post(world, ["linkedin"])
    run_due()
    publication = post.publications.get()
    assert publication.status == Status.UNKNOWN
    assert publication.read_back_first

    sandbox.clear_faults()
    make_due(post)
    run_due()

    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED
    assert len(sandbox.ledger("linkedin")) == 1


def test_transient_errors_are_tried_until_the_deadline_then_alert_once(
    world, sandbox, run_due, settings
):
    _unreachable(settings, "linkedin_api")
    post = scheduled_post(world, ["linkedin"])
    # Ten failed tries within the window: still trying, nobody told.
    for _ in range(10):
        run_due()
        make_due(post)
    publication = post.publications.get()
    assert publication.status == Status.PENDING and publication.attempts == 10
    assert publication.retry_until is not None
    assert sent_mail() == []
    out_of_time(post)
    run_due()

    publication.refresh_from_db()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.EXHAUSTED
    assert "Gave up after trying for 6 hours" in publication.last_error_message
    assert "LinkedIn" in publication.last_error_message
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED
    assert len(sent_mail()) == 1
    assert sent_mail()[0].to == [world["strategist"].email]
    assert post.get_absolute_url() in sent_mail()[0].body


def test_throttled_waits_for_retry_after_and_holds_the_account(world, sandbox, run_due):
    sandbox.faults(platform="x", error_rates={"throttled": 1.0}, retry_after_s=600)
    post = scheduled_post(world, ["x"])
    run_due()

    publication = post.publications.get()
    assert publication.status == Status.PENDING
    assert publication.last_error_kind == Kind.THROTTLED
    assert publication.next_attempt_at >= timezone.now() + timedelta(seconds=590)
    account = SocialAccount.objects.get(pk=publication.account_id)
    assert account.throttled_until >= timezone.now() + timedelta(seconds=590)

    # Another post for the same account waits too, without spending an attempt.
    sandbox.clear_faults()
    other = scheduled_post(world, ["x"])
    assert run_due() == []
    assert other.publications.get().attempts == 0

    SocialAccount.objects.filter(pk=account.pk).update(throttled_until=None)
    make_due(post)
    run_due()
    assert {p.status for p in Publication.objects.filter(account=account)} == {Status.PUBLISHED}


def test_expired_token_holds_the_account_and_emails_the_strategist_once(
    world, sandbox, run_due, settings
):
    settings.SITE_URL = "https://rounds.example"
    sandbox.faults(platform="google_business", error_rates={"token_expired": 1.0})
    post = scheduled_post(world, ["google_business"])
    second = scheduled_post(world, ["google_business"])

    run_due()

    account = SocialAccount.objects.get(pk=world["accounts"]["google_business"].pk)
    assert account.status == SocialAccount.Status.NEEDS_RECONNECT
    assert account.status_detail
    for held in (post, second):
        publication = held.publications.get()
        assert publication.status == Status.PENDING
        assert publication.attempts == 0
        assert publication.last_error_kind == Kind.RECONNECT
    assert len(sent_mail()) == 1
    message = sent_mail()[0]
    assert message.to == [world["strategist"].email]
    assert "Reconnect" in message.subject
    assert "https://rounds.example/posts/" in message.body

    client = SignInClient()
    client.force_login(world["strategist"])
    dashboard = client.get("/dashboard/").content.decode()
    assert "needs reconnecting" in dashboard
    assert str(account) in dashboard

    # Held: nothing is dispatched while the account needs reconnecting.
    assert run_due() == []
    assert sandbox.ledger("google_business") == []

    # Reconnected: both go out, and no second e-mail was ever sent.
    sandbox.clear_faults()
    SocialAccount.objects.filter(pk=account.pk).update(status=SocialAccount.Status.CONNECTED)
    run_due()
    assert len(sandbox.ledger("google_business")) == 2
    assert len(sent_mail()) == 1


def test_alert_goes_to_the_author_when_the_practice_has_no_primary_strategist(
    world, sandbox, run_due
):
    world["strategist"].assignments.update(is_primary=False)
    sandbox.faults(platform="facebook", error_rates={"rejected": 1.0})
    scheduled_post(world, ["facebook"])
    run_due()
    assert [m.to for m in sent_mail()] == [[world["author"].email]]


def test_rejected_content_fails_with_the_platforms_words_on_the_post_page(
    world, sandbox, run_due, client
):
    sandbox.faults(platform="facebook", error_rates={"rejected": 1.0})
    post = scheduled_post(world, ["facebook", "linkedin"])
    run_due()

    published = publications(post)
    assert published["linkedin"].status == Status.PUBLISHED
    failed = published["facebook"]
    assert failed.status == Status.FAILED
    assert failed.last_error_kind == Kind.REJECTED
    assert failed.last_error_message.startswith("Facebook: ")
    assert sandbox.ledger("facebook") == []
    post.refresh_from_db()
    assert post.status == Post.Status.PARTIALLY_FAILED
    assert len(sent_mail()) == 1

    client.force_login(world["strategist"])
    page = client.get(post.get_absolute_url())
    assert page.status_code == 200
    assert escape(failed.last_error_message) in page.content.decode()
    assert "Retry now" in page.content.decode()
    dashboard = client.get("/dashboard/").content.decode()
    assert escape(failed.last_error_message) in dashboard


def test_retry_now_sends_a_failed_publication_again(world, sandbox, run_due, client):
    sandbox.faults(platform="x", error_rates={"rejected": 1.0})
    post = scheduled_post(world, ["x"])
    run_due()
    publication = post.publications.get()
    assert publication.status == Status.FAILED
    sandbox.clear_faults()

    client.force_login(world["strategist"])
    response = client.post(f"/publications/{publication.pk}/retry/")
    assert response.status_code == 302
    publication.refresh_from_db()
    assert publication.status == Status.PENDING
    assert publication.attempts == 0
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHING

    run_due()
    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert AuditEvent.objects.filter(verb="publish_retry_requested", actor=world["strategist"])


def test_retry_now_is_for_the_agency_only(world, sandbox, run_due, client, outsider):
    sandbox.faults(platform="x", error_rates={"rejected": 1.0})
    post = scheduled_post(world, ["x"])
    run_due()
    publication = post.publications.get()

    client.force_login(outsider)
    assert client.post(f"/publications/{publication.pk}/retry/").status_code == 404
    client.force_login(world["doctor"])
    assert client.post(f"/publications/{publication.pk}/retry/").status_code == 403
    client.force_login(world["strategist"])
    assert client.get(f"/publications/{publication.pk}/retry/").status_code == 405
    publication.refresh_from_db()
    assert publication.status == Status.FAILED
