"""The sandbox's conversation: made from the seed and the clock alone, arriving as real
conversation does, hostile on purpose, shown on the feed pages escaped, and injected
or changed through its admin endpoints."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import requests

from platforms import PublishRequest

LOCATION = "accounts/4000001/locations/5000001"
X_USER = "3000001"


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _snapshot(seed, sandbox, conversation, client_for, account_for, advance_clock):
    sandbox.reset(seed=seed)
    post = client_for("facebook").publish(account_for("facebook"), PublishRequest(text="Hi"))
    # The post's time by the sandbox's own clock (the comments' times come from it;
    # our client's clock differs by a fraction of a second).
    [entry] = [e for e in sandbox.ledger("facebook") if e["id"] == post.platform_id]
    published = _at(entry["created_at"])
    advance_clock(3 * 86400)
    comments = [
        (
            c["id"],
            c["text"],
            c["author_name"],
            round((_at(c["created_at"]) - published).total_seconds()),
        )
        for c in conversation.shown("facebook", post_id=post.platform_id, include_deleted=1)
    ]
    reviews = [
        (r["id"], r["text"], r["rating"], r["created_at"], r["reply"])
        for r in conversation.shown("google_business", account=LOCATION, kind="review")
    ]
    # Mentions are drawn by UTC day from a month before first asked: compare the days
    # both runs drew, whenever midnight falls between them.
    now = datetime.fromisoformat(
        requests.post(f"{sandbox.url}/_sandbox/clock", json={}, timeout=5).json()["now"]
    )
    mentions = [
        (m["id"], m["text"], m["created_at"])
        for m in conversation.shown("x", account=X_USER, kind="mention")
        if now - timedelta(days=28) < _at(m["created_at"]) < now - timedelta(days=2)
    ]
    return comments, reviews, mentions


def test_the_same_seed_and_clock_make_the_same_conversation(
    sandbox, conversation, client_for, account_for, advance_clock
):
    args = (sandbox, conversation, client_for, account_for, advance_clock)
    first = _snapshot(5, *args)
    assert all(first), "seed 5 draws comments, reviews and mentions"
    assert _snapshot(5, *args) == first
    assert _snapshot(6, *args) != first


def test_comments_arrive_at_a_rate_that_decays_after_publishing(
    sandbox, conversation, client_for, account_for, advance_clock
):
    sandbox.faults(platform="facebook", conversation_rate=20)
    post = client_for("facebook").publish(account_for("facebook"), PublishRequest(text="Hi"))

    def count() -> int:
        return len(conversation.shown("facebook", post_id=post.platform_id, include_deleted=1))

    counts, elapsed = [], 0
    for hours in (1, 6, 24, 14 * 24):  # after publishing
        advance_clock((hours - elapsed) * 3600)
        elapsed = hours
        counts.append(count())
    at_1h, at_6h, at_1d, at_2w = counts
    assert 0 < at_1h < at_6h < at_1d <= at_2w
    assert at_1h < at_2w / 2 and at_1d > at_2w * 0.8  # most in the first day, few later


def test_generated_conversation_has_the_hard_cases(
    sandbox, conversation, client_for, account_for, advance_clock
):
    sandbox.faults(platform="facebook", conversation_rate=40)
    client, page = client_for("facebook"), account_for("facebook")
    posts = [client.publish(page, PublishRequest(text=f"Tip {n}")).platform_id for n in range(4)]
    advance_clock(15 * 86400)
    items = [
        c for post in posts for c in conversation.shown("facebook", post_id=post, include_deleted=1)
    ]
    texts = [c["text"] for c in items]
    assert any("<script" in t for t in texts)
    assert any("DROP TABLE" in t for t in texts)
    assert any(any("\u0600" <= ch <= "\u06ff" for ch in t) for t in texts)  # Arabic
    assert any(any("\u0590" <= ch <= "\u05ff" for ch in t) for t in texts)  # Hebrew
    assert any("\u200d" in t for t in texts)  # emoji joined by zero-width joiners
    assert any(len(t) >= 4_500 for t in texts)
    assert any(word in t for t in texts for word in ("IVF", "root canal", "knee replacement"))
    assert any("Waited two hours" in t or "Rude front desk" in t for t in texts)
    assert any(c["parent_id"] for c in items)  # threads
    assert any(c["updated_at"] != c["created_at"] for c in items)  # edited later
    assert any(c["deleted"] for c in items)  # deleted later


def test_reviews_have_a_spread_of_stars_and_earlier_owner_replies(conversation):
    reviews = conversation.shown("google_business", account=LOCATION, kind="review")
    stars = {r["rating"] for r in reviews}
    assert {1, 5} <= stars and stars & {2, 3}
    assert any(r["reply"] for r in reviews) and any(not r["reply"] for r in reviews)
    assert any(r["text"] == "" for r in reviews)  # stars without words


def test_mentions_come_now_and_then_and_name_the_account(conversation):
    mentions = conversation.shown("x", account=X_USER, kind="mention")
    assert 0 < len(mentions) < 40  # about one every three days, a month back
    assert all("maplestreetfp" in m["text"] for m in mentions)


def test_no_conversation_of_its_own_when_the_rate_is_zero(
    sandbox, conversation, client_for, account_for, advance_clock
):
    conversation.quiet()
    post = client_for("facebook").publish(account_for("facebook"), PublishRequest(text="Hi"))
    advance_clock(3 * 86400)
    assert conversation.shown("facebook", post_id=post.platform_id) == []
    assert conversation.shown("google_business", account=LOCATION, kind="review") == []


def test_the_feed_pages_show_threads_and_reviews_escaped(
    sandbox, conversation, client_for, account_for
):
    conversation.quiet()
    post = client_for("facebook").publish(account_for("facebook"), PublishRequest(text="Hi"))
    [top] = conversation.inject(
        "facebook", "comment", post_id=post.platform_id, text="<script>alert(1)</script>"
    )
    conversation.inject("facebook", "comment", parent_id=top["id"], text="a reply & more")
    conversation.inject(
        "google_business", "review", account=LOCATION, rating=1, text="<img src=x onerror=alert(2)>"
    )
    page = requests.get(f"{sandbox.url}/_sandbox/feed/facebook/1000001", timeout=5).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "a reply &amp; more" in page
    reviews = requests.get(
        f"{sandbox.url}/_sandbox/feed/google_business/{LOCATION}", timeout=5
    ).text
    assert "Reviews" in reviews and "★☆☆☆☆" in reviews
    assert "&lt;img src=x onerror=alert(2)&gt;" in reviews and "<img src=x" not in reviews
    index = requests.get(f"{sandbox.url}/_sandbox/", timeout=5).text
    assert LOCATION in index


@pytest.mark.parametrize(
    "body",
    [
        {"platform": "myspace", "kind": "comment"},
        {"platform": "google_business", "kind": "comment", "post_id": "p"},
        {"platform": "facebook", "kind": "comment", "post_id": "no-such-post"},
        {"platform": "x", "kind": "mention"},
        {"platform": "facebook", "kind": "mention", "account": "1000001", "rating": 3},
        {"platform": "google_business", "kind": "review", "account": "1000001"},
        {"platform": "facebook", "kind": "mention", "account": "1000001", "count": 0},
    ],
)
def test_injection_refuses_what_cannot_exist(sandbox, body):
    resp = requests.post(f"{sandbox.url}/_sandbox/conversations", json=body, timeout=5)
    assert resp.status_code == 400, resp.text


def test_edit_and_delete_answer_404_for_what_is_not_there(sandbox):
    url = f"{sandbox.url}/_sandbox/conversations/facebook/123_456"
    assert requests.post(url, json={"text": "x"}, timeout=5).status_code == 404
    assert requests.delete(url, timeout=5).status_code == 404
