"""Instagram's engagement: comments with their replies nested, long threads paged on,
hiding, replies, and tags answered through the mentions endpoints."""

from __future__ import annotations

import pytest

from platforms import (
    AmbiguousOutcome,
    ContentRejected,
    DeleteUnsupported,
    MediaItem,
    PublishRequest,
)
from tests.platforms.conftest import HOSTILE_TEXTS

IG_USER = "17841400000000001"


@pytest.fixture
def ig(engagement_for):
    return engagement_for("instagram")


@pytest.fixture
def account(account_for):
    return account_for("instagram", "IGAAL-token")


@pytest.fixture
def media_id(client_for, account, conversation, photo_url):
    conversation.quiet()
    request = PublishRequest(text="Meet our nurses", media=(MediaItem(photo_url(), None),))
    return client_for("instagram").publish(account, request).platform_id


def test_comments_come_with_their_replies(ig, account, media_id, conversation):
    [top] = conversation.inject("instagram", "comment", post_id=media_id, author_name="Priya Raman")
    [answer] = conversation.inject("instagram", "comment", parent_id=top["id"], text="+1")

    got = ig.fetch_comments(account, [media_id])

    assert got.complete
    first, second = got.items
    assert (first.external_id, first.parent_id, first.post_id) == (top["id"], None, media_id)
    assert first.author_name.startswith("priyaraman")  # a username: Instagram has no names
    assert first.author_id == top["author_id"]
    assert (second.external_id, second.parent_id, second.text) == (answer["id"], top["id"], "+1")
    assert first.created_at is not None and first.updated_at is None


def test_a_long_thread_is_paged_on_past_the_nested_replies(
    ig, account, media_id, conversation, sandbox
):
    [top] = conversation.inject("instagram", "comment", post_id=media_id)
    conversation.inject("instagram", "comment", parent_id=top["id"], count=120)
    got = ig.fetch_comments(account, [media_id])
    replies = [i for i in got.items if i.parent_id == top["id"]]
    assert len({r.external_id for r in replies}) == 120
    assert sandbox.calls("/replies") >= 2  # 50 came nested; the rest from /replies


@pytest.mark.parametrize("name", sorted(set(HOSTILE_TEXTS) - {"long"}))
def test_hostile_text_round_trips_exactly(ig, account, media_id, conversation, name):
    text = HOSTILE_TEXTS[name]
    conversation.inject("instagram", "comment", post_id=media_id, text=text)
    [item] = ig.fetch_comments(account, [media_id]).items
    assert item.text == text


def test_the_longest_comment_instagram_takes_round_trips(ig, account, media_id, conversation):
    text = HOSTILE_TEXTS["long"][:2_200]
    conversation.inject("instagram", "comment", post_id=media_id, text=text)
    assert ig.fetch_comments(account, [media_id]).items[0].text == text


def test_hidden_comments_stay_listed_and_take_no_reply(ig, account, media_id, conversation):
    conversation.inject("instagram", "comment", post_id=media_id)
    [item] = ig.fetch_comments(account, [media_id]).items
    ig.hide(account, item, True)
    [hidden] = ig.fetch_comments(account, [media_id]).items
    assert hidden.hidden
    with pytest.raises(ContentRejected):
        ig.reply(account, hidden, "Thanks!")
    ig.hide(account, hidden, False)
    assert not ig.fetch_comments(account, [media_id]).items[0].hidden


def test_a_reply_to_a_reply_lands_under_the_top_comment(ig, account, media_id, conversation):
    [top] = conversation.inject("instagram", "comment", post_id=media_id)
    conversation.inject("instagram", "comment", parent_id=top["id"])
    reply_to = next(i for i in ig.fetch_comments(account, [media_id]).items if i.parent_id)

    sent = ig.reply(account, reply_to, "Please call us so we can help.")

    ours = [i for i in ig.fetch_comments(account, [media_id]).items if i.from_us]
    assert [(i.external_id, i.parent_id) for i in ours] == [(sent.platform_id, top["id"])]
    found = ig.find_reply(account, reply_to, "Please call us so we can help.")
    assert found is not None and found.platform_id == sent.platform_id
    ig.delete_reply(account, reply_to, sent.platform_id)
    assert ig.find_reply(account, reply_to, "Please call us so we can help.") is None


def test_an_ambiguous_reply_is_found_and_not_sent_twice(
    ig, account, media_id, conversation, sandbox
):
    conversation.inject("instagram", "comment", post_id=media_id)
    [item] = ig.fetch_comments(account, [media_id]).items
    sandbox.faults(platform="instagram", ambiguous_rate=1.0, ambiguous_mode="5xx")
    with pytest.raises(AmbiguousOutcome):
        ig.reply(account, item, "Thank you!")
    sandbox.clear_faults()
    found = ig.find_reply(account, item, "Thank you!")
    assert found is not None
    assert [i.external_id for i in ig.fetch_comments(account, [media_id]).items if i.from_us] == [
        found.platform_id
    ]


def test_delete_comment_on_our_media(ig, account, media_id, conversation):
    conversation.inject("instagram", "comment", post_id=media_id, count=2)
    first, second = ig.fetch_comments(account, [media_id]).items
    ig.delete_comment(account, first)
    assert [i.external_id for i in ig.fetch_comments(account, [media_id]).items] == [
        second.external_id
    ]


def test_tags_are_mentions_answered_through_the_mentions_endpoint(ig, account, conversation):
    conversation.quiet()
    made = conversation.inject("instagram", "mention", account=IG_USER, count=2)
    first = ig.fetch_mentions(account)
    assert {i.external_id for i in first.items} == {m["id"] for m in made}
    mention = first.items[0]
    assert mention.kind == "mention" and mention.permalink.startswith("http")

    sent = ig.reply(account, mention, "Thank you for tagging us!")
    found = ig.find_reply(account, mention, "Thank you for tagging us!")
    assert found is not None and found.platform_id == sent.platform_id
    with pytest.raises(DeleteUnsupported):
        ig.hide(account, mention, True)
    with pytest.raises(DeleteUnsupported):
        ig.delete_comment(account, mention)

    conversation.inject("instagram", "mention", account=IG_USER, text="@maplestreetfp 😍")
    later = ig.fetch_mentions(account, cursor=first.cursor)
    assert [i.text for i in later.items] == ["@maplestreetfp 😍"]
