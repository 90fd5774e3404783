"""Leases: lost jobs and dead workers, taken back and read back, never sent twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Publication
from posts.publishing import dispatch
from tests.posts.publishing.support import publish_directly
from tests.publishing_support import (
    scheduled_post,
    work,
)

pytestmark = pytest.mark.django_db

Status = Publication.Status
Kind = Publication.ErrorKind


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
    publish_directly(claimed.account, post.caption_for("x"))

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
