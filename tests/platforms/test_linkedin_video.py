"""The LinkedIn client posting one video: Videos API parts, ETags, processing, resuming."""

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

ORG = "urn:li:organization:2000001"
SMALL = 32 * 1024  # bytes a part in the multi-part tests (the sandbox's knob)


class WorkerKilled(Exception):
    """The worker dies between two steps, after the last one was saved."""


@pytest.fixture
def li(client_for):
    return client_for("linkedin")


@pytest.fixture
def org(account_for):
    return account_for("linkedin", "li-token")


@pytest.fixture
def uploads(sandbox_server):
    """The sandbox's LinkedIn video uploads as it recorded them (same process, read only)."""
    sb = sandbox_server.sandbox
    return lambda: {k: v for k, v in sb.video_uploads.items() if k.startswith("linkedin:")}


@pytest.fixture
def small_parts(sandbox):
    sandbox.faults(platform="linkedin", video_part_bytes=SMALL)


def _video_request(item: MediaItem, text: str = "Meet Dr. Osei (video)", **kw) -> PublishRequest:
    return PublishRequest(text=text, media=(item,), **kw)


def _parts(item: MediaItem) -> int:
    return math.ceil(item.size / SMALL)


def test_a_video_publishes_and_arrives_whole(li, org, sandbox, video_item):
    item = video_item()
    saved: list[dict] = []
    result = li.publish(org, _video_request(item), on_progress=saved.append)

    [entry] = sandbox.ledger("linkedin", ORG)
    assert entry["id"] == result.platform_id and entry["media_count"] == 1
    video = entry["video"]
    assert video["size"] == item.size
    assert video["sha256"] == hashlib.sha256(video_bytes()).hexdigest()
    assert (video["width"], video["height"], video["audio_codec"]) == (360, 640, "aac")
    assert video["has_location"] is False
    # The post carries the video and a title (the text is escaped, the title is not).
    content = requests.get(
        f"{sandbox.url}/linkedin_api/rest/posts/{requests.utils.quote(result.platform_id, '')}",
        headers={
            "Authorization": "Bearer li-token",
            "LinkedIn-Version": li.config.linkedin_version,
            "X-Restli-Protocol-Version": "2.0.0",
        },
        timeout=5,
    ).json()["content"]
    assert content["media"] == {"id": saved[-1]["video_urn"], "title": "Meet Dr. Osei (video)"}
    assert saved[-1]["video_urn"].startswith("urn:li:video:")
    assert saved[-1]["video_ready"] is True
    assert sandbox.calls("PUT /dms-uploads/video") == 1  # 4 MB parts: one


def test_several_parts_each_with_its_etag(li, org, sandbox, video_item, uploads, small_parts):
    item = video_item("wide.mp4")
    saved: list[dict] = []
    li.publish(org, _video_request(item), on_progress=saved.append)

    [record] = uploads().values()
    assert record["stored"] == list(range(1, _parts(item) + 1))
    assert [len(s["video_etags"]) for s in saved][: _parts(item) + 1] == list(
        range(_parts(item) + 1)
    )
    assert saved[-1]["video_etags"] == [record["etags"][n] for n in range(1, _parts(item) + 1)]
    assert sandbox.ledger("linkedin")[0]["video"]["sha256"] == (
        hashlib.sha256(video_bytes("wide.mp4")).hexdigest()
    )


def test_processing_that_takes_several_polls(li, org, sandbox, video_item):
    sandbox.faults(platform="linkedin", video_processing_polls=3)
    li.publish(org, _video_request(video_item()))
    assert sandbox.calls("GET /rest/videos/") == 4
    assert len(sandbox.ledger("linkedin")) == 1


def test_processing_longer_than_the_polls_resumes_by_asking_again(li, org, sandbox, video_item):
    sandbox.faults(platform="linkedin", video_processing_polls=7)  # the client asks 5 times
    saved: list[dict] = []
    with pytest.raises(TransientError, match="still processing"):
        li.publish(org, _video_request(video_item()), on_progress=saved.append)
    assert saved[-1]["video_finalized"] is True

    li.publish(org, _video_request(video_item(), state=saved[-1]))
    assert sandbox.calls("GET /rest/videos/") == 8
    assert sandbox.calls("PUT /dms-uploads/video") == 1
    assert sandbox.calls("POST /rest/videos") == 2  # initializeUpload, finalizeUpload
    assert len(sandbox.ledger("linkedin")) == 1


def test_failed_processing_gives_linkedins_reason(li, org, sandbox, video_item):
    sandbox.faults(platform="linkedin", video_processing_fails=True)
    with pytest.raises(ContentRejected) as caught:
        li.publish(org, _video_request(video_item()))
    assert "LinkedIn could not process the video." in caught.value.message
    assert 'LinkedIn said: "The video could not be processed' in caught.value.message
    assert caught.value.platform_code == "PROCESSING_FAILED"
    assert sandbox.ledger("linkedin") == []


def test_a_lost_part_is_put_again(li, org, sandbox, video_item, uploads, small_parts):
    item = video_item()
    sandbox.faults(platform="linkedin", lost_part=3)
    li.publish(org, _video_request(item))

    [record] = uploads().values()
    assert record["dropped"] == [3]
    assert record["stored"] == list(range(1, _parts(item) + 1))  # part 3 stored once
    assert sandbox.calls("PUT /dms-uploads/video") == _parts(item) + 1
    assert sandbox.ledger("linkedin")[0]["video"]["sha256"] == (
        hashlib.sha256(video_bytes()).hexdigest()
    )


