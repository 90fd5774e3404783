"""Every error class, on every platform, driven by the sandbox's fault knobs."""

from __future__ import annotations

import dataclasses
import socket
from datetime import UTC, datetime, timedelta

import pytest

from platforms import (
    AmbiguousOutcome,
    ContentRejected,
    DuplicateContent,
    MediaItem,
    PublishRequest,
    ReconnectNeeded,
    ThrottledError,
    TransientError,
    build_client,
)
from platforms.base import HOST_ROLES

PLATFORMS = ["facebook", "instagram", "linkedin", "x", "google_business"]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("kind", ["token_expired", "permission_revoked"])
def test_bad_token_needs_reconnect(
    platform, kind, sandbox, client_for, account_for, publish_request
):
    sandbox.faults(platform=platform, error_rates={kind: 1.0})
    with pytest.raises(ReconnectNeeded) as caught:
        client_for(platform).publish(account_for(platform), publish_request(platform))
    assert caught.value.kind == "reconnect"
    assert caught.value.platform == platform
    assert "reconnect" in caught.value.message.lower()
    assert sandbox.ledger() == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_revoked_token_needs_reconnect(platform, sandbox, client_for, account_for):
    sandbox.revoke("revoked-token")
    with pytest.raises(ReconnectNeeded):
        client_for(platform).find_recent(
            account_for(platform, "revoked-token"), "x", since=datetime.now(UTC)
        )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_transient_on_a_read_is_transient(platform, sandbox, client_for, account_for):
    sandbox.faults(platform=platform, error_rates={"transient": 1.0})
    with pytest.raises(TransientError) as caught:
        client_for(platform).find_recent(account_for(platform), "x", since=datetime.now(UTC))
    assert caught.value.kind == "transient"


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        # A 5xx answer to the call that creates the post may hide a created
        # post, so it is ambiguous; nothing was created here, as a read shows.
        ("facebook", AmbiguousOutcome),
        ("linkedin", AmbiguousOutcome),
        ("x", AmbiguousOutcome),
        ("google_business", AmbiguousOutcome),
        # Instagram's first call only builds a container: plainly transient.
        ("instagram", TransientError),
    ],
)
def test_transient_on_publish(
    platform, expected, sandbox, client_for, account_for, publish_request
):
    sandbox.faults(platform=platform, error_rates={"transient": 1.0})
    with pytest.raises(expected):
        client_for(platform).publish(account_for(platform), publish_request(platform))
    assert sandbox.ledger() == []


@pytest.mark.parametrize(
    ("platform", "expected"),
    [("facebook", 120), ("instagram", 120), ("x", 120), ("google_business", 120)],
)
def test_throttled_says_how_long_to_wait(
    platform, expected, sandbox, client_for, account_for, publish_request
):
    sandbox.faults(platform=platform, error_rates={"throttled": 1.0}, retry_after_s=120)
    with pytest.raises(ThrottledError) as caught:
        client_for(platform).publish(account_for(platform), publish_request(platform))
    assert caught.value.retry_after == pytest.approx(expected, abs=2)
    assert sandbox.ledger() == []


@pytest.mark.parametrize(
    ("platform", "words"),
    [
        ("facebook", "goes against our Community Standards"),
        ("instagram", "aspect ratio"),
        ("linkedin", "Professional Community Policies"),
        ("x", "You are not permitted to perform this action."),
        ("google_business", "content policy"),
    ],
)
def test_rejected_tells_a_person_what_the_platform_said(
    platform, words, sandbox, client_for, account_for, publish_request
):
    sandbox.faults(platform=platform, error_rates={"rejected": 1.0})
    with pytest.raises(ContentRejected) as caught:
        client_for(platform).publish(account_for(platform), publish_request(platform))
    assert words in caught.value.message
    assert caught.value.kind == "rejected"


@pytest.mark.parametrize("platform", ["facebook", "linkedin", "x"])
def test_duplicate_knob(platform, sandbox, client_for, account_for, publish_request):
    sandbox.faults(platform=platform, error_rates={"duplicate": 1.0})
    with pytest.raises(DuplicateContent):
        client_for(platform).publish(account_for(platform), publish_request(platform))
    assert sandbox.ledger() == []


@pytest.mark.parametrize("platform", PLATFORMS)
# no_id: a success that does not name the post, which may be anywhere or nowhere.
@pytest.mark.parametrize("mode", ["drop", "5xx", "no_id"])
def test_ambiguous_answer_but_the_post_exists_and_is_found(
    platform, mode, sandbox, client_for, account_for, publish_request
):
    client, account = client_for(platform), account_for(platform)
    since = datetime.now(UTC) - timedelta(seconds=5)
    sandbox.faults(platform=platform, ambiguous_rate=1.0, ambiguous_mode=mode)
    request = publish_request(platform, f"Lost answer {mode}")
    with pytest.raises(AmbiguousOutcome) as caught:
        client.publish(account, request)
    assert caught.value.kind == "ambiguous"
    [entry] = sandbox.ledger(platform)

    sandbox.faults(platform=platform, ambiguous_rate=0.0)
    found = client.find_recent(account, request.text, since=since)
    assert found is not None and found.platform_id == entry["id"]


