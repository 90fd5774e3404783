"""The photo tests' own media folder, a photo the practice stored, and a tip that carries it."""

from __future__ import annotations

from pathlib import Path

import pytest

from posts.media import photos as media
from tests import factories
from tests import media_samples as samples


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def asset(practice, staff):
    return media.store_photo(practice=practice, upload=samples.photo(), by=staff)


@pytest.fixture
def tip_with_photo(practice, staff, asset):
    tip = factories.make_tip(practice, submitted_by=staff)
    tip.photos.add(asset, through_defaults={"position": 0})
    return tip
