"""X's engagement: replies found by conversation search (7 days deep), long posts and
HTML escapes, edits as new ids, mentions since an id, hiding, and no deleting."""

from __future__ import annotations

import pytest

from platforms import AmbiguousOutcome, DeleteUnsupported, PublishRequest
from tests.platforms.conftest import HOSTILE_TEXTS

USER = "3000001"


@pytest.fixture
def x(engagement_for):
    return engagement_for("x")


@pytest.fixture
def me(account_for):
    return account_for("x", "x-token")


@pytest.fixture
def post_id(client_for, me, conversation):
    conversation.quiet()
    return client_for("x").publish(me, PublishRequest(text="Flu shots all week")).platform_id


def test_replies_come_with_names_threads_and_the_post_left_out(x, me, post_id, conversation):
    [top] = conversation.inject("x", "comment", post_id=post_id, author_name="Grace Kim")
    [answer] = conversation.inject("x", "comment", parent_id=top["id"], text="same")

    got = x.fetch_comments(me, [post_id])

    assert got.complete  # the post is days younger than search reaches
    first, second = got.items  # oldest first; our own post is not a comment
    assert (first.external_id, first.post_id, first.parent_id) == (top["id"], post_id, None)
    assert (first.author_name, first.author_id) == ("Grace Kim", top["author_id"])
    assert first.permalink.endswith(f"/i/web/status/{top['id']}")
    assert (second.external_id, second.parent_id, second.text) == (answer["id"], top["id"], "same")


@pytest.mark.parametrize("name", sorted(HOSTILE_TEXTS))
def test_hostile_and_long_text_round_trips_exactly(x, me, post_id, conversation, name):
    # X escapes &, < and > in `text` and keeps a long post whole in note_tweet only.
    text = HOSTILE_TEXTS[name]
    conversation.inject("x", "comment", post_id=post_id, text=text)
    assert x.fetch_comments(me, [post_id]).items[0].text == text


def test_an_edit_is_a_new_id_but_the_same_item(x, me, post_id, conversation, advance_clock):
    [made] = conversation.inject("x", "comment", post_id=post_id)
    advance_clock(600)
    conversation.edit("x", made["id"], text="edited: all good now")
    [item] = x.fetch_comments(me, [post_id]).items
    assert item.external_id == made["id"]
    assert item.text == "edited: all good now"
    assert (
        item.updated_at is not None and (item.updated_at - item.created_at).total_seconds() >= 599
    )


def test_deleted_replies_are_absent_from_a_complete_fetch(x, me, post_id, conversation):
    made = conversation.inject("x", "comment", post_id=post_id, count=150)
    conversation.delete("x", made[5]["id"])
    got = x.fetch_comments(me, [post_id])
    ids = {i.external_id for i in got.items}
    assert got.complete and len(ids) == 149 and made[5]["id"] not in ids


def test_many_posts_are_searched_ten_a_query(x, me, client_for, conversation, sandbox):
    conversation.quiet()
    posts = [
        client_for("x").publish(me, PublishRequest(text=f"Tip {n}")).platform_id for n in range(12)
    ]
    for post in posts:
        conversation.inject("x", "comment", post_id=post)
    before = sandbox.calls("search/recent")
    got = x.fetch_comments(me, posts)
    assert {i.post_id for i in got.items} == set(posts)
    assert sandbox.calls("search/recent") - before == 2


def test_older_than_search_reaches_is_not_complete(x, me, post_id, conversation, advance_clock):
    conversation.inject("x", "comment", post_id=post_id)
    advance_clock(8 * 86400)
    [recent] = conversation.inject("x", "comment", post_id=post_id, text="still here")
    got = x.fetch_comments(me, [post_id])
    # X refused the start_time as older than 7 days: what search still reaches, not all.
    assert not got.complete
    assert [i.external_id for i in got.items] == [recent["id"]]


def test_mentions_since_the_cursor_without_replies_to_our_posts(x, me, post_id, conversation):
    conversation.inject("x", "comment", post_id=post_id)  # a reply to us: a comment
    made = conversation.inject("x", "mention", account=USER, count=2)
    first = x.fetch_mentions(me)
    assert [i.external_id for i in first.items] == [m["id"] for m in made]
    assert all(i.kind == "mention" and i.post_id == i.external_id for i in first.items)
    assert first.cursor == made[-1]["id"]  # since_id: the newest seen

    [later] = conversation.inject("x", "mention", account=USER, text="@maplestreetfp <3 & thanks")
    second = x.fetch_mentions(me, cursor=first.cursor)
    assert [(i.external_id, i.text) for i in second.items] == [
        (later["id"], "@maplestreetfp <3 & thanks")
    ]
    assert x.fetch_mentions(me, cursor=second.cursor).items == ()


def test_reply_find_reply_and_delete_our_reply(x, me, post_id, conversation):
    conversation.inject("x", "comment", post_id=post_id)
    [item] = x.fetch_comments(me, [post_id]).items
    text = "Thanks for asking! Please call us at 555-0100."
    sent = x.reply(me, item, text)
    ours = [i for i in x.fetch_comments(me, [post_id]).items if i.from_us]
    assert [(i.external_id, i.parent_id) for i in ours] == [(sent.platform_id, item.external_id)]
    assert x.find_reply(me, item, text).platform_id == sent.platform_id
    x.delete_reply(me, item, sent.platform_id)
    assert x.find_reply(me, item, text) is None


def test_an_ambiguous_reply_is_found_and_not_sent_twice(x, me, post_id, conversation, sandbox):
    conversation.inject("x", "comment", post_id=post_id)
    [item] = x.fetch_comments(me, [post_id]).items
    sandbox.faults(platform="x", ambiguous_rate=1.0, ambiguous_mode="drop")
    with pytest.raises(AmbiguousOutcome):
        x.reply(me, item, "We hear you.")
    sandbox.clear_faults()
    found = x.find_reply(me, item, "We hear you.")
    assert found is not None
    assert [i.external_id for i in x.fetch_comments(me, [post_id]).items if i.from_us] == [
        found.platform_id
    ]


def test_hide_a_reply_to_our_post_but_not_a_mention_and_never_delete(x, me, post_id, conversation):
    conversation.inject("x", "comment", post_id=post_id)
    [item] = x.fetch_comments(me, [post_id]).items
    x.hide(me, item, True)
    [shown] = conversation.shown("x", post_id=post_id)
    assert shown["hidden"]  # X still lists it; search does not say it is hidden
    x.hide(me, item, False)
    assert not conversation.shown("x", post_id=post_id)[0]["hidden"]

    assert not x.can_delete_comments
    with pytest.raises(DeleteUnsupported):
        x.delete_comment(me, item)
    conversation.inject("x", "mention", account=USER)
    [mention] = x.fetch_mentions(me).items
    with pytest.raises(DeleteUnsupported):
        x.hide(me, mention, True)
