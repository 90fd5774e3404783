"""Facebook Page video through the resumable upload session: parts the platform asks
for, a lost part, resuming after a killed worker, processing; and Google refusing one."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta

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
from tests.platforms.conftest import video_bytes

PAGE = "1000001"


class Killed(Exception):
    """The worker dying mid-upload, right after saving its progress."""


@pytest.fixture
def fb(client_for):
    return client_for("facebook")


@pytest.fixture
def page(account_for):
    return account_for("facebook", "page-token")


@pytest.fixture
def sb(sandbox, sandbox_server):
    """The sandbox's own memory (upload sessions, videos), emptied by `sandbox`."""
    return sandbox_server.sandbox


def _upload(sb, state: dict) -> dict:
    return sb.video_uploads[f"facebook:{state['video_session_id']}"]


def _contiguous(parts: list[list[int]], size: int) -> bool:
    """Every byte once, in order: no part sent twice, none missing."""
    return [p[0] for p in parts] == [0] + [p[1] for p in parts[:-1]] and parts[-1][1] == size


def test_a_video_publishes_through_an_upload_session(fb, page, sandbox, sb, video_item):
    item = video_item()
    saved: list[dict] = []
    result = fb.publish(
        page, PublishRequest(text="Our new clinic", media=(item,)), on_progress=saved.append
    )

    [entry] = sandbox.ledger("facebook", PAGE)
    assert entry["id"] == result.platform_id == saved[-1]["video_id"]
    assert (entry["text"], entry["media_count"]) == ("Our new clinic", 1)
    assert entry["video"]["sha256"] == hashlib.sha256(video_bytes()).hexdigest()
    assert entry["video"]["has_location"] is False
    upload = _upload(sb, saved[-1])
    # Facebook chose the parts; each arrived once, and progress was saved after each.
    assert len(upload["parts"]) >= 3 and _contiguous(upload["parts"], item.size)
    assert upload["transfers"] == len(upload["parts"])
    offsets = [s["video_offset"] for s in saved if not s["video_finished"]]
    assert offsets == [0] + [p[1] for p in upload["parts"]]
    assert saved[-1]["video_finished"] is True
    shown = requests.get(result.permalink, timeout=5)
    assert shown.status_code == 200 and "Our new clinic" in shown.text


def test_read_back_find_recent_metrics_and_delete_know_a_video(fb, page, sandbox, video_item):
    since = datetime.now(UTC) - timedelta(seconds=5)
    fb.publish(page, PublishRequest(text="A text post"))
    result = fb.publish(page, PublishRequest(text="A video post", media=(video_item(),)))

    remote = fb.read_back(page, result.platform_id)
    assert (remote.platform_id, remote.text) == (result.platform_id, "A video post")
    assert fb.find_recent(page, "A video post", since=since).platform_id == result.platform_id
    assert fb.find_recent(page, "A text post", since=since).platform_id != result.platform_id

    truth = next(e for e in sandbox.ledger("facebook") if e["id"] == result.platform_id)
    metrics = fb.metrics(page, result.platform_id)
    assert (metrics.reach, metrics.impressions, metrics.likes, metrics.comments) == (
        truth["metrics"]["reach"],
        truth["metrics"]["impressions"],
        truth["metrics"]["likes"],
        truth["metrics"]["comments"],
    )

    fb.delete(page, result.platform_id)
    assert fb.read_back(page, result.platform_id) is None


def test_processing_that_takes_several_polls_is_waited_for(fb, page, sandbox, video_item):
    sandbox.faults(platform="facebook", video_processing_polls=3)
    result = fb.publish(page, PublishRequest(text="Patience", media=(video_item(),)))
    assert [e["id"] for e in sandbox.ledger("facebook")] == [result.platform_id]


def test_processing_that_fails_quotes_facebook(fb, page, sandbox, video_item):
    sandbox.faults(platform="facebook", video_processing_polls=1, video_processing_fails=True)
    with pytest.raises(ContentRejected) as caught:
        fb.publish(page, PublishRequest(text="Broken", media=(video_item(),)))
    assert "could not process the video" in caught.value.message
    assert 'Facebook said: "There was a problem processing your video.' in caught.value.message
    assert caught.value.platform_code == "6000"


def test_polls_running_out_resume_waiting_for_the_same_video(fb, page, sandbox, sb, video_item):
    sandbox.faults(platform="facebook", video_processing_polls=8)
    request = PublishRequest(text="Slow video", media=(video_item(),))
    saved: list[dict] = []
    with pytest.raises(TransientError, match="still processing the video"):
        fb.publish(page, request, on_progress=saved.append)
    assert saved[-1]["video_finished"] is True
    transfers = _upload(sb, saved[-1])["transfers"]

    resumed: list[dict] = []
    result = fb.publish(
        page, dataclasses.replace(request, state=saved[-1]), on_progress=resumed.append
    )
    assert resumed == []  # nothing uploaded or finished again
    assert result.platform_id == saved[-1]["video_id"]
    assert len(sb.video_uploads) == len(sb.videos) == 1
    assert _upload(sb, saved[-1])["transfers"] == transfers
    assert len(sandbox.ledger("facebook")) == 1


