"""The X client: posts, media, weighted length, rate limits, duplicates, OAuth with PKCE."""

from __future__ import annotations

import base64
import hashlib
import string
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from platforms import (
    Account,
    ContentRejected,
    DuplicateContent,
    MediaItem,
    PublishRequest,
    ReconnectNeeded,
    ThrottledError,
    TokenSet,
)
from platforms.oauth import pkce_pair

USER = "3000001"


@pytest.fixture
def x(client_for):
    return client_for("x")


@pytest.fixture
def me(account_for):
    return account_for("x", "x-token")


def test_publish_text(x, me, sandbox):
    result = x.publish(me, PublishRequest(text="Walk-ins welcome today"))
    [entry] = sandbox.ledger("x", USER)
    assert (entry["id"], entry["text"], entry["token"]) == (
        result.platform_id,
        "Walk-ins welcome today",
        "x-token",
    )
    assert result.permalink.endswith(f"/x_www/i/web/status/{result.platform_id}")
    assert requests.get(result.permalink, timeout=5).status_code == 200


def test_read_back_and_find_recent_see_through_tco_links_and_escaping(x, me, sandbox):
    since = datetime.now(UTC) - timedelta(seconds=5)
    text = "Q&A <tonight> https://example.com/events/qa"
    result = x.publish(me, PublishRequest(text=text))
    remote = x.read_back(me, result.platform_id)
    # X shows links wrapped in t.co and the text HTML-escaped; the client unescapes.
    assert remote.text.startswith("Q&A <tonight> https://t.co/")
    assert x.find_recent(me, text, since=since).platform_id == result.platform_id
    assert x.find_recent(me, "Q&A <tonight>", since=since) is None


def test_link_goes_at_the_end_of_the_text(x, me, sandbox):
    x.publish(me, PublishRequest(text="Our hours", link="https://example.com/h"))
    assert sandbox.ledger("x")[0]["text"] == "Our hours\n\nhttps://example.com/h"


def test_photos_up_to_four(x, me, sandbox, photo_url, photo_bytes):
    items = tuple(MediaItem(photo_url(), photo_bytes(), alt_text="Front desk") for _ in range(4))
    saved: list[dict] = []
    x.publish(me, PublishRequest(text="Four", media=items), on_progress=saved.append)
    x.publish(me, PublishRequest(text="By URL", media=(MediaItem(photo_url("square.png"), None),)))
    assert [e["media_count"] for e in sandbox.ledger("x")] == [4, 1]
    assert len(saved[-1]["media_ids"]) == 4 and saved[-1]["media_uploaded_at"]

    with pytest.raises(ContentRejected, match="at most 4"):
        x.publish(me, PublishRequest(text="Five", media=items + items[:1]))


def test_a_retry_reuses_fresh_uploads(x, me, sandbox, photo_url, photo_bytes):
    items = (MediaItem(photo_url(), photo_bytes()),)
    saved: list[dict] = []
    sandbox.faults(platform="x", account=USER, quota=0)  # the post itself is throttled
    with pytest.raises(ThrottledError):
        x.publish(me, PublishRequest(text="Later", media=items), on_progress=saved.append)
    sandbox.faults(platform="x", account=USER, quota=10)
    again: list[dict] = []
    x.publish(
        me, PublishRequest(text="Later", media=items, state=saved[-1]), on_progress=again.append
    )
    assert again == []  # the photo was not uploaded twice
    assert sandbox.ledger("x")[0]["media_count"] == 1


def test_weighted_length_is_checked_before_calling(x, me, sandbox):
    with pytest.raises(ContentRejected, match="281 weighted characters"):
        x.publish(me, PublishRequest(text="a" * 281))
    with pytest.raises(ContentRejected):
        x.publish(me, PublishRequest(text="🙂" * 141))
    assert sandbox.ledger() == []
    # A long link counts 23, so this fits.
    x.publish(me, PublishRequest(text="b" * 250 + " https://example.com/" + "p" * 200))
    assert len(sandbox.ledger("x")) == 1


def test_duplicate_gives_no_id_so_find_recent_settles_it(x, me, sandbox):
    since = datetime.now(UTC) - timedelta(seconds=5)
    first = x.publish(me, PublishRequest(text="Same tweet"))
    with pytest.raises(DuplicateContent) as caught:
        x.publish(me, PublishRequest(text="Same tweet"))
    assert caught.value.existing_id is None
    assert x.find_recent(me, "Same tweet", since=since).platform_id == first.platform_id


def test_rate_limit_window_gives_retry_after_from_reset_header(x, me, sandbox):
    sandbox.faults(platform="x", quota=1)
    x.publish(me, PublishRequest(text="Last one this window"))
    with pytest.raises(ThrottledError) as caught:
        x.publish(me, PublishRequest(text="One too many"))
    assert 895 <= caught.value.retry_after <= 901  # the 15-minute window
    assert len(sandbox.ledger("x")) == 1


