"""Instagram Reels: a video as a REELS container Instagram fetches, its processing,
resuming a container still in progress, and what the client refuses before calling."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
import requests

from platforms import (
    AmbiguousOutcome,
    ContentRejected,
    MediaItem,
    PublishRequest,
    ThrottledError,
    TransientError,
)
from platforms.instagram import REEL_MAX_ASPECT, REEL_MAX_SECONDS, reel_problems
from tests.platforms.conftest import video_bytes

IG = "17841400000000001"


@pytest.fixture
def ig(client_for):
    return client_for("instagram")


@pytest.fixture
def user(account_for):
    return account_for("instagram", "ig-token")


@pytest.fixture
def sb(sandbox, sandbox_server):
    """The sandbox's own memory (containers, uploads), emptied by `sandbox`."""
    return sandbox_server.sandbox


def test_a_reel_publishes_and_arrives_without_location_tags(ig, user, sandbox, sb, video_item):
    item = video_item()
    saved: list[dict] = []
    result = ig.publish(
        user, PublishRequest(text="Meet the team", media=(item,)), on_progress=saved.append
    )

    [entry] = sandbox.ledger("instagram", IG)
    assert (entry["id"], entry["text"], entry["media_count"]) == (
        result.platform_id,
        "Meet the team",
        1,
    )
    video = entry["video"]
    assert video["sha256"] == hashlib.sha256(video_bytes()).hexdigest()
    assert (video["width"], video["height"], video["video_codec"]) == (360, 640, "h264")
    assert video["has_location"] is False
    # Saved under the video's own keys, so a photo's saved container never mixes in.
    assert saved[0]["video_container_id"] and "container_id" not in saved[0]
    container = sb.ig_containers[saved[0]["video_container_id"]]
    assert container["media_type"] == "REELS"
    assert (container["video_url"], container["cover_url"]) == (item.url, item.cover_url)
    assert container["share_to_feed"] is True
    assert ig.read_back(user, result.platform_id).text == "Meet the team"


def test_processing_that_takes_several_polls_is_waited_for(ig, user, sandbox, video_item):
    sandbox.faults(platform="instagram", video_processing_polls=3)
    result = ig.publish(user, PublishRequest(text="Patience", media=(video_item(),)))
    assert [e["id"] for e in sandbox.ledger("instagram")] == [result.platform_id]


def test_processing_that_fails_quotes_instagram(ig, user, sandbox, video_item):
    sandbox.faults(platform="instagram", video_processing_polls=1, video_processing_fails=True)
    with pytest.raises(ContentRejected) as caught:
        ig.publish(user, PublishRequest(text="Broken", media=(video_item(),)))
    assert "could not process the video" in caught.value.message
    assert 'Instagram said: "Error: Media upload has failed with error code 2207026"' in (
        caught.value.message
    )
    assert caught.value.platform_code == "2207026"
    assert sandbox.ledger() == []


def test_polls_running_out_resume_the_same_container(ig, user, sandbox, sb, video_item):
    sandbox.faults(platform="instagram", video_processing_polls=8)
    request = PublishRequest(text="Slow video", media=(video_item(),))
    saved: list[dict] = []
    with pytest.raises(TransientError, match="still processing the video"):
        ig.publish(user, request, on_progress=saved.append)
    assert sandbox.ledger() == []

    resumed: list[dict] = []
    result = ig.publish(
        user, dataclasses.replace(request, state=saved[-1]), on_progress=resumed.append
    )
    assert resumed == []  # no second container was built
    assert len(sb.ig_containers) == 1 and len(sb.video_uploads) == len(sb.videos) == 1
    assert [e["id"] for e in sandbox.ledger("instagram")] == [result.platform_id]


def test_an_expired_reel_container_is_built_again(ig, user, sandbox, sb, video_item, advance_clock):
    sandbox.faults(platform="instagram", video_processing_polls=50)
    request = PublishRequest(text="Next day", media=(video_item(),))
    saved: list[dict] = []
    with pytest.raises(TransientError):
        ig.publish(user, request, on_progress=saved.append)
    old = saved[-1]["video_container_id"]

    sandbox.faults(platform="instagram", video_processing_polls=0)
    advance_clock(25 * 3600)
    status = requests.get(
        f"{sandbox.url}/instagram_graph/v25.0/{old}",
        params={"fields": "status_code"},
        headers={"Authorization": "Bearer ig-token"},
        timeout=5,
    ).json()
    assert status["status_code"] == "EXPIRED"

    rebuilt: list[dict] = []
    ig.publish(user, dataclasses.replace(request, state=saved[-1]), on_progress=rebuilt.append)
    assert rebuilt[-1]["video_container_id"] not in (None, old)
    assert len(sb.ig_containers) == 2
    assert len(sandbox.ledger("instagram")) == 1


def test_an_unclear_publish_is_found_not_published_twice(ig, user, sandbox, video_item):
    sandbox.faults(platform="instagram", ambiguous_rate=1.0, ambiguous_mode="drop")
    request = PublishRequest(text="Exactly once", media=(video_item(),))
    saved: list[dict] = []
    with pytest.raises(AmbiguousOutcome):
        ig.publish(user, request, on_progress=saved.append)
    [entry] = sandbox.ledger("instagram")

    sandbox.clear_faults()
    result = ig.publish(user, dataclasses.replace(request, state=saved[-1]))
    assert result.platform_id == entry["id"]
    assert len(sandbox.ledger("instagram")) == 1


def test_too_wide_and_too_long_are_refused_before_any_call(ig, user, sandbox, video_item):
    with pytest.raises(ContentRejected, match="this video is too wide"):
        ig.publish(user, PublishRequest(text="Landscape", media=(video_item("wide.mp4"),)))
    long = dataclasses.replace(video_item(), duration=REEL_MAX_SECONDS + 30)
    with pytest.raises(ContentRejected, match="takes videos up to 1 min 30 s"):
        ig.publish(user, PublishRequest(text="Long", media=(long,)))
    assert sandbox.calls("/v") == 0  # no platform route was called


def test_a_video_beside_a_photo_is_refused(ig, user, sandbox, video_item, photo_url):
    photo = MediaItem(url=photo_url())
    with pytest.raises(ContentRejected, match="one video only"):
        ig.publish(user, PublishRequest(text="Mixed", media=(video_item(), photo)))
    assert sandbox.calls("/v") == 0  # no platform route was called


@pytest.mark.parametrize(
    ("kind", "expected"), [("429", ThrottledError), ("502_html", TransientError)]
)
def test_bare_answers_are_classified(ig, user, sandbox, video_item, kind, expected):
    sandbox.faults(platform="instagram", bare_rates={kind: 1.0})
    with pytest.raises(expected):
        ig.publish(user, PublishRequest(text="Behind a proxy", media=(video_item(),)))
    assert sandbox.ledger() == []


def test_the_limits_the_editor_shares():
    assert (REEL_MAX_SECONDS, REEL_MAX_ASPECT) == (90, 4 / 5)
    assert reel_problems(width=1080, height=1920, duration=30) == []
    assert reel_problems(width=1080, height=1350, duration=90) == []  # 4:5 exactly
    [wide] = reel_problems(width=1920, height=1080, duration=30)
    assert "too wide (1920×1080)" in wide
