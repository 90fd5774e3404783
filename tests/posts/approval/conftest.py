"""The approval tests' accounts on two platforms, a practice's photos, and a post with two of
them, ready to send to the doctors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import PostMedia
from tests import factories
from tests import media_samples as samples


@pytest.fixture
def accounts(practice):
    return [
        factories.make_account(practice, "facebook"),
        factories.make_account(practice, "x"),
    ]


@pytest.fixture
def photos(practice, staff):
    from posts.media import photos as media

    return [
        media.store_photo(
            practice=practice,
            upload=samples.photo(f"p{i}.jpg", color=(60 * i, 90, 200 - 60 * i)),
            by=staff,
        )
        for i in range(3)
    ]


@pytest.fixture
def post(practice, strategist, accounts, photos):
    post = factories.make_post(
        practice,
        author=strategist,
        targets=accounts,
        title="Flu shots",
        caption="Flu shots are in: walk in any weekday morning.",
        scheduled_at=timezone.now() + timedelta(days=3),
    )
    for position, asset in enumerate(photos[:2]):
        PostMedia.objects.create(post=post, asset=asset, position=position)
    return post
