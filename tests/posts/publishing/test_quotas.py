"""Quotas: a full platform day moves the post to the first free slot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Post, Publication
from tests.publishing_support import (
    scheduled_post,
    sent_mail,
)

pytestmark = pytest.mark.django_db

Status = Publication.Status
Kind = Publication.ErrorKind


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
