"""Publishing against the sandbox platforms over HTTP, with real Redis and real RQ workers:
the happy path, and what it costs in queries."""

from __future__ import annotations

from datetime import timedelta

import django_rq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from core.models import AuditEvent
from posts import jobs
from posts.models import Post, Publication
from posts.publishing import attempt as publishing
from posts.publishing import dispatch
from practices.models import SocialAccount
from tests.posts.publishing.support import publications
from tests.publishing_support import (
    TEXT_PLATFORMS,
    scheduled_post,
)

pytestmark = pytest.mark.django_db

Status = Publication.Status
Kind = Publication.ErrorKind


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
    # way, lock the post, read the statuses, move): 11. The month's and day's
    # totals worked out again (6: the publication's practice and month, a
    # lock, clear and count each): 17. Plus 4 only in this test: the roll-up's
    # and the recount's transactions are savepoints (and their releases)
    # inside the test's.
    with django_assert_max_num_queries(21):
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
