"""The signed URLs the platforms fetch photos from: served without a login only while a
post on its way out uses the photo, never cached, and refused when tampered with or expired."""

from __future__ import annotations

import io

import pytest
from django.core import signing
from django.urls import reverse
from PIL import Image

from posts.media import photos as media
from tests import media_samples as samples
from tests.posts.media.support import fetch, on_post, path

# On the media folder and on an S3 bucket (tests/media_storage.py).
pytestmark = pytest.mark.usefixtures("media_storage")


@pytest.fixture
def posted(asset):
    on_post(asset)
    return asset


def test_signed_url_is_absolute_and_served_without_login(client, posted, settings):
    asset = posted
    url = media.signed_variant_url(asset=asset, spec="facebook")
    assert url.startswith(settings.SITE_URL + "/media/s/")
    response = client.get(path(url))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    data = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(data)).size == (800, 420)


def test_signed_url_for_a_variant_and_the_original(client, posted, media_storage):
    asset = posted
    variant = media.variant_for(asset, "x")
    assert client.get(path(media.signed_variant_url(variant))).status_code == 200
    original = client.get(path(media.signed_variant_url(asset=asset, spec="original")))
    assert b"".join(original.streaming_content) == media_storage.read(asset.file.name)


def test_tampered_signed_url_is_not_served(client, asset, other_practice):
    other = media.store_photo(
        practice=other_practice, upload=samples.photo(color=(9, 9, 9)), by=None
    )
    token = path(media.signed_variant_url(asset=asset, spec="facebook")).split("/")[3]
    _value, stamp, signature = token.split(":")
    forged = f"{other.pk}.facebook:{stamp}:{signature}"
    for bad in (forged, token[:-2] + "xx", "12.facebook", "garbage"):
        response = client.get(reverse("media_signed", args=[bad]))
        assert response.status_code == 404
        assert response.content == b""


def test_expired_signed_url_is_gone(client, posted, settings):
    # A photo that is served while its address is fresh: only the expiry can refuse it.
    url = media.signed_variant_url(asset=posted, spec="facebook")
    assert fetch(client, url).status_code == 200
    settings.MEDIA_URL_MAX_AGE = -1
    response = client.get(path(url))
    assert response.status_code == 410
    assert response.content == b""


def test_a_token_signed_for_something_else_is_refused(client, asset):
    token = signing.TimestampSigner(salt="another.purpose").sign(f"{asset.pk}.facebook")
    assert client.get(reverse("media_signed", args=[token])).status_code == 404


def test_a_signed_photo_is_not_cached_anywhere(client, posted):
    response = fetch(client, media.signed_variant_url(asset=posted, spec="facebook"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_a_photo_on_no_post_is_not_public(client, asset):
    # A tip's photo, say: signed in date, but nothing is being published with it.
    response = fetch(client, media.signed_variant_url(asset=asset, spec="facebook"))
    assert response.status_code == 410
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"


def test_a_photo_only_in_drafts_is_not_public(client, asset):
    on_post(asset, status="draft")
    on_post(asset, status="in_review")
    variant = media.variant_for(asset, "x")
    assert client.get(path(media.signed_variant_url(variant))).status_code == 410
