"""Answers that are not the platform's own: a proxy's bare 429, an edge server's HTML 502,
an empty 200. The HTTP status decides, and none of that page reaches a person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from platforms import (
    AmbiguousOutcome,
    PlatformError,
    ThrottledError,
    TransientError,
)

PLATFORMS = ["facebook", "instagram", "linkedin", "x", "google_business"]


def _assert_plain_words(error: PlatformError) -> None:
    """What a person reads: our words, never a proxy's page presented as the platform's."""
    text = error.message.lower()
    assert "<" not in text and "nginx" not in text and "html" not in text
    assert " said:" not in text


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_bare_429_is_throttling_and_the_caller_backs_off(
    platform, sandbox, client_for, account_for, publish_request
):
    sandbox.faults(platform=platform, bare_rates={"429": 1.0})
    with pytest.raises(ThrottledError) as caught:
        client_for(platform).publish(account_for(platform), publish_request(platform))
    # No Retry-After: no guess either (not LinkedIn's midnight, not X's full
    # window); the engine's backoff decides.
    assert caught.value.retry_after is None
    _assert_plain_words(caught.value)
    assert sandbox.ledger() == []


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("kind", ["429_retry_after", "429_retry_after_date"])
def test_a_bare_429_with_retry_after_is_honoured_in_both_forms(
    platform, kind, sandbox, client_for, account_for, publish_request
):
    sandbox.faults(platform=platform, bare_rates={kind: 1.0}, retry_after_s=600)
    with pytest.raises(ThrottledError) as caught:
        client_for(platform).publish(account_for(platform), publish_request(platform))
    assert caught.value.retry_after == pytest.approx(600, abs=3)
    _assert_plain_words(caught.value)


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        # The create call may have reached the platform behind the proxy.
        ("facebook", AmbiguousOutcome),
        ("linkedin", AmbiguousOutcome),
        ("x", AmbiguousOutcome),
        ("google_business", AmbiguousOutcome),
        # Instagram's first call only builds a container: nothing can be live.
        ("instagram", TransientError),
    ],
)
@pytest.mark.parametrize("kind", ["502_html", "503_html"])
def test_an_html_5xx_is_no_clear_answer(
    platform, expected, kind, sandbox, client_for, account_for, publish_request
):
    sandbox.faults(platform=platform, bare_rates={kind: 1.0})
    with pytest.raises(expected) as caught:
        client_for(platform).publish(account_for(platform), publish_request(platform))
    assert caught.value.platform == platform
    _assert_plain_words(caught.value)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("kind", ["429", "502_html"])
def test_a_bare_answer_to_a_read_is_safe_to_retry(platform, kind, sandbox, client_for, account_for):
    sandbox.faults(platform=platform, bare_rates={kind: 1.0})
    with pytest.raises(PlatformError) as caught:
        client_for(platform).find_recent(account_for(platform), "x", since=datetime.now(UTC))
    assert caught.value.kind in ("transient", "throttled")
    _assert_plain_words(caught.value)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_empty_200_to_the_create_call_is_read_back(
    platform, sandbox, client_for, account_for, publish_request
):
    client, account = client_for(platform), account_for(platform)
    since = datetime.now(UTC) - timedelta(seconds=5)
    sandbox.faults(platform=platform, bare_rates={"empty_200": 1.0})
    request = publish_request(platform, "Created, answer emptied")
    with pytest.raises(AmbiguousOutcome) as caught:
        client.publish(account, request)
    _assert_plain_words(caught.value)
    [entry] = sandbox.ledger(platform)

    sandbox.clear_faults()
    found = client.find_recent(account, request.text, since=since)
    assert found is not None and found.platform_id == entry["id"]


def test_an_unknown_bare_kind_is_refused_by_the_sandbox(sandbox):
    with pytest.raises(Exception, match="400"):
        sandbox.faults(platform="x", bare_rates={"418": 1.0})
