"""An edit that changes what a doctor approved voids the approval, once confirmed."""

from __future__ import annotations

import pytest

from posts.models import Post, PostMedia
from tests.posts.authoring.support import approved_post, editor_data, later

pytestmark = pytest.mark.django_db


# -- approvals voided by an edit ---------------------------------------------------------


def reorder(post, photos, accounts):
    return {f"position_{photos[0].pk}": "2", f"position_{photos[1].pk}": "1"}


CHANGES = {
    "caption": lambda post, photos, accounts: {"caption": "A new caption."},
    "override": lambda post, photos, accounts: {"override_x": "Other X text."},
    "photo added": lambda post, photos, accounts: {
        "photos": [photos[0].pk, photos[1].pk, photos[2].pk],
        f"position_{photos[2].pk}": "3",
    },
    "photo removed": lambda post, photos, accounts: {"photos": [photos[0].pk]},
    "photos reordered": reorder,
    "photo replaced": lambda post, photos, accounts: {
        "photos": [photos[0].pk, photos[3].pk],
        f"position_{photos[3].pk}": "2",
    },
    "alt text": lambda post, photos, accounts: {f"alt_{photos[0].pk}": "A new description."},
    "targets": lambda post, photos, accounts: {
        "targets": [accounts["facebook"].pk, accounts["linkedin"].pk]
    },
    "photo choice": lambda post, photos, accounts: {f"to_{photos[1].pk}": ["facebook"]},
    "patient uses": lambda post, photos, accounts: {
        "features_patient": "on",
        "patient_uses": ["story"],
    },
    "testimonial": lambda post, photos, accounts: {"is_testimonial": "on"},
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_an_edit_of_the_content_voids_the_approval_after_a_warning(
    client, strategist, practice, doctor, accounts, photos, change
):
    post = approved_post(practice, doctor, accounts, photos, schedule=True)
    client.force_login(strategist)
    data = editor_data(post, **CHANGES[change](post, photos, accounts))

    warned = client.post(f"/posts/{post.pk}/edit/", data)
    assert warned.status_code == 409
    assert "voids the approval" in warned.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED, "nothing changes before the confirmation"
    assert post.approval_is_current()

    confirmed = client.post(f"/posts/{post.pk}/edit/", {**data, "confirm_void": "on"})
    assert confirmed.status_code == 302, change
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT, change
    assert not post.publications.exists()
    assert post.approvals.get().voided_at is not None
    assert not post.approval_is_current()


def test_a_change_of_time_alone_keeps_the_approval(
    client, strategist, practice, doctor, accounts, photos
):
    post = approved_post(practice, doctor, accounts, photos, schedule=True)
    client.force_login(strategist)
    response = client.post(f"/posts/{post.pk}/edit/", editor_data(post, **later(days=5, hour=9)))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert post.approval_is_current()
    assert practice.local(post.scheduled_at).hour == 9
    assert {p.next_attempt_at for p in post.publications.all()} == {post.scheduled_at}


def test_saving_unchanged_content_keeps_the_approval(
    client, strategist, practice, doctor, accounts, photos
):
    post = approved_post(practice, doctor, accounts, photos)
    client.force_login(strategist)
    assert client.post(f"/posts/{post.pk}/edit/", editor_data(post)).status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVED
    assert post.approval_is_current()


@pytest.mark.parametrize(
    "change",
    [
        lambda post, asset: setattr(asset, "focal_x", 0.1),
        lambda post, asset: setattr(asset, "alt_text", "changed"),
        lambda post, asset: setattr(asset, "sha256", "0" * 64),
    ],
)
def test_the_approval_hash_covers_the_photos(practice, doctor, accounts, photos, change):
    post = approved_post(practice, doctor, accounts, photos)
    asset = photos[0]
    change(post, asset)
    asset.save()
    assert not post.approval_is_current()


def test_the_approval_hash_covers_which_photos_and_their_order(practice, doctor, accounts, photos):
    post = approved_post(practice, doctor, accounts, photos)
    first, second = post.postmedia_set.order_by("position")
    first.position, second.position = 1, 0
    PostMedia.objects.bulk_update([first, second], ["position"])
    assert not post.approval_is_current()
    first.position, second.position = 0, 1
    PostMedia.objects.bulk_update([first, second], ["position"])
    assert post.approval_is_current()
    second.delete()
    assert not post.approval_is_current()
