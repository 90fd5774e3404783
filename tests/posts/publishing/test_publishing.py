"""Publishing against the sandbox platforms over HTTP, with real Redis and real RQ workers."""

from __future__ import annotations

from datetime import timedelta

import django_rq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from core.models import AuditEvent
from platforms.base import PublishRequest
from posts import jobs
from posts.media import photos as media
from posts.models import IllegalTransition, Post, Publication
from posts.publishing import attempt as publishing
from posts.publishing import dispatch
from practices.models import PatientConsent, SocialAccount
from practices.platform_clients import account_for, client_for
from tests import factories
from tests import media_samples as samples
from tests.publishing_support import (
    TEXT_PLATFORMS,
    make_due,
    scheduled_post,
    sent_mail,
    work,
)
from tests.signin_support import SignInClient

pytestmark = pytest.mark.django_db

Status = Publication.Status
Kind = Publication.ErrorKind


def publications(post: Post) -> dict[str, Publication]:
    return {p.account.platform: p for p in post.publications.select_related("account")}


# -- the happy path -----------------------------------------------------------------


def test_due_post_is_published_once_on_every_platform(world, sandbox, run_due):
    post = scheduled_post(world, TEXT_PLATFORMS)
    later = scheduled_post(world, ["facebook"], at=timezone.now() + timedelta(hours=1))

    claimed = run_due()

    assert len(claimed) == 4
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    for platform, publication in publications(post).items():
        assert publication.status == Status.PUBLISHED, platform
        assert publication.platform_post_id
        assert publication.permalink.startswith(sandbox.url)
        assert publication.published_at is not None
        assert publication.attempts == 1
        ledger = sandbox.ledger(platform, publication.account.external_id)
        assert [entry["id"] for entry in ledger] == [publication.platform_post_id]
    assert AuditEvent.objects.filter(verb="published").count() == 4
    later.refresh_from_db()
    assert later.status == Post.Status.SCHEDULED
    assert later.publications.get().status == Status.PENDING


def test_audit_detail_names_ids_and_platform_but_never_the_caption(world, sandbox, run_due):
    post = scheduled_post(world, ["facebook"], caption="Maria's IVF journey, in her words.")
    run_due()
    event = AuditEvent.objects.get(verb="published")
    assert event.detail["publication"] == post.publications.get().pk
    assert event.detail["platform"] == "facebook"
    assert "Maria" not in str(event.detail)


def test_nothing_due_costs_one_query(world, sandbox, redis_db, django_assert_num_queries):
    scheduled_post(world, ["facebook"], at=timezone.now() + timedelta(hours=1))
    # savepoint, expired leases, due rows, savepoint release
    with django_assert_num_queries(4):
        assert dispatch.claim_due() == []


