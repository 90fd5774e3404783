"""A photo as it arrives: stripped of where and with what it was taken, stored once,
refused early when it is too big or not a photo, and never left in the storage by a failed
save. Each test runs on the media folder and on an S3 bucket (tests/media_storage.py)."""

from __future__ import annotations

import io

import pytest
from django.db import transaction
from django.urls import reverse
from PIL import Image

from core.files import files_removed_on_failure
from imaging import VARIANT_SPECS, ImageRejected
from posts.media import photos as media
from posts.models import MediaAsset
from tests import media_samples as samples
from tests.posts.media.support import on_post

pytestmark = pytest.mark.usefixtures("media_storage")


def assert_no_metadata(data: bytes) -> None:
    im = Image.open(io.BytesIO(data))
    assert dict(im.getexif()) == {}
    assert "exif" not in im.info
    for marker in (
        b"Exif\x00\x00",
        samples.CAMERA_SERIAL.encode(),
        samples.CAMERA_MAKE.encode(),
        samples.GPS_AREA.encode(),
        b"2026:03:04",
    ):
        assert marker not in data


def test_gps_is_gone_from_the_stored_original_and_every_variant(
    client, staff, strategist, practice, media_storage, django_capture_on_commit_callbacks
):
    original = samples.jpeg_bytes(1600, 1200, gps=True)
    assert samples.CAMERA_SERIAL.encode() in original  # the test photo really carries it
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)

    client.force_login(staff)
    response = client.post(
        reverse("staff_home"),
        {
            "kind": "team",
            "text": "Our front desk team at the health fair.",
            "photos": [samples.upload("IMG_0001.jpg", original)],
            "policy_confirmed": "on",
        },
    )
    assert response.status_code == 302
    asset = MediaAsset.objects.get(practice=practice)
    assert_no_metadata(media_storage.read(asset.file.name))

    for spec in [*VARIANT_SPECS, media.THUMBNAIL]:
        variant = media.variant_for(asset, spec)
        assert_no_metadata(media_storage.read(variant.file.name))
    # Every file in the folder or the bucket, whatever it is called.
    stored = media_storage.names()
    assert len(stored) == 1 + len(VARIANT_SPECS) + 1
    for name in stored:
        assert_no_metadata(media_storage.read(name))

    # And what the platforms fetch through a signed URL (once a post uses it).
    on_post(asset)
    url = media.signed_variant_url(asset=asset, spec="instagram_square")
    client.logout()
    served = b"".join(client.get(url.removeprefix("http://127.0.0.1:8000")).streaming_content)
    assert_no_metadata(served)


def test_the_same_photo_twice_is_stored_once(practice, staff, media_storage):
    first = media.store_photo(practice=practice, upload=samples.photo(), by=staff)
    again = media.store_photo(practice=practice, upload=samples.photo("copy.jpg"), by=staff)
    assert again.pk == first.pk
    assert MediaAsset.objects.count() == 1
    assert media_storage.names() == {first.file.name}


def test_the_same_photo_at_another_practice_is_its_own_asset(practice, other_practice, staff):
    mine = media.store_photo(practice=practice, upload=samples.photo(), by=staff)
    theirs = media.store_photo(practice=other_practice, upload=samples.photo(), by=None)
    assert mine.pk != theirs.pk


def test_a_rejected_upload_writes_nothing(practice, staff, media_storage):
    with pytest.raises(ImageRejected) as rejected:
        media.store_photo(
            practice=practice, upload=samples.upload("x.jpg", samples.HTML_PAGE), by=staff
        )
    assert "web page" in rejected.value.message
    assert MediaAsset.objects.count() == 0
    assert media_storage.names() == set()


def test_size_limits_are_enforced_while_reading(practice, staff, settings):
    settings.MAX_PHOTO_BYTES = 50_000
    big = samples.upload("big.jpg", samples.jpeg_bytes(2400, 1800) + b"\x00" * 60_000)
    with pytest.raises(ImageRejected) as rejected:
        media.store_photo(practice=practice, upload=big, by=staff)
    assert rejected.value.code == "too_large"


def test_the_tip_budget_counts_all_photos_together(settings):
    settings.MAX_TIP_BYTES = 60_000
    photos = [
        samples.photo(f"p{i}.jpg", width=900, height=700, color=(i * 40, 10, 10)) for i in range(4)
    ]
    assert sum(p.size for p in photos) > 60_000
    _cleaned, problems = media.clean_uploads(photos)
    assert problems
    assert "add up to" in problems[-1]


def test_files_written_in_a_failed_block_are_removed(practice, staff, media_storage):
    with pytest.raises(RuntimeError), files_removed_on_failure(), transaction.atomic():
        media.store_photo(practice=practice, upload=samples.photo("a.jpg"), by=staff)
        media.store_photo(
            practice=practice, upload=samples.photo("b.jpg", color=(1, 2, 3)), by=staff
        )
        assert len(media_storage.names()) == 2
        raise RuntimeError("something after the photos failed")
    assert MediaAsset.objects.count() == 0
    assert media_storage.names() == set()
