"""The engagement calls fail the way publishing's do: a proxy's bare 429 or HTML 502, the
platforms' own throttling, expired tokens and refusals, each classified the same way,
with a reply the one call whose lost answer is ambiguous."""

from __future__ import annotations

import pytest

from platforms import (
    AmbiguousOutcome,
    ContentRejected,
    PlatformError,
    ReconnectNeeded,
    ThrottledError,
    TransientError,
)
from tests.platforms.conftest import ACCOUNTS

PLATFORMS = ["facebook", "instagram", "linkedin", "x", "google_business"]


@pytest.fixture
def inbox(platform, client_for, engagement_for, account_for, conversation, publish_request):
    """(client, account, fetch(), one item to answer) with one comment or review there."""
    conversation.quiet()
    client, account = engagement_for(platform), account_for(platform)
    if platform == "google_business":
        conversation.inject(platform, "review", account=ACCOUNTS[platform], rating=2)

        def fetch():
            return client.fetch_reviews(account)
    else:
        post = client_for(platform).publish(account, publish_request(platform)).platform_id
        conversation.inject(platform, "comment", post_id=post)

        def fetch():
            return client.fetch_comments(account, [post])

    return client, account, fetch, fetch().items[0]


def _plain(error: PlatformError) -> None:
    """What a person reads: our words, never a proxy's page."""
    assert "<" not in error.message and "nginx" not in error.message.lower()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_bare_429_on_a_fetch_is_throttling(platform, inbox, sandbox):
    _, _, fetch, _ = inbox
    sandbox.faults(platform=platform, bare_rates={"429": 1.0})
    with pytest.raises(ThrottledError) as caught:
        fetch()
    assert caught.value.retry_after is None
    _plain(caught.value)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_bare_429_with_retry_after_says_how_long(platform, inbox, sandbox):
    _, _, fetch, _ = inbox
    sandbox.faults(platform=platform, bare_rates={"429_retry_after": 1.0}, retry_after_s=120)
    with pytest.raises(ThrottledError) as caught:
        fetch()
    assert caught.value.retry_after == pytest.approx(120, abs=2)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_html_502_on_a_fetch_is_safe_to_retry(platform, inbox, sandbox):
    _, _, fetch, _ = inbox
    sandbox.faults(platform=platform, bare_rates={"502_html": 1.0})
    with pytest.raises(TransientError) as caught:
        fetch()
    _plain(caught.value)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_html_502_on_a_reply_is_ambiguous(platform, inbox, sandbox):
    client, account, _, item = inbox
    sandbox.faults(platform=platform, bare_rates={"502_html": 1.0})
    with pytest.raises(AmbiguousOutcome):
        client.reply(account, item, "Thank you, please call us.")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_bare_429_on_a_reply_sent_nothing(platform, inbox, sandbox):
    client, account, _, item = inbox
    sandbox.faults(platform=platform, bare_rates={"429": 1.0})
    with pytest.raises(ThrottledError):
        client.reply(account, item, "Thank you, please call us.")
    sandbox.clear_faults()
    assert client.find_reply(account, item, "Thank you, please call us.") is None


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("throttled", ThrottledError),
        ("token_expired", ReconnectNeeded),
        ("permission_revoked", ReconnectNeeded),
        ("transient", TransientError),
    ],
)
def test_the_platforms_own_errors_on_a_fetch(platform, kind, expected, inbox, sandbox):
    _, _, fetch, _ = inbox
    sandbox.faults(platform=platform, error_rates={kind: 1.0})
    with pytest.raises(expected):
        fetch()


@pytest.mark.parametrize("platform", ["facebook", "instagram", "linkedin", "x"])
def test_a_refused_reply_is_a_rejection(platform, inbox, sandbox):
    client, account, _, item = inbox
    sandbox.faults(platform=platform, error_rates={"rejected": 1.0})
    with pytest.raises(ContentRejected):
        client.reply(account, item, "Thank you.")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_server_error_after_the_reply_was_made_is_ambiguous_and_read_back(
    platform, inbox, sandbox
):
    client, account, fetch, item = inbox
    sandbox.faults(platform=platform, ambiguous_rate=1.0, ambiguous_mode="5xx")
    with pytest.raises(AmbiguousOutcome):
        client.reply(account, item, "We are sorry to hear that; please call us.")
    sandbox.clear_faults()
    found = client.find_reply(account, item, "We are sorry to hear that; please call us.")
    assert found is not None
    assert [i.external_id for i in fetch().items if i.from_us] == [found.platform_id]