def test_dispatch_query_count_does_not_grow_with_the_batch(
    world, sandbox, redis_db, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    for _ in range(10):
        scheduled_post(world, TEXT_PLATFORMS)
    with django_assert_max_num_queries(8), django_capture_on_commit_callbacks(execute=True):
        claimed = dispatch.claim_due()
    assert len(claimed) == 40
    # Jobs of PUBLISH_JOB_SIZE (3) publications each, every one in exactly one.
    queue = django_rq.get_queue("publish")
    jobs = queue.get_jobs()
    assert len(jobs) == 14
    assert sorted(pk for job in jobs for pk in job.args[0]) == sorted(claimed)
    assert Publication.objects.filter(status=Status.QUEUED).count() == 40
    assert Post.objects.filter(status=Post.Status.PUBLISHING).count() == 10


def test_one_attempt_stays_within_a_fixed_number_of_queries(
    world, sandbox, redis_db, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    post = scheduled_post(world, ["linkedin"])
    with django_capture_on_commit_callbacks(execute=True):
        (pk,) = dispatch.claim_due()
    # claim (2, with the approved hash), consents, photos, the post's targets
    # (its content hash), outcome, audit, roll-up (4: anything still on its
    # way, lock the post, read the statuses, move): 11. Plus 2 only in this
    # test: roll-up's transaction is a savepoint (and its release) inside the
    # test's.
    with django_assert_max_num_queries(13):
        assert publishing.attempt(publication_id=pk) == "published"
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED


def test_a_roll_up_with_publications_still_on_their_way_is_one_query(
    world, sandbox, django_assert_num_queries
):
    post = scheduled_post(world, ["linkedin", "x"])
    dispatch.claim_due()
    with django_assert_num_queries(1):
        post.roll_up()
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHING


def test_a_job_attempts_every_publication_even_when_one_breaks(world, sandbox):
    first = scheduled_post(world, ["linkedin"])
    broken = scheduled_post(world, ["facebook"])
    last = scheduled_post(world, ["x"])
    ids = dispatch.claim_due()  # queued; the jobs are not pushed inside a test's transaction
    by_post = {p.post_id: p.pk for p in Publication.objects.filter(pk__in=ids)}
    # An account of a platform no client knows makes its attempt break off
    # with an error that is not a platform's answer.
    SocialAccount.objects.filter(pk=world["accounts"]["facebook"].pk).update(platform="myspace")
    with pytest.raises(LookupError):
        jobs.publish_publications([by_post[first.pk], by_post[broken.pk], by_post[last.pk]])
    statuses = dict(Publication.objects.filter(pk__in=ids).values_list("post_id", "status"))
    assert statuses == {
        first.pk: Status.PUBLISHED,
        broken.pk: Status.PUBLISHING,  # its lease brings it back
        last.pk: Status.PUBLISHED,
    }


def test_hot_queries_join_no_table_for_an_order_they_do_not_need(world, sandbox):
    # Roll-ups, claims and the approval check run at every attempt: a default
    # order that names another table would join it into each of them.
    post = scheduled_post(world, TEXT_PLATFORMS)
    statuses = Publication.objects.filter(post=post).values_list("status", flat=True)
    assert "JOIN" not in str(statuses.query)
    with CaptureQueriesContext(connection) as queries:
        post.content_hash()
    assert not [q["sql"] for q in queries.captured_queries if "practices_practice" in q["sql"]]


def test_the_post_page_lists_its_platforms_in_order(world, sandbox, client):
    post = scheduled_post(world, ["x", "linkedin", "google_business", "facebook"])
    client.force_login(world["strategist"])
    page = client.get(post.get_absolute_url()).content.decode()
    shown = sorted(
        ["facebook", "google_business", "linkedin", "x"],
        key=lambda platform: page.index(escape(str(world["accounts"][platform]))),
    )
    assert shown == ["facebook", "google_business", "linkedin", "x"]


def test_a_second_job_for_the_same_publication_does_nothing(world, sandbox, run_due):
    post = scheduled_post(world, ["x"])
    run_due()
    publication = post.publications.get()
    # A duplicate job (say, Redis redelivered it) finds the row settled.
    assert publishing.attempt(publication_id=publication.pk) == "skipped"
    assert len(sandbox.ledger("x")) == 1


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


def test_transient_errors_give_up_after_max_attempts_and_alert_once(
    world, sandbox, run_due, settings
):
    settings.PUBLISH_MAX_ATTEMPTS = 3
    _unreachable(settings, "linkedin_api")
    post = scheduled_post(world, ["linkedin"])
    for _ in range(3):
        run_due()
        make_due(post)

    publication = post.publications.get()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.EXHAUSTED
    assert "Gave up after 3 attempts" in publication.last_error_message
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


# -- a person's "cancel on this platform" ------------------------------------------


def test_a_post_held_for_a_disconnected_account_can_be_cancelled_there(
    world, sandbox, run_due, client
):
    # Google Business went out; LinkedIn's account was disconnected before
    # its turn: the post waits in publishing until someone acts.
    linkedin = world["accounts"]["linkedin"]
    SocialAccount.objects.filter(pk=linkedin.pk).update(status=SocialAccount.Status.DISCONNECTED)
    post = scheduled_post(world, ["google_business", "linkedin"])
    run_due()
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHING
    held = publications(post)["linkedin"]
    assert held.status == Status.PENDING

    client.force_login(world["strategist"])
    dashboard = client.get("/dashboard/").content.decode()
    assert "is disconnected but has posts waiting" in dashboard
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Cancel on this platform" in page
    response = client.post(f"/publications/{held.pk}/cancel/")
    assert response.status_code == 302

    held.refresh_from_db()
    assert held.status == Status.CANCELLED
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED  # what went out, went out
    event = AuditEvent.objects.get(verb="publication_cancelled")
    assert event.actor == world["strategist"]
    assert event.detail == {"publication": held.pk, "platform": "linkedin", "was": "pending"}
    assert "is disconnected but has posts waiting" not in client.get("/dashboard/").content.decode()
    # Reconnected later: nothing goes out for the cancelled one.
    SocialAccount.objects.filter(pk=linkedin.pk).update(status=SocialAccount.Status.CONNECTED)
    assert run_due() == []
    assert sandbox.ledger("linkedin") == []


def test_cancelling_every_publication_cancels_the_post(world, sandbox, run_due, client):
    sandbox.faults(platform="x", error_rates={"rejected": 1.0})
    post = scheduled_post(world, ["x"])
    run_due()
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED
    publication = post.publications.get()

    client.force_login(world["strategist"])
    client.post(f"/publications/{publication.pk}/cancel/")

    publication.refresh_from_db()
    assert publication.status == Status.CANCELLED
    post.refresh_from_db()
    assert post.status == Post.Status.CANCELLED
    # No longer a failure for anyone to look at.
    assert "failed on" not in client.get("/dashboard/").content.decode()


def test_a_publication_that_may_be_live_or_is_going_out_is_not_cancelled(
    world, sandbox, run_due, client
):
    post = scheduled_post(world, ["facebook", "x"])
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHING)
    maybe_live = publications(post)["facebook"]
    going_out = publications(post)["x"]
    Publication.objects.filter(pk=maybe_live.pk).update(status=Status.FAILED, read_back_first=True)
    Publication.objects.filter(pk=going_out.pk).update(status=Status.QUEUED)
    client.force_login(world["strategist"])

    page = client.get(post.get_absolute_url()).content.decode()
    assert "Cancel on this platform" not in page
    for publication in (maybe_live, going_out):
        response = client.post(f"/publications/{publication.pk}/cancel/", follow=True)
        assert response.status_code == 200
        assert "nothing changed" in response.content.decode()
    assert set(post.publications.values_list("status", flat=True)) == {
        Status.FAILED,
        Status.QUEUED,
    }
    assert not AuditEvent.objects.filter(verb="publication_cancelled").exists()


def test_before_it_goes_out_a_publication_is_not_cancelled_alone(world, sandbox, client):
    # A scheduled post: change its targets or cancel the whole post instead.
    post = scheduled_post(world, ["facebook"], at=timezone.now() + timedelta(hours=2))
    publication = post.publications.get()
    client.force_login(world["strategist"])
    response = client.post(f"/publications/{publication.pk}/cancel/", follow=True)
    assert response.status_code == 200
    assert "cancel the post" in response.content.decode()
    assert post.publications.get().status == Status.PENDING


def test_cancel_on_a_platform_is_for_the_agency_only(world, sandbox, run_due, client, outsider):
    sandbox.faults(platform="x", error_rates={"rejected": 1.0})
    post = scheduled_post(world, ["x"])
    run_due()
    publication = post.publications.get()
    url = f"/publications/{publication.pk}/cancel/"

    client.force_login(outsider)
    assert client.post(url).status_code == 404
    client.force_login(world["doctor"])
    assert client.post(url).status_code == 403
    client.force_login(world["strategist"])
    assert client.get(url).status_code == 405
    assert post.publications.get().status == Status.FAILED


def _publish_directly(platform_account, text: str) -> str:
    """A post created on the platform outside the engine (an earlier, lost attempt)."""
    client = client_for(platform_account.platform)
    return client.publish(account_for(platform_account), PublishRequest(text=text)).platform_id


# LinkedIn's duplicate error names the existing post; X's does not, so the
# publisher finds it by reading back. Either way it settles as published, once.
@pytest.mark.parametrize("platform", ["linkedin", "x"])
def test_duplicate_of_a_post_already_live_settles_it(world, sandbox, run_due, platform):
    caption = "Walk-in flu shots all week."
    existing = _publish_directly(world["accounts"][platform], caption)
    post = scheduled_post(world, [platform], caption=caption)

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.PUBLISHED
    assert publication.platform_post_id == existing
    assert len(sandbox.ledger(platform)) == 1


def test_duplicate_of_another_of_our_posts_fails_with_a_clear_message(world, sandbox, run_due):
    caption = "Happy holidays from all of us!"
    first = scheduled_post(world, ["x"], caption=caption)
    run_due()
    assert first.publications.get().status == Status.PUBLISHED
    second = scheduled_post(world, ["x"], caption=caption)

    run_due()

    publication = second.publications.get()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.DUPLICATE
    assert "Change the text" in publication.last_error_message
    assert len(sandbox.ledger("x")) == 1


@pytest.mark.parametrize("mode", ["drop", "5xx"])
def test_ambiguous_answer_reads_back_and_never_posts_twice(world, sandbox, run_due, mode):
    sandbox.faults(platform="facebook", ambiguous_rate=1.0, ambiguous_mode=mode)
    post = scheduled_post(world, ["facebook"])
    run_due()

    publication = post.publications.get()
    assert publication.status == Status.UNKNOWN
    assert publication.read_back_first
    assert publication.last_error_kind == Kind.AMBIGUOUS
    (entry,) = sandbox.ledger("facebook")

    # Even with the fault still on, the next attempt only reads back.
    make_due(post)
    run_due()

    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED
    assert publication.platform_post_id == entry["id"]
    assert not publication.read_back_first
    assert len(sandbox.ledger("facebook")) == 1
    event = AuditEvent.objects.filter(verb="published").get()
    assert event.detail["read_back"] is True


def _unknown_then_unreadable(world, sandbox, run_due, settings, platform, **fields):
    """A post whose create answer was lost, then whose read-backs kept failing: it
    fails while the post may be live."""
    settings.PUBLISH_MAX_ATTEMPTS = 2
    sandbox.faults(platform=platform, ambiguous_rate=1.0, ambiguous_mode="drop")
    post = scheduled_post(world, [platform], **fields)
    run_due()
    assert post.publications.get().status == Status.UNKNOWN
    sandbox.clear_faults()
    sandbox.faults(platform=platform, error_rates={"transient": 1.0})
    make_due(post)
    run_due()
    sandbox.clear_faults()
    return post


def test_a_failed_read_back_stays_unsure_and_retry_now_looks_before_it_posts(
    world, sandbox, run_due, settings, client
):
    # Google Business has no duplicate check: posting blind would post twice.
    post = _unknown_then_unreadable(world, sandbox, run_due, settings, "google_business")
    publication = post.publications.get()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.EXHAUSTED
    assert publication.read_back_first  # it may exist: still to be looked for
    (entry,) = sandbox.ledger("google_business")

    client.force_login(world["strategist"])
    page = client.get(post.get_absolute_url()).content.decode()
    assert "may already be on Google Business" in page
    assert client.post(f"/publications/{publication.pk}/retry/").status_code == 302
    publication.refresh_from_db()
    assert publication.status == Status.UNKNOWN
    assert publication.read_back_first
    assert publication.attempts == 0

    run_due()

    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED
    assert publication.platform_post_id == entry["id"]
    assert not publication.read_back_first
    assert len(sandbox.ledger("google_business")) == 1
    assert AuditEvent.objects.filter(verb="published").get().detail["read_back"] is True


def test_a_read_back_that_finds_nothing_settles_the_doubt(world, sandbox, run_due, settings):
    # Read back, nothing there, then a rejection: nothing is live, and a retry
    # later need not look first.
    post = scheduled_post(world, ["facebook"])
    post.publications.update(status=Status.UNKNOWN, read_back_first=True)
    sandbox.faults(platform="facebook", error_rates={"rejected": 1.0})

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.REJECTED
    assert not publication.read_back_first
    assert sandbox.ledger("facebook") == []


def test_unknown_with_nothing_on_the_platform_publishes_once(world, sandbox, run_due):
    post = scheduled_post(world, ["linkedin"])
    post.publications.update(status=Status.UNKNOWN, read_back_first=True)

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.PUBLISHED
    assert len(sandbox.ledger("linkedin")) == 1


# -- checks at the moment of publishing -------------------------------------------


def _patient_post(world, consent, platforms):
    return scheduled_post(
        world, platforms, features_patient=True, patient_uses=["story"], consents=[consent]
    )


def test_the_consent_check_uses_the_authorizations_it_is_given(
    world, sandbox, django_assert_num_queries
):
    # The publisher reads them once per attempt and hands them to every check.
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = _patient_post(world, consent, ["facebook"])
    consents = list(post.relied_consents())
    now = timezone.now()
    with django_assert_num_queries(0):
        assert post.consent_problems(["facebook"], at=now, consents=consents) == []
        assert post.consent_problems(["x"], at=now, consents=consents) != []
        assert post.consent_problems(["facebook"], at=now, consents=[]) == [
            "the post features a patient but no authorization is attached"
        ]
    # Nothing is left on the post for a later step to pick up unseen.
    assert not hasattr(post, "checked_consents")


def test_a_photo_that_came_with_an_authorization_is_checked_at_publishing(world, sandbox, run_due):
    asset = media.store_photo(practice=world["practice"], upload=samples.photo(), by=None)
    post = scheduled_post(world, ["facebook"], photos=[asset])
    # After the approval the same photo comes in with a tip and a patient's
    # authorization that the post does not rely on: nothing goes out.
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    tip = factories.make_tip(world["practice"], features_patient=True, consent=consent)
    tip.tipphoto_set.create(asset=asset, position=0)

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.CONSENT
    assert "which this post does not rely on" in publication.last_error_message
    assert sandbox.ledger() == []


def test_consent_revoked_after_approval_fails_with_nothing_sent(world, sandbox, run_due):
    consent = factories.make_consent(world["practice"], platforms=["facebook", "x"])
    post = _patient_post(world, consent, ["facebook"])
    # Revoked directly (as if between the approval and now), not through the
    # registry: the check at publishing time is what is under test.
    consent.revoked_at = timezone.now() - timedelta(minutes=1)
    consent.save(update_fields=["revoked_at"])

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.CONSENT
    assert "revoked" in publication.last_error_message
    assert sandbox.ledger() == []
    # The e-mail gives the reason's class, not the patient's name.
    assert len(sent_mail()) == 1
    assert "Maria" not in sent_mail()[0].body


def test_consent_expired_before_publishing_fails(world, sandbox, run_due):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = _patient_post(world, consent, ["facebook"])
    consent.expires_at = timezone.now() - timedelta(seconds=5)
    consent.save(update_fields=["expires_at"])

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.CONSENT
    assert "expired" in publication.last_error_message
    assert sandbox.ledger() == []


def test_a_post_is_not_approved_for_a_platform_its_consent_does_not_cover(world, sandbox):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    with pytest.raises(IllegalTransition, match="does not cover X"):
        _patient_post(world, consent, ["facebook", "x"])


def test_consent_narrowed_after_approval_stops_only_that_platform(world, sandbox, run_due):
    consent = factories.make_consent(world["practice"], platforms=["facebook", "x"])
    post = _patient_post(world, consent, ["facebook", "x"])
    # The record corrected behind the product's back (it offers no way to edit
    # a signed authorization): the check at publishing time is per platform.
    PatientConsent.objects.filter(pk=consent.pk).update(platforms=["facebook"])

    run_due()

    result = publications(post)
    assert result["facebook"].status == Status.PUBLISHED
    assert result["x"].status == Status.FAILED
    assert "does not cover X" in result["x"].last_error_message
    assert sandbox.ledger("x") == []
    post.refresh_from_db()
    assert post.status == Post.Status.PARTIALLY_FAILED


def test_post_edited_after_approval_is_not_published(world, sandbox, run_due):
    post = scheduled_post(world, ["facebook"])
    Post.objects.filter(pk=post.pk).update(caption="A different text nobody approved.")

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.APPROVAL
    assert "changed after it was approved" in publication.last_error_message
    assert sandbox.ledger() == []


# -- leases: lost jobs and dead workers ---------------------------------------------


def test_lost_job_is_taken_back_after_its_lease(
    world, sandbox, redis_db, django_capture_on_commit_callbacks, settings
):
    post = scheduled_post(world, ["facebook"])
    with django_capture_on_commit_callbacks(execute=True):
        assert len(dispatch.claim_due()) == 1
    redis_db.flushdb()  # Redis lost everything
    assert post.publications.get().status == Status.QUEUED

    # Before the lease runs out nothing happens; after, it is queued again.
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.claim_due() == []
    later = timezone.now() + timedelta(seconds=settings.PUBLISH_LEASE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(dispatch.claim_due(now=later)) == 1
    publication = post.publications.get()
    assert publication.status == Status.QUEUED
    assert not publication.read_back_first
    with django_capture_on_commit_callbacks(execute=True):
        work()
    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED
    assert len(sandbox.ledger("facebook")) == 1


def test_worker_killed_mid_publish_is_read_back_not_sent_again(
    world, sandbox, redis_db, django_capture_on_commit_callbacks, settings
):
    post = scheduled_post(world, ["x"])
    with django_capture_on_commit_callbacks(execute=True):
        (pk,) = dispatch.claim_due()
    redis_db.flushdb()
    # A worker claimed it and its request reached X; then the worker died.
    claimed = Publication.claim(pk)
    _publish_directly(claimed.account, post.caption_for("x"))

    later = timezone.now() + timedelta(seconds=settings.PUBLISH_LEASE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.claim_due(now=later) == [pk]
    publication = Publication.objects.get(pk=pk)
    assert publication.read_back_first
    with django_capture_on_commit_callbacks(execute=True):
        work()

    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED
    assert len(sandbox.ledger("x")) == 1


def test_late_outcome_from_a_worker_whose_lease_ran_out_is_ignored(world, sandbox, redis_db):
    post = scheduled_post(world, ["facebook"])
    Publication.objects.filter(post=post).update(status=Status.QUEUED)
    first = Publication.claim(post.publications.get().pk)
    # The dispatcher took it back and a second worker claimed it.
    Publication.objects.filter(pk=first.pk).update(status=Status.QUEUED)
    second = Publication.claim(first.pk)
    assert second.attempts == first.attempts + 1

    assert not first.mark_failed(kind=Kind.REJECTED, message="stale")
    assert second.mark_published(platform_id="1", permalink="", published_at=None)
    assert Publication.objects.get(pk=first.pk).status == Status.PUBLISHED


# -- quotas --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "limit", "window"),
    [("instagram", 50, timedelta(hours=24)), ("x", 200, timedelta(minutes=15))],
)
def test_quota_full_reschedules_to_the_first_free_slot(
    world, sandbox, run_due, platform, limit, window
):
    account = world["accounts"][platform]
    now = timezone.now()
    oldest = now - window + timedelta(minutes=5)
    olds = Post.objects.bulk_create(
        Post(practice=world["practice"], caption=f"Earlier post {i}") for i in range(limit)
    )
    Publication.objects.bulk_create(
        Publication(
            post=old,
            account=account,
            status=Status.PUBLISHED,
            platform_post_id=f"old-{i}",
            published_at=oldest + timedelta(seconds=i),
        )
        for i, old in enumerate(olds)
    )
    post = scheduled_post(world, [platform])

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.PENDING
    assert publication.attempts == 0
    assert publication.last_error_kind == ""
    assert "posting limit" in publication.last_error_message
    expected = oldest + window
    assert expected <= publication.next_attempt_at <= expected + timedelta(seconds=2)
    assert sandbox.ledger(platform) == []
    assert sent_mail() == []
