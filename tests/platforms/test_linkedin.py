"""The LinkedIn client: versioned REST calls, little-text, images, duplicates, OAuth."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import requests

from platforms import (
    ConfigurationError,
    DuplicateContent,
    MediaItem,
    PublishRequest,
    ReconnectNeeded,
    ThrottledError,
    build_client,
)

ORG = "urn:li:organization:2000001"


@pytest.fixture
def li(client_for):
    return client_for("linkedin")


@pytest.fixture
def org(account_for):
    return account_for("linkedin", "li-token")


def test_publish_text_sends_escaped_commentary(li, org, sandbox):
    result = li.publish(org, PublishRequest(text="Open (8-5) for #flu shots @ Main St"))
    [entry] = sandbox.ledger("linkedin", ORG)
    assert result.platform_id == entry["id"] and entry["id"].startswith("urn:li:share:")
    assert entry["text"] == "Open \\(8-5\\) for {hashtag|\\#|flu} shots \\@ Main St"
    assert entry["text"] == li.prepare_text("Open (8-5) for #flu shots @ Main St")
    assert result.permalink.endswith(f"/linkedin_www/feed/update/{result.platform_id}/")
    assert requests.get(result.permalink, timeout=5).status_code == 200


def test_publish_photos_one_and_several(li, org, sandbox, photo_url, photo_bytes):
    li.publish(
        org,
        PublishRequest(
            text="One", media=(MediaItem(photo_url(), photo_bytes(), alt_text="Lobby"),)
        ),
    )
    saved: list[dict] = []
    items = tuple(MediaItem(photo_url(), photo_bytes()) for _ in range(3))
    li.publish(org, PublishRequest(text="Three", media=items), on_progress=saved.append)
    # Photos given only by URL are downloaded and uploaded.
    li.publish(org, PublishRequest(text="By URL", media=(MediaItem(photo_url(), None),)))
    assert [e["media_count"] for e in sandbox.ledger("linkedin")] == [1, 3, 1]
    assert [len(s["images"]) for s in saved] == [1, 2, 3]
    assert all(i.startswith("urn:li:image:") for i in saved[-1]["images"])


def test_link_becomes_an_article(li, org, sandbox):
    result = li.publish(org, PublishRequest(text="Read this", link="https://example.com/a"))
    assert sandbox.ledger("linkedin")[0]["link"] == "https://example.com/a"
    assert li.read_back(org, result.platform_id).text == "Read this"


def test_retired_version_is_a_configuration_error(config, org, sandbox):
    old = build_client("linkedin", dataclasses.replace(config, linkedin_version="202001"))
    with pytest.raises(ConfigurationError) as caught:
        old.publish(org, PublishRequest(text="Hello"))
    assert caught.value.platform_code == "NONEXISTENT_VERSION"
    assert "202001" in caught.value.message
    assert sandbox.ledger() == []


def test_every_rest_call_needs_both_version_headers(sandbox, config):
    url = f"{sandbox.url}/linkedin_api/rest/posts"
    body = {
        "author": ORG,
        "commentary": "x",
        "visibility": "PUBLIC",
        "lifecycleState": "PUBLISHED",
        "distribution": {"feedDistribution": "MAIN_FEED"},
    }
    auth = {"Authorization": "Bearer t"}
    missing = requests.post(
        url, json=body, headers={**auth, "X-Restli-Protocol-Version": "2.0.0"}, timeout=5
    )
    assert (missing.status_code, missing.json()["code"]) == (400, "VERSION_MISSING")
    retired = requests.post(
        url,
        json=body,
        headers={**auth, "LinkedIn-Version": "202001", "X-Restli-Protocol-Version": "2.0.0"},
        timeout=5,
    )
    assert retired.status_code == 426
    future = requests.post(
        url,
        json=body,
        headers={**auth, "LinkedIn-Version": "209912", "X-Restli-Protocol-Version": "2.0.0"},
        timeout=5,
    )
    assert future.status_code == 426
    no_restli = requests.post(
        url, json=body, headers={**auth, "LinkedIn-Version": config.linkedin_version}, timeout=5
    )
    assert no_restli.status_code == 400
    ok = requests.post(
        url,
        json=body,
        headers={
            **auth,
            "LinkedIn-Version": config.linkedin_version,
            "X-Restli-Protocol-Version": "2.0.0",
        },
        timeout=5,
    )
    assert (ok.status_code, ok.content) == (201, b"")
    assert ok.headers["x-restli-id"].startswith("urn:li:share:")


def test_duplicate_names_the_existing_post(li, org, sandbox):
    first = li.publish(org, PublishRequest(text="Same again"))
    with pytest.raises(DuplicateContent) as caught:
        li.publish(org, PublishRequest(text="Same again"))
    assert caught.value.existing_id == first.platform_id
    assert len(sandbox.ledger("linkedin")) == 1


def test_injected_duplicate_points_at_the_latest_post(li, org, sandbox):
    first = li.publish(org, PublishRequest(text="Earlier"))
    sandbox.faults(platform="linkedin", error_rates={"duplicate": 1.0})
    with pytest.raises(DuplicateContent) as caught:
        li.publish(org, PublishRequest(text="Different words"))
    assert caught.value.existing_id == first.platform_id
    assert "duplicate of" in caught.value.message


def test_read_back_find_recent_delete(li, org, sandbox):
    since = datetime.now(UTC) - timedelta(seconds=5)
    text = "Parking (free) behind the clinic"
    result = li.publish(org, PublishRequest(text=text))
    assert li.read_back(org, result.platform_id).text == li.prepare_text(text)
    # Either the caption or its escaped form finds it.
    assert li.find_recent(org, text, since=since).platform_id == result.platform_id
    assert li.find_recent(org, li.prepare_text(text), since=since).platform_id == result.platform_id
    assert li.find_recent(org, "Parking behind", since=since) is None

    li.delete(org, result.platform_id)
    assert sandbox.ledger("linkedin")[0]["deleted"] is True
    assert li.read_back(org, result.platform_id) is None
    li.delete(org, result.platform_id)  # 204 again


def test_metrics_from_share_statistics(li, org, sandbox):
    result = li.publish(org, PublishRequest(text="Counted"))
    truth = sandbox.ledger("linkedin")[0]["metrics"]
    m = li.metrics(org, result.platform_id)
    assert (m.reach, m.impressions, m.likes, m.comments, m.shares, m.clicks, m.saves) == (
        truth["reach"],
        truth["impressions"],
        truth["likes"],
        truth["comments"],
        truth["shares"],
        truth["clicks"],
        None,
    )


def test_throttled_waits_until_midnight_utc(li, org, sandbox):
    sandbox.faults(platform="linkedin", error_rates={"throttled": 1.0})
    with pytest.raises(ThrottledError) as caught:
        li.publish(org, PublishRequest(text="Too many"))
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert abs(caught.value.retry_after - max(60, (midnight - now).total_seconds())) < 5


def test_login_round_trip_refresh_and_revocation(li, sandbox, approve):
    url = li.authorize_url(redirect_uri="https://app.test/cb", state="li", code_challenge=None)
    assert "scope=w_organization_social+r_organization_social" in url
    back = approve(url)
    tokens = li.exchange_code(
        code=back["code"], redirect_uri="https://app.test/cb", code_verifier=None
    )
    assert tokens.refresh_token
    assert tokens.expires_at - datetime.now(UTC) > timedelta(days=59)
    assert tokens.refresh_expires_at - datetime.now(UTC) > timedelta(days=364)

    targets = li.list_targets(tokens)
    assert [(t.external_id, t.name) for t in targets] == [
        ("urn:li:organization:2000001", "Maple Street Family Practice"),
        ("urn:li:organization:2000002", "Harbor Dental Care"),
    ]

    fresh = li.refresh(tokens)
    assert fresh.access_token != tokens.access_token
    assert fresh.refresh_token == tokens.refresh_token
    # Refreshing does not extend the refresh token.
    assert abs((fresh.refresh_expires_at - tokens.refresh_expires_at).total_seconds()) < 5

    sandbox.revoke(tokens.refresh_token)
    with pytest.raises(ReconnectNeeded):
        li.refresh(fresh)


def test_no_refresh_token_means_reconnect(li):
    from platforms import TokenSet

    with pytest.raises(ReconnectNeeded):
        li.refresh(TokenSet(access_token="a"))
