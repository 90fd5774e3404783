"""A video post through the publishing engine, against the sandbox over HTTP: Instagram
(a Reel), Facebook, LinkedIn and X get the clip, Google its cover photo; nothing that
arrives carries the place it was shot."""

from __future__ import annotations

import pytest

from posts.models import MediaVariant, Post, Publication
from tests.publishing_support import ALL_PLATFORMS, make_due, ready_video, scheduled_post

Status = Publication.Status
VIDEO_PLATFORMS = ["facebook", "instagram", "linkedin", "x"]


def test_a_video_post_goes_out_once_everywhere_with_no_location(
    transactional_db, live_server, world, sandbox, run_due, settings, media_storage
):
    # Twice: read from a folder, and from a bucket, which reads forward only (an
    # upload that resumes reads its local copy).
    # Instagram fetches the clip and its cover from our signed URLs.
    settings.SITE_URL = live_server.url
    clip = ready_video(world["practice"], world["author"])
    post = scheduled_post(world, ALL_PLATFORMS, photos=[clip])

    run_due()
    for _ in range(5):  # Instagram's container may still be processing: later rounds
        if not post.publications.exclude(status=Status.PUBLISHED).exists():
            break
        make_due(post)
        run_due()

    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED, _dbg(post)
    x_file = MediaVariant.objects.get(asset=clip, spec=MediaVariant.FOR_X)
    for platform in VIDEO_PLATFORMS:
        [entry] = sandbox.ledger(platform)
        received = entry["video"]
        assert received["video_codec"] == "h264" and received["audio_codec"] == "aac"
        assert received["duration"] == pytest.approx(4.0, abs=0.2)
        assert not received["has_location"], platform
        assert not {k for k in received["tags"] if k in ("location", "model", "author")}
        expected = x_file.size_bytes if platform == "x" else clip.size_bytes
        assert received["size"] == expected, platform
        assert (received["width"], received["height"]) == (180, 320)
    # Google's local post takes no video: the cover went instead, as a photo.
    [local] = sandbox.ledger("google_business")
    assert local["media_count"] == 1 and "video" not in local


def test_a_clip_a_platform_would_refuse_is_held_back_by_the_editor_rules(world):
    from posts.rules import publishability

    wide = ready_video(world["practice"], world["author"], kind="phone")  # 2 s, 4:3
    post = scheduled_post(world, ALL_PLATFORMS, photos=[wide])
    found = {(p.platform, p.message) for p in publishability.problems(post)}
    assert (
        "instagram",
        "Instagram (a Reel) takes frames upright, from 1:2 to 4:5; this video is too wide "
        "(320×240).",
    ) in found
    assert (
        "instagram",
        "Instagram (a Reel) takes videos of at least 3 s; this one is 2 s.",
    ) in found
    assert ("linkedin", "LinkedIn takes videos of at least 3 s; this one is 2 s.") in found
    assert {platform for platform, _ in found} == {"instagram", "linkedin"}


def _dbg(post):
    return [(p.account.platform, p.status, p.last_error_message) for p in post.publications.all()]
