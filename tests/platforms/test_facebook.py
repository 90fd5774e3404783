"""The Facebook Pages client against the sandbox's Graph API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from platforms import (
    ContentRejected,
    DuplicateContent,
    MediaItem,
    PublishRequest,
    ReconnectNeeded,
    TokenSet,
)

PAGE = "1000001"


@pytest.fixture
def fb(client_for):
    return client_for("facebook")


@pytest.fixture
def page(account_for):
    return account_for("facebook", "page-token")


def test_publish_text_creates_one_post_and_links_to_it(fb, page, sandbox):
    result = fb.publish(page, PublishRequest(text="Flu shots are in. Call to book."))

    [entry] = sandbox.ledger("facebook", PAGE)
    assert entry["id"] == result.platform_id
    assert entry["text"] == "Flu shots are in. Call to book."
    assert entry["media_count"] == 0
    assert entry["token"] == "page-token"
    assert result.permalink == entry["permalink"]
    assert result.published_at is not None
    shown = requests.get(result.permalink, timeout=5)
    assert shown.status_code == 200 and "Flu shots are in." in shown.text


def test_publish_link_post_sends_the_link(fb, page, sandbox):
    fb.publish(page, PublishRequest(text="Our new hours", link="https://example.com/hours"))
    [entry] = sandbox.ledger("facebook")
    assert entry["link"] == "https://example.com/hours"


def test_publish_one_photo_uploads_the_bytes(fb, page, sandbox, photo_url, photo_bytes):
    item = MediaItem(url=photo_url(), data=photo_bytes())
    result = fb.publish(page, PublishRequest(text="Our new waiting room", media=(item,)))
    [entry] = sandbox.ledger("facebook")
    assert (entry["id"], entry["media_count"], entry["text"]) == (
        result.platform_id,
        1,
        "Our new waiting room",
    )


def test_publish_one_photo_by_url_lets_facebook_fetch_it(fb, page, sandbox, photo_url):
    fb.publish(page, PublishRequest(text="By URL", media=(MediaItem(url=photo_url(), data=None),)))
    assert sandbox.ledger("facebook")[0]["media_count"] == 1


def test_publish_unreachable_photo_url_is_refused(fb, page, sandbox, photo_url):
    item = MediaItem(url=photo_url("gone.jpg"), data=None)
    with pytest.raises(ContentRejected) as caught:
        fb.publish(page, PublishRequest(text="x", media=(item,)))
    assert "invalid image" in caught.value.message
    assert sandbox.ledger() == []


def test_publish_several_photos_is_one_post_and_saves_upload_ids(
    fb, page, sandbox, photo_url, photo_bytes
):
    items = tuple(MediaItem(url=photo_url(), data=photo_bytes()) for _ in range(3))
    saved: list[dict] = []
    result = fb.publish(
        page, PublishRequest(text="Team day", media=items), on_progress=saved.append
    )

    [entry] = sandbox.ledger("facebook")
    assert entry["id"] == result.platform_id
    assert entry["media_count"] == 3
    assert [len(s["photo_ids"]) for s in saved] == [1, 2, 3]


def test_a_resumed_multi_photo_publish_reuses_uploaded_photos(
    fb, page, sandbox, photo_url, photo_bytes
):
    # Two photos uploaded unpublished by an earlier attempt that then failed.
    ids = []
    for _ in range(2):
        resp = requests.post(
            f"{sandbox.url}/graph/v25.0/{PAGE}/photos",
            data={"published": "false"},
            files={"source": ("p.jpg", photo_bytes(), "image/jpeg")},
            headers={"Authorization": "Bearer page-token"},
            timeout=5,
        )
        ids.append(resp.json()["id"])
    items = tuple(MediaItem(url=photo_url(), data=photo_bytes()) for _ in range(2))
    saved: list[dict] = []
    fb.publish(
        page,
        PublishRequest(text="Resumed", media=items, state={"photo_ids": ids}),
        on_progress=saved.append,
    )
    assert saved == []  # nothing uploaded again
    assert sandbox.ledger("facebook")[0]["media_count"] == 2


def test_read_back_and_find_recent(fb, page, sandbox):
    since = datetime.now(UTC) - timedelta(seconds=5)
    first = fb.publish(page, PublishRequest(text="First"))
    fb.publish(page, PublishRequest(text="Second"))

    remote = fb.read_back(page, first.platform_id)
    assert (remote.platform_id, remote.text) == (first.platform_id, "First")
    assert remote.created_at >= since

    assert fb.find_recent(page, "First", since=since).platform_id == first.platform_id
    assert fb.find_recent(page, "Third", since=since) is None
    assert fb.find_recent(page, "First", since=datetime.now(UTC) + timedelta(minutes=5)) is None


def test_delete_then_read_back_says_gone(fb, page, sandbox):
    result = fb.publish(page, PublishRequest(text="Oops"))
    fb.delete(page, result.platform_id)
    assert sandbox.ledger("facebook")[0]["deleted"] is True
    assert fb.read_back(page, result.platform_id) is None
    fb.delete(page, result.platform_id)  # already gone is fine


def test_metrics_come_from_the_current_insights_metrics(fb, page, sandbox):
    result = fb.publish(page, PublishRequest(text="Counted"))
    truth = sandbox.ledger("facebook")[0]["metrics"]
    metrics = fb.metrics(page, result.platform_id)
    assert metrics.reach == truth["reach"]
    assert metrics.likes == truth["likes"]
    assert metrics.clicks == truth["clicks"]
    assert metrics.comments == truth["comments"]
    assert metrics.shares == truth["shares"]
    assert metrics.impressions is None  # retired in November 2025


def test_retired_impressions_metric_is_an_error(fb, page, sandbox):
    result = fb.publish(page, PublishRequest(text="Counted"))
    resp = requests.get(
        f"{sandbox.url}/graph/v25.0/{result.platform_id}/insights",
        params={"metric": "post_impressions"},
        headers={"Authorization": "Bearer page-token"},
        timeout=5,
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == 100


def test_duplicate_message_is_duplicate_content(fb, page, sandbox):
    fb.publish(page, PublishRequest(text="Same words"))
    with pytest.raises(DuplicateContent) as caught:
        fb.publish(page, PublishRequest(text="Same words"))
    assert caught.value.platform_code == "506"
    assert caught.value.existing_id is None
    assert len(sandbox.ledger("facebook")) == 1


def test_refresh_is_impossible(fb):
    with pytest.raises(ReconnectNeeded):
        fb.refresh(TokenSet(access_token="user-token"))


def test_login_round_trip_gives_a_long_lived_token_and_page_tokens(fb, sandbox, approve):
    url = fb.authorize_url(redirect_uri="https://app.test/cb", state="st-1", code_challenge=None)
    assert "/facebook_www/v25.0/dialog/oauth?" in url and "pages_manage_posts" in url
    back = approve(url)
    assert back["state"] == "st-1"
    assert back["_target"].startswith("https://app.test/cb?")

    tokens = fb.exchange_code(
        code=back["code"], redirect_uri="https://app.test/cb", code_verifier=None
    )
    assert tokens.refresh_token == ""
    assert tokens.expires_at - datetime.now(UTC) > timedelta(days=59)
    assert "pages_manage_posts" in tokens.scopes

    targets = fb.list_targets(tokens)
    assert [t.external_id for t in targets] == ["1000001", "1000002"]
    assert all(t.name and t.access_token for t in targets)

    from platforms import Account

    fb.publish(Account(targets[1].external_id, targets[1].access_token), PublishRequest(text="Hi"))
    assert sandbox.ledger("facebook", "1000002")[0]["token"] == targets[1].access_token


def test_a_code_is_single_use_and_bound_to_its_redirect(fb, sandbox, approve):
    back = approve(
        fb.authorize_url(redirect_uri="https://app.test/cb", state="s", code_challenge=None)
    )
    with pytest.raises(ReconnectNeeded) as caught:
        fb.exchange_code(code=back["code"], redirect_uri="https://evil.test/cb", code_verifier=None)
    assert "redirect_uri" in caught.value.message
    with pytest.raises(ReconnectNeeded):  # spent by the failed attempt, as on Facebook
        fb.exchange_code(code=back["code"], redirect_uri="https://app.test/cb", code_verifier=None)
