"""The Google Business Profile client: local posts, REJECTED state, locations, OAuth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from platforms import (
    ContentRejected,
    MediaItem,
    PublishRequest,
    ReconnectNeeded,
    ThrottledError,
    TokenSet,
)
from platforms.oauth import pkce_pair

LOCATION = "accounts/4000001/locations/5000001"


@pytest.fixture
def gbp(client_for):
    return client_for("google_business")


@pytest.fixture
def location(account_for):
    return account_for("google_business", "ya29.test")


def test_publish_text_with_a_link(gbp, location, sandbox):
    result = gbp.publish(location, PublishRequest(text="Open Saturday", link="https://example.com"))
    [entry] = sandbox.ledger("google_business", LOCATION)
    assert entry["id"] == result.platform_id
    assert result.platform_id.startswith(f"{LOCATION}/localPosts/")
    assert (entry["text"], entry["link"], entry["state"]) == (
        "Open Saturday",
        "https://example.com",
        "LIVE",
    )
    assert result.permalink == entry["permalink"]
    assert result.published_at is not None


def test_publish_a_photo_google_fetches(gbp, location, sandbox, photo_url):
    gbp.publish(location, PublishRequest(text="New sign", media=(MediaItem(photo_url(), None),)))
    assert sandbox.ledger("google_business")[0]["media_count"] == 1


def test_a_photo_google_cannot_fetch_fails_with_its_words(gbp, location, sandbox, photo_url):
    item = MediaItem(photo_url("not-there.jpg"), None)
    with pytest.raises(ContentRejected) as caught:
        gbp.publish(location, PublishRequest(text="Broken", media=(item,)))
    assert "Fetching image failed" in caught.value.message
    assert caught.value.platform_code == "INVALID_ARGUMENT"
    assert sandbox.ledger() == []


def test_two_photos_and_long_text_are_refused_before_calling(gbp, location, sandbox, photo_url):
    item = MediaItem(photo_url(), None)
    with pytest.raises(ContentRejected, match="at most 1"):
        gbp.publish(location, PublishRequest(text="Two", media=(item, item)))
    with pytest.raises(ContentRejected, match="1500"):
        gbp.publish(location, PublishRequest(text="a" * 1501))
    assert sandbox.ledger() == []


def test_rejected_state_is_a_rejection(gbp, location, sandbox):
    sandbox.faults(platform="google_business", error_rates={"rejected": 1.0})
    with pytest.raises(ContentRejected) as caught:
        gbp.publish(location, PublishRequest(text="Call 555-0100 now"))
    [entry] = sandbox.ledger("google_business")
    assert entry["state"] == "REJECTED"
    assert caught.value.existing_id == entry["id"]
    assert "content policy" in caught.value.message
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert gbp.find_recent(location, "Call 555-0100 now", since=since) is None


def test_read_back_find_recent_delete_metrics(gbp, location, sandbox):
    since = datetime.now(UTC) - timedelta(seconds=5)
    result = gbp.publish(location, PublishRequest(text="Flu clinic Friday"))
    assert gbp.read_back(location, result.platform_id).text == "Flu clinic Friday"
    assert gbp.find_recent(location, "Flu clinic Friday", since=since).platform_id == (
        result.platform_id
    )
    truth = sandbox.ledger("google_business")[0]["metrics"]
    m = gbp.metrics(location, result.platform_id)
    assert (m.impressions, m.clicks, m.likes) == (truth["impressions"], truth["clicks"], None)

    gbp.delete(location, result.platform_id)
    assert gbp.read_back(location, result.platform_id) is None
    gbp.delete(location, result.platform_id)  # 404 is fine


def test_throttled_uses_retry_info(gbp, location, sandbox):
    sandbox.faults(platform="google_business", error_rates={"throttled": 1.0}, retry_after_s=45)
    with pytest.raises(ThrottledError) as caught:
        gbp.publish(location, PublishRequest(text="Busy"))
    assert caught.value.retry_after == 45
    assert caught.value.platform_code == "RESOURCE_EXHAUSTED"


@pytest.mark.parametrize("with_pkce", [False, True])
def test_login_round_trip_and_locations(gbp, sandbox, approve, with_pkce):
    verifier, challenge = pkce_pair() if with_pkce else (None, None)
    url = gbp.authorize_url(redirect_uri="https://app.test/cb", state="g", code_challenge=challenge)
    assert "access_type=offline" in url and "prompt=consent" in url
    back = approve(url)
    tokens = gbp.exchange_code(
        code=back["code"], redirect_uri="https://app.test/cb", code_verifier=verifier
    )
    assert tokens.refresh_token
    assert tokens.expires_at - datetime.now(UTC) <= timedelta(hours=1)
    targets = gbp.list_targets(tokens)
    assert [t.external_id for t in targets] == [
        "accounts/4000001/locations/5000001",
        "accounts/4000001/locations/5000002",
    ]
    assert targets[0].name.startswith("Maple Street Family Practice")


def test_refresh_keeps_the_refresh_token_and_revocation_is_invalid_grant(gbp, sandbox):
    tokens = TokenSet(access_token="ya29.old", refresh_token="1//made-up")
    fresh = gbp.refresh(tokens)
    assert fresh.access_token.startswith("ya29.") and fresh.access_token != "ya29.old"
    assert fresh.refresh_token == "1//made-up"
    sandbox.revoke("1//made-up")
    with pytest.raises(ReconnectNeeded, match="expired or revoked"):
        gbp.refresh(tokens)