def test_rate_limit_headers_come_with_every_post(sandbox):
    resp = requests.post(
        f"{sandbox.url}/x_api/2/tweets",
        json={"text": "hi"},
        headers={"Authorization": "Bearer t"},
        timeout=5,
    )
    assert resp.status_code == 201
    assert resp.headers["x-rate-limit-limit"] == "200"
    assert resp.headers["x-rate-limit-remaining"] == "199"
    assert int(resp.headers["x-rate-limit-reset"]) > time.time()
    assert resp.json()["data"]["text"] == "hi"


def test_errors_are_problem_json(sandbox):
    resp = requests.post(f"{sandbox.url}/x_api/2/tweets", json={"text": "hi"}, timeout=5)
    assert resp.status_code == 401
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert resp.json() == {
        "title": "Unauthorized",
        "detail": "Unauthorized",
        "type": "about:blank",
        "status": 401,
    }


def test_delete_and_metrics(x, me, sandbox):
    result = x.publish(me, PublishRequest(text="Numbers"))
    truth = sandbox.ledger("x")[0]["metrics"]
    m = x.metrics(me, result.platform_id)
    assert (m.impressions, m.likes, m.comments, m.shares, m.saves) == (
        truth["impressions"],
        truth["likes"],
        truth["comments"],
        truth["shares"],
        truth["saves"],
    )
    assert (m.reach, m.clicks) == (None, None)
    x.delete(me, result.platform_id)
    assert sandbox.ledger("x")[0]["deleted"] is True
    assert x.read_back(me, result.platform_id) is None
    x.delete(me, result.platform_id)  # already gone


def test_oauth_with_pkce_round_trip_and_rotating_refresh(x, sandbox, approve):
    verifier, challenge = pkce_pair()
    url = x.authorize_url(redirect_uri="https://app.test/cb", state="xs", code_challenge=challenge)
    assert "code_challenge_method=S256" in url and "offline.access" in url
    back = approve(url)
    assert back["state"] == "xs"
    tokens = x.exchange_code(
        code=back["code"], redirect_uri="https://app.test/cb", code_verifier=verifier
    )
    assert tokens.refresh_token
    assert timedelta(hours=1) < tokens.expires_at - datetime.now(UTC) <= timedelta(hours=2)
    [target] = x.list_targets(tokens)
    assert target.external_id == USER and "@maplestreetfp" in target.name

    # Posting with the issued token lands on the user it was issued for.
    x.publish(Account(target.external_id, tokens.access_token), PublishRequest(text="Connected"))
    assert sandbox.ledger("x", USER)[0]["token"] == tokens.access_token

    fresh = x.refresh(tokens)
    assert fresh.refresh_token and fresh.refresh_token != tokens.refresh_token
    with pytest.raises(ReconnectNeeded):  # the old refresh token was used up
        x.refresh(tokens)


def test_pkce_verifier_must_match(x, sandbox, approve):
    verifier, challenge = pkce_pair()
    back = approve(
        x.authorize_url(redirect_uri="https://app.test/cb", state="s", code_challenge=challenge)
    )
    with pytest.raises(ReconnectNeeded, match="code_verifier"):
        x.exchange_code(
            code=back["code"], redirect_uri="https://app.test/cb", code_verifier=verifier + "x"
        )
    with pytest.raises(ValueError, match="PKCE"):
        x.authorize_url(redirect_uri="https://app.test/cb", state="s", code_challenge=None)


def test_expired_issued_token_needs_reconnect(x, sandbox, approve, advance_clock):
    verifier, challenge = pkce_pair()
    back = approve(
        x.authorize_url(redirect_uri="https://app.test/cb", state="s", code_challenge=challenge)
    )
    tokens = x.exchange_code(
        code=back["code"], redirect_uri="https://app.test/cb", code_verifier=verifier
    )
    advance_clock(3 * 3600)  # X access tokens last two hours
    with pytest.raises(ReconnectNeeded):
        x.publish(Account(USER, tokens.access_token), PublishRequest(text="Too late"))
    assert x.refresh(TokenSet(tokens.access_token, tokens.refresh_token)).access_token


def test_find_recent_includes_a_post_from_the_same_second(x, me, sandbox):
    since = datetime.now(UTC)
    result = x.publish(me, PublishRequest(text="Just now"))
    assert x.find_recent(me, "Just now", since=since).platform_id == result.platform_id


def test_pkce_pair_is_a_verifier_and_its_s256_challenge():
    verifier, challenge = pkce_pair()
    # RFC 7636: 43 to 128 unreserved characters.
    assert 43 <= len(verifier) <= 128
    assert set(verifier) <= set(string.ascii_letters + string.digits + "-._~")
    digest = hashlib.sha256(verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert pkce_pair()[0] != verifier