def test_a_lost_part_is_sent_again(fb, page, sandbox, sb, video_item):
    sandbox.faults(platform="facebook", lost_part=2)
    item = video_item()
    saved: list[dict] = []
    fb.publish(page, PublishRequest(text="Bumpy line", media=(item,)), on_progress=saved.append)

    upload = _upload(sb, saved[-1])
    assert upload["lost"] is True
    assert upload["transfers"] == len(upload["parts"]) + 1  # the dropped one, then again
    assert _contiguous(upload["parts"], item.size)
    [entry] = sandbox.ledger("facebook")
    assert entry["video"]["sha256"] == hashlib.sha256(video_bytes()).hexdigest()


def test_a_killed_upload_resumes_from_the_saved_offset(fb, page, sandbox, sb, video_item):
    item = video_item()
    request = PublishRequest(text="Resumed video", media=(item,))
    saved: list[dict] = []

    def dies_after_two_parts(state: dict) -> None:
        saved.append(state)
        if len(saved) == 3:  # start, part 1, part 2
            raise Killed

    with pytest.raises(Killed):
        fb.publish(page, request, on_progress=dies_after_two_parts)
    state = saved[-1]
    upload = _upload(sb, state)
    assert state["video_offset"] == upload["parts"][1][1] > 0
    assert sandbox.ledger() == []

    fb.publish(page, dataclasses.replace(request, state=state))
    assert upload["parts"][2][0] == state["video_offset"]
    assert upload["transfers"] == len(upload["parts"])  # no acknowledged part sent again
    assert _contiguous(upload["parts"], item.size)
    assert len(sb.video_uploads) == 1 and len(sandbox.ledger("facebook")) == 1


def test_facebook_says_where_to_resume_when_our_offset_is_behind(fb, page, sandbox, sb, video_item):
    item = video_item()
    request = PublishRequest(text="Answer lost", media=(item,))
    saved: list[dict] = []

    def dies_after_two_parts(state: dict) -> None:
        saved.append(state)
        if len(saved) == 3:
            raise Killed

    with pytest.raises(Killed):
        fb.publish(page, request, on_progress=dies_after_two_parts)
    # As if part 2's answer had been lost: the saved offset is part 1's.
    behind = saved[1]
    fb.publish(page, dataclasses.replace(request, state=behind))
    upload = _upload(sb, behind)
    assert _contiguous(upload["parts"], item.size)  # part 2 was not stored twice
    assert len(sandbox.ledger("facebook")) == 1


def test_a_stale_upload_session_starts_over(fb, page, sandbox, sb, video_item):
    request = PublishRequest(text="Days later", media=(video_item(),))
    saved: list[dict] = []

    def dies_after_one_part(state: dict) -> None:
        saved.append(state)
        if len(saved) == 2:
            raise Killed

    with pytest.raises(Killed):
        fb.publish(page, request, on_progress=dies_after_one_part)
    old = dict(saved[-1], video_started_at=(datetime.now(UTC) - timedelta(days=2)).isoformat())
    resumed: list[dict] = []
    result = fb.publish(page, dataclasses.replace(request, state=old), on_progress=resumed.append)
    assert resumed[-1]["video_session_id"] != old["video_session_id"]
    assert len(sb.video_uploads) == 2
    assert [e["id"] for e in sandbox.ledger("facebook")] == [result.platform_id]


def test_an_unclear_finish_is_found_and_never_makes_a_second_video(
    fb, page, sandbox, sb, video_item
):
    since = datetime.now(UTC) - timedelta(seconds=5)
    sandbox.faults(platform="facebook", ambiguous_rate=1.0, ambiguous_mode="drop")
    request = PublishRequest(text="Did it post?", media=(video_item(),))
    saved: list[dict] = []
    with pytest.raises(AmbiguousOutcome):
        fb.publish(page, request, on_progress=saved.append)
    [entry] = sandbox.ledger("facebook")
    sandbox.clear_faults()
    assert fb.find_recent(page, "Did it post?", since=since).platform_id == entry["id"]

    # A retry with the saved state finishes the same session: still one video.
    result = fb.publish(page, dataclasses.replace(request, state=saved[-1]))
    assert result.platform_id == entry["id"]
    assert len(sandbox.ledger("facebook")) == 1 and len(sb.video_uploads) == 1


@pytest.mark.parametrize(
    ("kind", "expected"), [("429", ThrottledError), ("502_html", TransientError)]
)
def test_bare_answers_are_classified(fb, page, sandbox, video_item, kind, expected):
    # The first call only opens an upload session: nothing can be published yet.
    sandbox.faults(platform="facebook", bare_rates={kind: 1.0})
    with pytest.raises(expected):
        fb.publish(page, PublishRequest(text="Behind a proxy", media=(video_item(),)))
    assert sandbox.ledger() == []


def test_a_video_beside_a_photo_is_refused(fb, page, sandbox, video_item, photo_url):
    photo = MediaItem(url=photo_url())
    with pytest.raises(ContentRejected, match="one video only"):
        fb.publish(page, PublishRequest(text="Mixed", media=(video_item(), photo)))
    assert sandbox.calls("/v") == 0  # no platform route was called


def test_google_refuses_a_video_before_calling(client_for, account_for, sandbox, video_item):
    google = client_for("google_business")
    with pytest.raises(ContentRejected, match="cannot include a video") as caught:
        google.publish(
            account_for("google_business"),
            PublishRequest(text="Tour of the clinic", media=(video_item(),)),
        )
    assert caught.value.platform == "google_business"
    assert sandbox.calls("/v") == 0  # no platform route was called
