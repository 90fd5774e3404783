"""The editor tests' accounts on every platform and a practice's photos."""

from __future__ import annotations

import pytest

from posts.media import photos as media
from tests import factories
from tests import media_samples as samples


@pytest.fixture
def accounts(practice):
    return {
        platform: factories.make_account(practice, platform)
        for platform in ("facebook", "instagram", "linkedin", "x", "google_business")
    }


@pytest.fixture
def photos(practice, staff):
    return [
        media.store_photo(
            practice=practice,
            upload=samples.photo(f"p{i}.jpg", color=(40 * i, 90, 200 - 40 * i)),
            by=staff,
        )
        for i in range(4)
    ]
