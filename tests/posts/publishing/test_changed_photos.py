"""A photo changed after the approval stops the post at the publisher: swapped,
reordered, re-cropped or re-described outside the editor, nothing goes out and the
post goes back for approval with the reason."""

from __future__ import annotations

import pytest

from posts.media import photos as media
from posts.models import MediaAsset, Post, PostComment, PostMedia
from tests import media_samples as samples
from tests.publishing_support import scheduled_post, sent_mail

pytestmark = pytest.mark.django_db


def _two_photo_post(world):
    first, second = (
        media.store_photo(practice=world["practice"], upload=samples.photo(color=c), by=None)
        for c in ((200, 40, 40), (40, 40, 200))
    )
    return scheduled_post(world, ["facebook", "x"], photos=[first, second]), first, second


def _swap(post, first, second, practice):
    other = media.store_photo(practice=practice, upload=samples.photo(color=(9, 99, 9)), by=None)
    PostMedia.objects.filter(post=post, asset=first).update(asset=other)


def _reorder(post, first, second, practice):
    PostMedia.objects.filter(post=post, asset=first).update(position=9)
    PostMedia.objects.filter(post=post, asset=second).update(position=0)
    PostMedia.objects.filter(post=post, asset=first).update(position=1)


def _recrop(post, first, second, practice):
    # Straight in the library's rows, as a change that skipped the focal-point tool.
    MediaAsset.objects.filter(pk=first.pk).update(focal_x=0.1, focal_y=0.9)


def _redescribe(post, first, second, practice):
    MediaAsset.objects.filter(pk=second.pk).update(alt_text="Another description.")


@pytest.mark.parametrize("change", [_swap, _reorder, _recrop, _redescribe])
def test_a_photo_changed_after_approval_goes_back_for_approval(world, sandbox, run_due, change):
    post, first, second = _two_photo_post(world)
    assert post.approval_is_current()
    change(post, first, second, world["practice"])

    run_due()

    assert sandbox.ledger() == []  # nothing went out, anywhere
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert not post.approvals.filter(voided_at__isnull=True).exists()
    assert not post.publications.exists()  # made anew when it is scheduled again
    (note,) = PostComment.objects.filter(post=post)
    assert "changed after it was approved" in note.body and note.author_label == "Rounds"
    (message,) = sent_mail()  # the strategist is told once, not once per platform
    assert message.to == [world["strategist"].email]
    assert "changed after it was approved" in message.body
    assert post.get_absolute_url() in message.body
