"""Changes to what a post shows, and what they void.

A doctor approves the exact version of a post (posts.models.Post.content_hash),
so a change to anything in that version sends the posts it touches back to
draft. The photo code (posts.media.photos) knows files; this module knows posts.
"""

from __future__ import annotations

from django.db import transaction

from posts.media import photos as media
from posts.models import IllegalTransition, MediaAsset, Post


def set_focal_point(asset: MediaAsset, x: float, y: float) -> list[Post]:
    """Move the point every crop keeps in frame; cached variants are dropped.

    The crop is part of what a doctor approves, so posts using this photo that
    are in review, approved or scheduled go back to draft (their approval is
    void) and are returned; a post being published right now cannot change.
    """
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise ValueError("the focal point must lie within the photo (0 to 1 across and down)")
    if asset.is_video:
        raise IllegalTransition("a video has no focal point: platforms get its whole frame")
    with transaction.atomic():
        using = Post.objects.select_for_update().filter(media=asset).order_by("pk")
        if any(post.status == Post.Status.PUBLISHING for post in using):
            raise IllegalTransition(
                "a post using this photo is being published right now; try again in a minute"
            )
        reopened = [post for post in using if post.can("reopen")]
        asset.focal_x, asset.focal_y = float(x), float(y)
        asset.save(update_fields=["focal_x", "focal_y"])
        media.drop_variants(asset)
        for post in reopened:
            post.reopen()
    return reopened


def set_alt_text(asset: MediaAsset, text: str, *, editing: Post | None = None) -> list[Post]:
    """Change a photo's description for screen readers, as the platforms get it.

    The alt text is part of what a doctor approves, like the crop: the other
    posts using this photo that are in review, approved or scheduled go back
    to draft and are returned (`editing`, the post being saved, judges its
    own change). Refused while a post using it is being published.
    """
    text = text.strip()[:500]
    if text == asset.alt_text:
        return []
    with transaction.atomic():
        using = Post.objects.select_for_update().filter(media=asset).order_by("pk")
        if editing is not None and editing.pk is not None:
            using = using.exclude(pk=editing.pk)
        if any(post.status == Post.Status.PUBLISHING for post in using):
            raise IllegalTransition(
                "a post using this photo is being published right now; try again in a minute"
            )
        reopened = [post for post in using if post.can("reopen")]
        asset.alt_text = text
        asset.save(update_fields=["alt_text"])
        for post in reopened:
            post.reopen()
    return reopened


def set_cover(video: MediaAsset, cover: MediaAsset, *, at: float | None) -> list[Post]:
    """Give a video another cover: a frame of it (`at` seconds in) or an uploaded photo.

    The cover is part of what a doctor approves (Instagram and Facebook show
    it), so the posts using the video go back to draft as for a new crop.
    """
    if not video.is_video or cover.is_video or cover.practice_id != video.practice_id:
        raise ValueError("a video's cover is a photo of the same practice")
    with transaction.atomic():
        using = Post.objects.select_for_update().filter(media=video).order_by("pk")
        if any(post.status == Post.Status.PUBLISHING for post in using):
            raise IllegalTransition(
                "a post using this video is being published right now; try again in a minute"
            )
        reopened = [post for post in using if post.can("reopen")]
        video.poster, video.poster_at = cover, at
        video.save(update_fields=["poster", "poster_at"])
        for post in reopened:
            post.reopen()
    return reopened
