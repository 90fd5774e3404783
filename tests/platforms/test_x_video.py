"""The X client posting one video: chunked upload, processing, lost parts, resuming."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

import pytest
import requests

from platforms import (
    ContentRejected,
    MediaItem,
    PublishRequest,
    ThrottledError,
    TransientError,
)
from tests.platforms.conftest import video_bytes

USER = "3000001"
SMALL = 32 * 1024  # bytes a segment in the multi-part tests


class WorkerKilled(Exception):
    """The worker dies between two steps, after the last one was saved."""


@pytest.fixture
def x(client_for):
    return client_for("x")


@pytest.fixture
def me(account_for):
    return account_for("x", "x-token")


@pytest.fixture
def uploads(sandbox_server):
    """The sandbox's X uploads as it recorded them (same process, read only)."""
    sb = sandbox_server.sandbox
    return lambda: {k: v for k, v in sb.video_uploads.items() if k.startswith("x:")}


def _video_request(item: MediaItem, text: str = "A tour of the new clinic", **kw) -> PublishRequest:
    return PublishRequest(text=text, media=(item,), **kw)


def _segments(item: MediaItem) -> int:
    return math.ceil(item.size / SMALL)


def test_a_video_publishes_and_arrives_whole(x, me, sandbox, video_item):
    item = video_item()
    saved: list[dict] = []
    result = x.publish(me, _video_request(item), on_progress=saved.append)

    [entry] = sandbox.ledger("x", USER)
    assert entry["id"] == result.platform_id and entry["media_count"] == 1
    video = entry["video"]
    assert video["size"] == item.size
    assert video["sha256"] == hashlib.sha256(video_bytes()).hexdigest()
    assert (video["width"], video["height"], video["video_codec"]) == (360, 640, "h264")
    assert video["has_location"] is False
    # One INIT, one APPEND (4 MB segments), one FINALIZE, one STATUS, one post.
    assert sandbox.calls("/initialize") == 1
    assert sandbox.calls("/append") == 1
    assert sandbox.calls("/finalize") == 1
    assert sandbox.calls("GET /2/media/upload") == 1
    assert saved[-1]["video_ready"] is True
    assert saved[-1]["video_media_id"]


def test_small_chunks_go_up_in_order_each_saved(x, me, sandbox, video_item, uploads):
    item = video_item("wide.mp4")
    x.chunk_size = SMALL
    saved: list[dict] = []
    x.publish(me, _video_request(item), on_progress=saved.append)

    [record] = uploads().values()
    assert record["stored"] == list(range(_segments(item)))
    # Saved after INIT, after every segment, after FINALIZE and when processed.
    counts = [s["video_segments"] for s in saved]
    assert counts[: _segments(item) + 1] == list(range(_segments(item) + 1))
    assert sandbox.ledger("x")[0]["video"]["sha256"] == (
        hashlib.sha256(video_bytes("wide.mp4")).hexdigest()
    )


def test_processing_that_takes_several_polls(x, me, sandbox, video_item):
    sandbox.faults(platform="x", video_processing_polls=3)
    x.publish(me, _video_request(video_item()))
    assert sandbox.calls("GET /2/media/upload") == 4
    assert len(sandbox.ledger("x")) == 1


def test_processing_longer_than_the_polls_resumes_at_status(x, me, sandbox, video_item):
    sandbox.faults(platform="x", video_processing_polls=7)  # the client asks 5 times
    saved: list[dict] = []
    with pytest.raises(TransientError, match="still processing"):
        x.publish(me, _video_request(video_item()), on_progress=saved.append)
    assert saved[-1]["video_finalized"] is True and "video_ready" not in saved[-1]

    x.publish(me, _video_request(video_item(), state=saved[-1]))
    assert sandbox.calls("GET /2/media/upload") == 8
    assert (sandbox.calls("/initialize"), sandbox.calls("/append")) == (1, 1)
    assert sandbox.calls("/finalize") == 1
    assert len(sandbox.ledger("x")) == 1


def test_failed_processing_quotes_x(x, me, sandbox, video_item):
    sandbox.faults(platform="x", video_processing_fails=True)
    with pytest.raises(ContentRejected) as caught:
        x.publish(me, _video_request(video_item()))
    assert 'X said: "Unsupported video format"' in caught.value.message
    assert caught.value.platform_code == "InvalidMedia"
    assert sandbox.ledger("x") == []


def test_a_lost_segment_is_sent_again(x, me, sandbox, video_item, uploads):
    item = video_item()
    x.chunk_size = SMALL
    sandbox.faults(platform="x", lost_part=2)
    x.publish(me, _video_request(item))

    [record] = uploads().values()
    assert record["dropped"] == [2]
    assert record["stored"] == list(range(_segments(item)))  # segment 1 stored once
    assert sandbox.calls("/append") == _segments(item) + 1
    assert sandbox.ledger("x")[0]["video"]["sha256"] == hashlib.sha256(video_bytes()).hexdigest()