def test_a_killed_worker_resumes_without_putting_parts_again(
    li, org, sandbox, sandbox_server, video_item, uploads, small_parts
):
    item = video_item()
    saved: list[dict] = []

    def dies_after_two_parts(state: dict) -> None:
        saved.append(state)
        if len(state.get("video_etags", [])) == 2:
            raise WorkerKilled

    with pytest.raises(WorkerKilled):
        li.publish(org, _video_request(item), on_progress=dies_after_two_parts)
    assert sandbox.calls("PUT /dms-uploads/video") == 2

    li.publish(org, _video_request(item, state=saved[-1]))
    [record] = uploads().values()
    assert record["stored"] == list(range(1, _parts(item) + 1))  # each part once
    assert sandbox.calls("PUT /dms-uploads/video") == _parts(item)
    assert len(sandbox_server.sandbox.videos) == 1
    assert len(sandbox.ledger("linkedin")) == 1


def test_expired_upload_urls_start_over(
    li, org, sandbox, sandbox_server, video_item, uploads, small_parts
):
    item = video_item()
    saved: list[dict] = []

    def dies_after_one_part(state: dict) -> None:
        saved.append(state)
        if len(state.get("video_etags", [])) == 1:
            raise WorkerKilled

    with pytest.raises(WorkerKilled):
        li.publish(org, _video_request(item), on_progress=dies_after_one_part)
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    stale = {**saved[-1], "video_urls_expire_at": an_hour_ago, "other": "kept"}
    again: list[dict] = []
    li.publish(org, _video_request(item, state=stale), on_progress=again.append)

    assert again[0]["video_urn"] != stale["video_urn"] and again[0]["video_etags"] == []
    assert again[0]["other"] == "kept"
    assert len(uploads()) == 2 and len(sandbox_server.sandbox.videos) == 1
    assert len(sandbox.ledger("linkedin")) == 1


@pytest.mark.parametrize(("bare", "error"), [("429", ThrottledError), ("502_html", TransientError)])
def test_bare_answers_to_a_part_are_classified_then_resumed(
    li, org, sandbox, video_item, small_parts, bare, error
):
    item = video_item()
    saved: list[dict] = []

    def proxy_trouble_after_a_part(state: dict) -> None:
        saved.append(state)
        if len(state.get("video_etags", [])) == 1:
            sandbox.faults(platform="linkedin", bare_rates={bare: 1.0})

    with pytest.raises(error) as caught:
        li.publish(org, _video_request(item), on_progress=proxy_trouble_after_a_part)
    assert caught.value.platform_code == bare[:3]
    assert sandbox.calls("PUT /dms-uploads/video") == 2

    sandbox.faults(platform="linkedin", bare_rates={bare: 0.0})
    li.publish(org, _video_request(item, state=saved[-1]))
    assert sandbox.calls("POST /rest/videos") == 2  # one initializeUpload, one finalizeUpload
    assert len(sandbox.ledger("linkedin")) == 1


def test_too_small_a_file_is_refused_before_sending(li, org, sandbox, video_item):
    tiny = MediaItem(
        url="https://example.com/v.mp4",
        content_type="video/mp4",
        open=video_item().open,
        size=1000,
        duration=4.0,
    )
    with pytest.raises(ContentRejected, match="75 KB"):
        li.publish(org, _video_request(tiny))
    assert sandbox.calls("/rest/videos") == 0


def test_finalize_refuses_a_missing_or_wrong_etag(sandbox, config, small_parts):
    headers = {
        "Authorization": "Bearer t",
        "LinkedIn-Version": config.linkedin_version,
        "X-Restli-Protocol-Version": "2.0.0",
    }
    data = video_bytes()
    init = requests.post(
        f"{sandbox.url}/linkedin_api/rest/videos?action=initializeUpload",
        json={"initializeUploadRequest": {"owner": ORG, "fileSizeBytes": len(data)}},
        headers=headers,
        timeout=5,
    ).json()["value"]
    etags = []
    for part in init["uploadInstructions"][:2]:
        put = requests.put(
            part["uploadUrl"],
            data=data[part["firstByte"] : part["lastByte"] + 1],
            headers={"Authorization": "Bearer t"},
            timeout=5,
        )
        etags.append(put.headers["ETag"])

    def finalize(part_ids: list[str]) -> requests.Response:
        return requests.post(
            f"{sandbox.url}/linkedin_api/rest/videos?action=finalizeUpload",
            json={
                "finalizeUploadRequest": {
                    "video": init["video"],
                    "uploadToken": init["uploadToken"],
                    "uploadedPartIds": part_ids,
                }
            },
            headers=headers,
            timeout=5,
        )

    missing = finalize(etags)
    assert missing.status_code == 400
    [problem] = missing.json()["errorDetails"]["inputErrors"]
    assert problem["description"] == "Part 3 is missing or its ETag is wrong"
    wrong = finalize([etags[1], etags[0]])
    assert wrong.json()["errorDetails"]["inputErrors"][0]["description"].startswith("Part 1 ")