def test_a_facebook_photo_post_answered_without_ids_is_ambiguous(
    sandbox, client_for, account_for, photo_bytes, photo_url
):
    # One photo is created by /photos, which answers with both a photo and a post id.
    sandbox.faults(platform="facebook", ambiguous_rate=1.0, ambiguous_mode="no_id")
    item = MediaItem(url=photo_url(), data=photo_bytes())
    with pytest.raises(AmbiguousOutcome):
        client_for("facebook").publish(
            account_for("facebook"), PublishRequest(text="One photo", media=(item,))
        )
    assert len(sandbox.ledger("facebook")) == 1


@pytest.mark.parametrize(
    ("platform", "photos"),
    # The uploads before the post: X media, unpublished Facebook photos, Instagram containers.
    [("x", 1), ("facebook", 2), ("instagram", 1), ("instagram", 2)],
)
def test_an_upload_answered_without_its_id_is_retried_and_nothing_is_saved(
    platform, photos, sandbox, client_for, account_for, photo_url, photo_bytes
):
    sandbox.faults(platform=platform, uploads_without_id=True)
    media = tuple(MediaItem(url=photo_url(), data=photo_bytes()) for _ in range(photos))
    saved: list[dict] = []
    with pytest.raises(TransientError, match="did not include the new id"):
        client_for(platform).publish(
            account_for(platform),
            PublishRequest(text="Upload without id", media=media),
            on_progress=saved.append,
        )
    assert saved == []  # no made-up id is kept for the next attempt
    assert sandbox.ledger() == []


def test_a_read_timeout_on_create_is_ambiguous_and_on_a_read_transient(
    config, sandbox, account_for
):
    slow = build_client("linkedin", dataclasses.replace(config, read_timeout=0.2))
    account = account_for("linkedin")
    sandbox.faults(platform="linkedin", latency_ms=500)
    with pytest.raises(AmbiguousOutcome, match="did not answer in time"):
        slow.publish(account, PublishRequest(text="Slow platform"))
    assert len(sandbox.ledger("linkedin")) == 1  # it was created all the same
    with pytest.raises(TransientError):
        slow.read_back(account, sandbox.ledger("linkedin")[0]["id"])


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_unreachable_platform_is_transient_even_when_creating(
    platform, config, account_for, publish_request
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on that port now: the connection is refused, nothing was sent.
    down = dataclasses.replace(
        config, hosts={role: f"http://127.0.0.1:{port}/{role}" for role in HOST_ROLES}
    )
    with pytest.raises(TransientError, match="nothing was sent"):
        build_client(platform, down).publish(account_for(platform), publish_request(platform))


def test_graph_counts_the_wait_in_whole_minutes(sandbox, client_for, account_for):
    # Under a minute, Graph's usage header says 0: no wait given, the caller backs off.
    sandbox.faults(platform="facebook", error_rates={"throttled": 1.0}, retry_after_s=30)
    with pytest.raises(ThrottledError) as caught:
        client_for("facebook").publish(account_for("facebook"), PublishRequest(text="Soon"))
    assert caught.value.retry_after is None


def test_a_chosen_wait_reaches_linkedin_clients_as_retry_after(sandbox, client_for, account_for):
    sandbox.faults(platform="linkedin", error_rates={"throttled": 1.0}, retry_after_s=30)
    with pytest.raises(ThrottledError) as caught:
        client_for("linkedin").publish(account_for("linkedin"), PublishRequest(text="Soon"))
    assert caught.value.retry_after == 30


@pytest.mark.parametrize(
    ("platform", "later_posts"),
    # One more page than each client asks for at once.
    [("facebook", 55), ("instagram", 55), ("linkedin", 55), ("x", 105), ("google_business", 105)],
)
def test_find_recent_pages_back_through_a_busy_timeline(
    platform, later_posts, sandbox, client_for, account_for, publish_request
):
    sandbox.faults(platform=platform, quota_limit=1000)
    client, account = client_for(platform), account_for(platform)
    since = datetime.now(UTC) - timedelta(seconds=5)
    ours = client.publish(account, publish_request(platform, "The one we look for"))
    for n in range(later_posts):
        client.publish(account, publish_request(platform, f"Later post {n}"))
    found = client.find_recent(account, "The one we look for", since=since)
    assert found is not None and found.platform_id == ours.platform_id
