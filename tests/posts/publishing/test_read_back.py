"""Duplicates and ambiguous answers: read back, settle, and never post twice."""

from __future__ import annotations

import pytest

from core.models import AuditEvent
from posts.models import Publication
from tests.posts.publishing.support import publish_directly
from tests.publishing_support import (
    make_due,
    out_of_time,
    scheduled_post,
)

pytestmark = pytest.mark.django_db

Status = Publication.Status
Kind = Publication.ErrorKind


# LinkedIn's duplicate error names the existing post; X's does not, so the
# publisher finds it by reading back. Either way it settles as published, once.
@pytest.mark.parametrize("platform", ["linkedin", "x"])
def test_duplicate_of_a_post_already_live_settles_it(world, sandbox, run_due, platform):
    caption = "Walk-in flu shots all week."
    existing = publish_directly(world["accounts"][platform], caption)
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
    sandbox.faults(platform=platform, ambiguous_rate=1.0, ambiguous_mode="drop")
    post = scheduled_post(world, [platform], **fields)
    run_due()
    assert post.publications.get().status == Status.UNKNOWN
    sandbox.clear_faults()
    sandbox.faults(platform=platform, error_rates={"transient": 1.0})
    make_due(post)
    run_due()
    assert post.publications.get().status == Status.UNKNOWN  # in time: asked again later
    out_of_time(post)
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
