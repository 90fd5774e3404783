"""Photos seen signed in: who may look at a tip's photos, and at which sizes."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from tests import factories

# On the media folder and on an S3 bucket (tests/media_storage.py).
pytestmark = pytest.mark.usefixtures("media_storage")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("lead", 200),
        ("strategist", 200),
        ("staff", 200),
        ("doctor", 403),  # doctors see the photos of posts, not of tips
        ("other_strategist", 404),
        ("other_staff", 404),
        ("outsider", 404),
    ],
)
def test_who_sees_a_tip_photo(request, client, tip_with_photo, asset, who, expected):
    client.force_login(request.getfixturevalue(who))
    for spec in ("original", "thumbnail", "facebook"):
        assert client.get(reverse("media_file", args=[asset.pk, spec])).status_code == expected


def test_staff_do_not_see_photos_of_colleagues_tips(client, practice, tip_with_photo, asset):
    from practices.models import Membership

    colleague = factories.make_member(practice, Membership.Role.STAFF, "colleague")
    client.force_login(colleague)
    assert client.get(reverse("media_file", args=[asset.pk, "original"])).status_code == 403


def test_anonymous_is_sent_to_log_in(client, asset):
    response = client.get(reverse("media_file", args=[asset.pk, "original"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_unknown_spec_is_404(client, strategist, asset):
    client.force_login(strategist)
    assert client.get(reverse("media_file", args=[asset.pk, "poster"])).status_code == 404


def test_thumbnail_is_small(client, strategist, asset):
    client.force_login(strategist)
    response = client.get(reverse("media_file", args=[asset.pk, "thumbnail"]))
    im = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert max(im.size) <= 480
