"""The focal point the platforms' crops centre on: who may move it, and what moving it does
to the variants already made and to the posts already approved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from posts.media import editing
from posts.media import photos as media
from posts.models import MediaAsset, MediaVariant
from tests import media_samples as samples

# On the media folder and on an S3 bucket (tests/media_storage.py).
pytestmark = pytest.mark.usefixtures("media_storage")


def test_variants_are_cached_and_rerendered_when_the_focal_point_moves(
    practice, staff, media_storage, django_capture_on_commit_callbacks
):
    asset = media.store_photo(
        practice=practice, upload=samples.photo(width=1600, height=900), by=staff
    )
    first = media.variant_for(asset, "instagram_square")
    assert (first.width, first.height) == (900, 900)  # never upscaled
    again = media.variant_for(asset, "instagram_square")
    assert again.pk == first.pk and again.file.name == first.file.name
    first_bytes = media_storage.read(first.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        editing.set_focal_point(asset, 0.05, 0.5)
    assert not MediaVariant.objects.filter(asset=asset).exists()
    assert first.file.name not in media_storage.names()

    moved = media.variant_for(asset, "instagram_square")
    assert (moved.focal_x, moved.focal_y) == (0.05, 0.5)
    assert media_storage.read(moved.file.name) != first_bytes
    assert MediaVariant.objects.filter(asset=asset).count() == 1


def test_a_stale_variant_is_replaced_in_place(
    practice, staff, media_storage, django_capture_on_commit_callbacks
):
    asset = media.store_photo(practice=practice, upload=samples.photo(), by=staff)
    old = media.variant_for(asset, "facebook")
    # The focal point moved by another route (an admin edit, say).
    MediaAsset.objects.filter(pk=asset.pk).update(focal_x=0.9)
    asset.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        new = media.variant_for(asset, "facebook")
    assert new.pk == old.pk and new.focal_x == 0.9
    # A name of its own: the old one goes once the row commits, never the new file.
    assert new.file.name != old.file.name
    assert media_storage.names() == {asset.file.name, new.file.name}


def test_focal_point_outside_the_photo_is_refused(practice, staff):
    asset = media.store_photo(practice=practice, upload=samples.photo(), by=staff)
    with pytest.raises(ValueError):
        editing.set_focal_point(asset, 1.2, 0.5)


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