def test_a_killed_worker_resumes_without_sending_segments_again(
    x, me, sandbox, sandbox_server, video_item, uploads
):
    item = video_item()
    x.chunk_size = SMALL
    saved: list[dict] = []

    def dies_after_two_segments(state: dict) -> None:
        saved.append(state)
        if state.get("video_segments") == 2:
            raise WorkerKilled

    with pytest.raises(WorkerKilled):
        x.publish(me, _video_request(item), on_progress=dies_after_two_segments)
    assert sandbox.calls("/append") == 2

    x.publish(me, _video_request(item, state=saved[-1]))
    [record] = uploads().values()
    assert record["stored"] == list(range(_segments(item)))  # each segment once
    assert sandbox.calls("/initialize") == 1
    assert sandbox.calls("/append") == _segments(item)
    assert len(sandbox_server.sandbox.videos) == 1
    assert len(sandbox.ledger("x")) == 1


def test_an_expired_saved_upload_starts_over(x, me, sandbox, sandbox_server, video_item, uploads):
    item = video_item()
    x.chunk_size = SMALL
    saved: list[dict] = []

    def dies_after_one_segment(state: dict) -> None:
        saved.append(state)
        if state.get("video_segments") == 1:
            raise WorkerKilled

    with pytest.raises(WorkerKilled):
        x.publish(me, _video_request(item), on_progress=dies_after_one_segment)
    # The worker comes back a day later: X has forgotten that media id.
    day_old = (datetime.now(UTC) - timedelta(hours=21)).isoformat()
    stale = {**saved[-1], "video_started_at": day_old, "other": "kept"}
    again: list[dict] = []
    x.publish(me, _video_request(item, state=stale), on_progress=again.append)

    assert sandbox.calls("/initialize") == 2
    assert again[0]["video_media_id"] != stale["video_media_id"]
    assert again[0]["other"] == "kept"
    assert len(uploads()) == 2 and len(sandbox_server.sandbox.videos) == 1
    assert len(sandbox.ledger("x")) == 1


@pytest.mark.parametrize(("bare", "error"), [("429", ThrottledError), ("502_html", TransientError)])
def test_bare_answers_to_append_are_classified_then_resumed(
    x, me, sandbox, video_item, bare, error
):
    item = video_item()
    x.chunk_size = SMALL
    saved: list[dict] = []

    def proxy_trouble_after_init(state: dict) -> None:
        saved.append(state)
        if state.get("video_segments") == 1:
            sandbox.faults(platform="x", bare_rates={bare: 1.0})

    with pytest.raises(error) as caught:
        x.publish(me, _video_request(item), on_progress=proxy_trouble_after_init)
    assert caught.value.platform_code == bare[:3]

    sandbox.clear_faults()
    x.publish(me, _video_request(item, state=saved[-1]))
    assert sandbox.calls("/initialize") == 1
    assert len(sandbox.ledger("x")) == 1


def test_a_video_goes_alone(x, me, sandbox, video_item, photo_url, photo_bytes):
    photo = MediaItem(photo_url(), photo_bytes())
    with pytest.raises(ContentRejected, match="video alone"):
        x.publish(me, PublishRequest(text="Both", media=(video_item(), photo)))
    assert sandbox.calls("/2/media") == 0


def test_too_long_a_video_is_refused_before_sending(x, me, sandbox, video_item):
    item = video_item()
    long = MediaItem(
        url=item.url,
        content_type="video/mp4",
        open=item.open,
        size=item.size,
        duration=200.0,
        width=item.width,
        height=item.height,
    )
    with pytest.raises(ContentRejected, match="X takes videos up to 2 min 20 s"):
        x.publish(me, _video_request(long))
    assert sandbox.calls("/2/media") == 0


def test_finalize_refuses_a_missing_segment(sandbox):
    auth = {"Authorization": "Bearer t"}
    api = f"{sandbox.url}/x_api/2/media/upload"
    data = video_bytes()
    init = requests.post(
        f"{api}/initialize",
        json={"media_type": "video/mp4", "total_bytes": len(data), "media_category": "tweet_video"},
        headers=auth,
        timeout=5,
    )
    media_id = init.json()["data"]["id"]
    requests.post(
        f"{api}/{media_id}/append",
        files={"media": ("s", data[:SMALL], "application/octet-stream")},
        data={"segment_index": "0"},
        headers=auth,
        timeout=5,
    ).raise_for_status()
    refused = requests.post(f"{api}/{media_id}/finalize", headers=auth, timeout=5)
    assert refused.status_code == 400
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["message"] == (
        "Segments do not add up to provided total file size."
    )
