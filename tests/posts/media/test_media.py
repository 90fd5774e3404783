"""Photos, Django side: cleaning on upload, dedupe, variants, focal point, signed URLs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core.files import files_removed_on_failure
from imaging import VARIANT_SPECS, ImageRejected
from posts.media import editing
from posts.media import photos as media
from posts.models import MediaAsset, MediaVariant, Post, PostMedia
from posts.publishing import takedown
from practices.models import PatientConsent
from tests import factories
from tests import media_samples as samples


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


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
    client, staff, strategist, practice, media_root, django_capture_on_commit_callbacks
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
    assert_no_metadata(Path(asset.file.path).read_bytes())

    for spec in [*VARIANT_SPECS, media.THUMBNAIL]:
        variant = media.variant_for(asset, spec)
        assert_no_metadata(Path(variant.file.path).read_bytes())
    # Every file on disk, whatever it is called.
    stored = files(media_root)
    assert len(stored) == 1 + len(VARIANT_SPECS) + 1
    for path in stored:
        assert_no_metadata(path.read_bytes())

    # And what the platforms fetch through a signed URL (once a post uses it).
    on_post(asset)
    url = media.signed_variant_url(asset=asset, spec="instagram_square")
    client.logout()
    served = b"".join(client.get(url.removeprefix("http://127.0.0.1:8000")).streaming_content)
    assert_no_metadata(served)


def test_the_same_photo_twice_is_stored_once(practice, staff, media_root):
    first = media.store_photo(practice=practice, upload=samples.photo(), by=staff)
    again = media.store_photo(practice=practice, upload=samples.photo("copy.jpg"), by=staff)
    assert again.pk == first.pk
    assert MediaAsset.objects.count() == 1
    assert len(files(media_root)) == 1


def test_the_same_photo_at_another_practice_is_its_own_asset(practice, other_practice, staff):
    mine = media.store_photo(practice=practice, upload=samples.photo(), by=staff)
    theirs = media.store_photo(practice=other_practice, upload=samples.photo(), by=None)
    assert mine.pk != theirs.pk


def test_a_rejected_upload_writes_nothing(practice, staff, media_root):
    with pytest.raises(ImageRejected) as rejected:
        media.store_photo(
            practice=practice, upload=samples.upload("x.jpg", samples.HTML_PAGE), by=staff
        )
    assert "web page" in rejected.value.message
    assert MediaAsset.objects.count() == 0
    assert files(media_root) == set()


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


def test_files_written_in_a_failed_block_are_removed(practice, staff, media_root):
    with pytest.raises(RuntimeError), files_removed_on_failure(), transaction.atomic():
        media.store_photo(practice=practice, upload=samples.photo("a.jpg"), by=staff)
        media.store_photo(
            practice=practice, upload=samples.photo("b.jpg", color=(1, 2, 3)), by=staff
        )
        assert len(files(media_root)) == 2
        raise RuntimeError("something after the photos failed")
    assert MediaAsset.objects.count() == 0
    assert files(media_root) == set()


def test_variants_are_cached_and_rerendered_when_the_focal_point_moves(
    practice, staff, media_root, django_capture_on_commit_callbacks
):
    asset = media.store_photo(
        practice=practice, upload=samples.photo(width=1600, height=900), by=staff
    )
    first = media.variant_for(asset, "instagram_square")
    assert (first.width, first.height) == (900, 900)  # never upscaled
    again = media.variant_for(asset, "instagram_square")
    assert again.pk == first.pk and again.file.name == first.file.name
    first_bytes = Path(first.file.path).read_bytes()

    with django_capture_on_commit_callbacks(execute=True):
        editing.set_focal_point(asset, 0.05, 0.5)
    assert not MediaVariant.objects.filter(asset=asset).exists()
    assert not Path(first.file.path).exists()

    moved = media.variant_for(asset, "instagram_square")
    assert (moved.focal_x, moved.focal_y) == (0.05, 0.5)
    assert Path(moved.file.path).read_bytes() != first_bytes
    assert MediaVariant.objects.filter(asset=asset).count() == 1


def test_a_stale_variant_is_replaced_in_place(
    practice, staff, media_root, django_capture_on_commit_callbacks
):
    asset = media.store_photo(practice=practice, upload=samples.photo(), by=staff)
    old = media.variant_for(asset, "facebook")
    # The focal point moved by another route (an admin edit, say).
    MediaAsset.objects.filter(pk=asset.pk).update(focal_x=0.9)
    asset.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        new = media.variant_for(asset, "facebook")
    assert new.pk == old.pk and new.focal_x == 0.9
    assert not Path(old.file.path).exists()
    assert Path(new.file.path).exists()


def test_focal_point_outside_the_photo_is_refused(practice, staff):
    asset = media.store_photo(practice=practice, upload=samples.photo(), by=staff)
    with pytest.raises(ValueError):
        editing.set_focal_point(asset, 1.2, 0.5)


# -- signed URLs -----------------------------------------------------------


@pytest.fixture
def asset(practice, staff):
    return media.store_photo(practice=practice, upload=samples.photo(), by=staff)


def _path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


def on_post(asset, **fields):
    """A post on its way out using the photo: what a signed URL is served for."""
    fields.setdefault("status", "scheduled")
    post = factories.make_post(asset.practice, **fields)
    PostMedia.objects.create(post=post, asset=asset, position=0)
    return post


@pytest.fixture
def posted(asset):
    on_post(asset)
    return asset


def test_signed_url_is_absolute_and_served_without_login(client, posted, settings):
    asset = posted
    url = media.signed_variant_url(asset=asset, spec="facebook")
    assert url.startswith(settings.SITE_URL + "/media/s/")
    response = client.get(_path(url))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    data = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(data)).size == (800, 420)


def test_signed_url_for_a_variant_and_the_original(client, posted):
    asset = posted
    variant = media.variant_for(asset, "x")
    assert client.get(_path(media.signed_variant_url(variant))).status_code == 200
    original = client.get(_path(media.signed_variant_url(asset=asset, spec="original")))
    assert b"".join(original.streaming_content) == Path(asset.file.path).read_bytes()


def test_tampered_signed_url_is_not_served(client, asset, other_practice):
    other = media.store_photo(
        practice=other_practice, upload=samples.photo(color=(9, 9, 9)), by=None
    )
    token = _path(media.signed_variant_url(asset=asset, spec="facebook")).split("/")[3]
    _value, stamp, signature = token.split(":")
    forged = f"{other.pk}.facebook:{stamp}:{signature}"
    for bad in (forged, token[:-2] + "xx", "12.facebook", "garbage"):
        response = client.get(reverse("media_signed", args=[bad]))
        assert response.status_code == 404
        assert response.content == b""


def test_expired_signed_url_is_gone(client, asset, settings):
    url = media.signed_variant_url(asset=asset, spec="facebook")
    settings.MEDIA_URL_MAX_AGE = -1
    response = client.get(_path(url))
    assert response.status_code == 410
    assert response.content == b""


def test_a_token_signed_for_something_else_is_refused(client, asset):
    token = signing.TimestampSigner(salt="another.purpose").sign(f"{asset.pk}.facebook")
    assert client.get(reverse("media_signed", args=[token])).status_code == 404


# A signed URL lives a day (MEDIA_URL_MAX_AGE); a patient's photo must stop
# being public the moment the authorization is revoked or the post cancelled.


def _fetch(client, url):
    return client.get(_path(url))


def test_a_signed_photo_is_not_cached_anywhere(client, posted):
    response = _fetch(client, media.signed_variant_url(asset=posted, spec="facebook"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_a_photo_on_no_post_is_not_public(client, asset):
    # A tip's photo, say: signed in date, but nothing is being published with it.
    response = _fetch(client, media.signed_variant_url(asset=asset, spec="facebook"))
    assert response.status_code == 410
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"


def test_a_signed_photo_is_gone_once_the_authorization_is_revoked(
    client, asset, practice, strategist, django_capture_on_commit_callbacks
):
    consent = factories.make_consent(practice)
    post = on_post(asset, features_patient=True, patient_uses=["photo"])
    post.consents.add(consent)
    urls = [
        media.signed_variant_url(asset=asset, spec=spec)
        for spec in ("instagram_square", "original")
    ]
    assert [_fetch(client, url).status_code for url in urls] == [200, 200]

    client.force_login(strategist)
    today = practice.local(timezone.now()).date().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("consent_revoke", args=[practice.slug, consent.pk]),
            {"received_on": today, "note": "Letter received."},
        )
    client.logout()
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    for url in urls:
        response = _fetch(client, url)
        assert response.status_code == 410
        assert response["Cache-Control"] == "no-store"


def test_a_post_relying_on_its_tips_authorization_loses_its_photo_with_it(
    client, asset, practice, strategist, staff
):
    # The post has no authorization attached: it relies on its tip's.
    consent = factories.make_consent(practice)
    tip = factories.make_tip(practice, submitted_by=staff, consent=consent)
    tip.photos.add(asset, through_defaults={"position": 0})
    on_post(asset, tip=tip, status=Post.Status.SCHEDULED)
    url = media.signed_variant_url(asset=asset, spec="instagram_square")
    assert _fetch(client, url).status_code == 200
    takedown.revoke_consent(
        consent=consent, received_at=timezone.now(), note="E-mail", by=strategist
    )
    assert _fetch(client, url).status_code == 410


def test_a_signed_photo_is_gone_once_its_post_is_cancelled(client, asset):
    post = on_post(asset, status=Post.Status.SCHEDULED)
    url = media.signed_variant_url(asset=asset, spec="facebook")
    assert _fetch(client, url).status_code == 200
    post.cancel(reason="Not this week.")
    assert _fetch(client, url).status_code == 410


def test_a_signed_photo_is_gone_once_the_authorization_expires(client, asset, practice):
    consent = factories.make_consent(practice)
    post = on_post(asset, status=Post.Status.SCHEDULED)
    post.consents.add(consent)
    url = media.signed_variant_url(asset=asset, spec="facebook")
    assert _fetch(client, url).status_code == 200
    PatientConsent.objects.filter(pk=consent.pk).update(expires_at=timezone.now())
    assert _fetch(client, url).status_code == 410


def test_a_photo_another_live_post_still_uses_is_served(client, asset, practice, strategist):
    consent = factories.make_consent(practice)
    relying = on_post(asset, status=Post.Status.SCHEDULED)
    relying.consents.add(consent)
    on_post(asset, status=Post.Status.SCHEDULED)  # a team photo also used elsewhere
    takedown.revoke_consent(
        consent=consent, received_at=timezone.now(), note="Letter", by=strategist
    )
    relying.refresh_from_db()
    assert relying.status == Post.Status.CANCELLED
    url = media.signed_variant_url(asset=asset, spec="facebook")
    assert _fetch(client, url).status_code == 200


# -- logged-in photo views ---------------------------------------------------


@pytest.fixture
def tip_with_photo(practice, staff, asset):
    tip = factories.make_tip(practice, submitted_by=staff)
    tip.photos.add(asset, through_defaults={"position": 0})
    return tip


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


# -- focal point -------------------------------------------------------------


def test_strategist_sets_the_focal_point(client, strategist, tip_with_photo, asset):
    client.force_login(strategist)
    response = client.post(
        reverse("media_focal_point", args=[asset.pk]),
        {"x": "0.25", "y": "0.75", "next": tip_with_photo.get_absolute_url()},
    )
    assert response.status_code == 302
    assert response["Location"] == tip_with_photo.get_absolute_url()
    asset.refresh_from_db()
    assert (asset.focal_x, asset.focal_y) == (0.25, 0.75)


def test_focal_point_out_of_range_changes_nothing(client, strategist, asset):
    client.force_login(strategist)
    response = client.post(
        reverse("media_focal_point", args=[asset.pk]), {"x": "7", "y": "0.5"}, follow=True
    )
    assert "must lie within the photo" in response.content.decode()
    asset.refresh_from_db()
    assert asset.focal_x == 0.5


def test_focal_point_ignores_an_offsite_next(client, strategist, asset):
    client.force_login(strategist)
    response = client.post(
        reverse("media_focal_point", args=[asset.pk]),
        {"x": "0.5", "y": "0.5", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize(("who", "expected"), [("staff", 403), ("other_strategist", 404)])
def test_only_the_agency_moves_the_focal_point(
    request, client, tip_with_photo, asset, who, expected
):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("media_focal_point", args=[asset.pk]), {"x": "0.1", "y": "0.1"})
    assert response.status_code == expected
    asset.refresh_from_db()
    assert asset.focal_x == 0.5


def test_moving_the_focal_point_sends_approved_posts_back_to_draft(
    client, strategist, doctor, practice, asset
):
    from datetime import timedelta

    from django.utils import timezone

    from posts.models import Approval, PostMedia
    from tests import factories

    account = factories.make_account(practice)
    scheduled = factories.make_post(practice, targets=[account])
    PostMedia.objects.create(post=scheduled, asset=asset)
    scheduled.submit_for_review()
    scheduled.approve(by=doctor, via=Approval.Via.LOGIN)
    scheduled.schedule(at=timezone.now() + timedelta(hours=3))
    draft = factories.make_post(practice, targets=[account])
    PostMedia.objects.create(post=draft, asset=asset)

    client.force_login(strategist)
    response = client.post(
        reverse("media_focal_point", args=[asset.pk]), {"x": "0.2", "y": "0.3"}, follow=True
    )
    assert "1 post using this photo went back to draft" in response.text
    scheduled.refresh_from_db()
    draft.refresh_from_db()
    assert scheduled.status == "draft"
    assert scheduled.current_approval() is None
    assert not scheduled.publications.exists()
    assert draft.status == "draft"


def test_focal_point_cannot_move_while_a_post_publishes(client, strategist, practice, asset):
    from posts.models import Post, PostMedia
    from tests import factories

    post = factories.make_post(practice)
    PostMedia.objects.create(post=post, asset=asset)
    Post.objects.filter(pk=post.pk).update(status="publishing")
    client.force_login(strategist)
    response = client.post(
        reverse("media_focal_point", args=[asset.pk]), {"x": "0.9", "y": "0.9"}, follow=True
    )
    assert "being published right now" in response.text
    asset.refresh_from_db()
    assert (asset.focal_x, asset.focal_y) == (0.5, 0.5)


def test_a_photo_only_in_drafts_is_not_public(client, asset):
    on_post(asset, status="draft")
    on_post(asset, status="in_review")
    variant = media.variant_for(asset, "x")
    assert client.get(_path(media.signed_variant_url(variant))).status_code == 410


def test_a_photo_whose_tip_authorization_lapsed_is_withdrawn_from_any_post(client, asset, practice):
    from datetime import timedelta

    from django.utils import timezone

    from posts.models import Tip, TipPhoto

    consent = factories.make_consent(practice)
    tip = Tip.objects.create(
        practice=practice,
        kind="patient_story",
        text="A story",
        features_patient=True,
        consent=consent,
    )
    TipPhoto.objects.create(tip=tip, asset=asset, position=0)
    on_post(asset)  # not drafted from the tip, and relying on nothing
    url = _path(media.signed_variant_url(media.variant_for(asset, "x")))
    assert client.get(url).status_code == 200
    consent.revoked_at = timezone.now() - timedelta(seconds=1)
    consent.save(update_fields=["revoked_at"])
    assert client.get(url).status_code == 410
