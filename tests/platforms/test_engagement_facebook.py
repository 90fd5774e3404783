"""Facebook's engagement: comments on our posts in Graph's shape, threads, hiding,
replies read back, and the Page's tagged posts as mentions."""

from __future__ import annotations

import pytest

from platforms import AmbiguousOutcome, DeleteUnsupported, PublishRequest
from tests.platforms.conftest import HOSTILE_TEXTS

PAGE = "1000001"


@pytest.fixture
def fb(engagement_for):
    return engagement_for("facebook")


@pytest.fixture
def page(account_for):
    return account_for("facebook", "EAAP-page-token")


@pytest.fixture
def post_id(client_for, page, conversation):
    conversation.quiet()
    return (
        client_for("facebook").publish(page, PublishRequest(text="Flu shots this week")).platform_id
    )


def test_comments_and_their_threads_come_in_graphs_shape(fb, page, post_id, conversation):
    [first] = conversation.inject("facebook", "comment", post_id=post_id, author_name="Zoë Çelik")
    [second] = conversation.inject("facebook", "comment", post_id=post_id, text="Open Saturday?")
    [answer] = conversation.inject("facebook", "comment", parent_id=second["id"], text="Yes!")

    got = fb.fetch_comments(page, [post_id])

    assert got.complete and got.cursor == ""
    by_id = {item.external_id: item for item in got.items}
    assert list(by_id) == [first["id"], second["id"], answer["id"]]
    top = by_id[first["id"]]
    assert (top.kind, top.post_id, top.parent_id) == ("comment", post_id, None)
    assert (top.author_name, top.author_id) == ("Zoë Çelik", first["author_id"])
    assert top.created_at is not None and top.created_at.tzinfo is not None
    assert top.updated_at is None  # Graph gives a comment no edit time
    assert top.permalink.startswith("http") and "comment_id=" in top.permalink
    assert not (top.from_us or top.hidden or top.deleted)
    assert by_id[answer["id"]].parent_id == second["id"]
    assert by_id[second["id"]].text == "Open Saturday?"


@pytest.mark.parametrize("name", sorted(HOSTILE_TEXTS))
def test_hostile_text_round_trips_exactly(fb, page, post_id, conversation, name):
    text = HOSTILE_TEXTS[name]
    [made] = conversation.inject(
        "facebook", "comment", post_id=post_id, text=text, author_name=text[:60]
    )
    [item] = fb.fetch_comments(page, [post_id]).items
    assert item.external_id == made["id"]
    assert item.text == text
    assert item.author_name == text[:60]


def test_many_comments_are_read_a_hundred_a_page(fb, page, post_id, conversation, sandbox):
    conversation.inject("facebook", "comment", post_id=post_id, count=250)
    before = sandbox.calls("/comments")
    got = fb.fetch_comments(page, [post_id])
    assert len({i.external_id for i in got.items}) == 250 and got.complete
    assert sandbox.calls("/comments") - before == 3


def test_a_fetch_cut_short_resumes_from_its_cursor_and_proves_no_deletion(
    fb, page, post_id, conversation
):
    conversation.inject("facebook", "comment", post_id=post_id, count=5_050)
    first = fb.fetch_comments(page, [post_id])
    assert len(first.items) == 5_000  # 50 pages of 100, then it hands back a cursor
    assert not first.complete and first.cursor
    rest = fb.fetch_comments(page, [post_id], cursor=first.cursor)
    assert len(rest.items) == 50 and rest.cursor == ""
    assert not rest.complete  # it saw only the rest
    assert len({i.external_id for i in first.items + rest.items}) == 5_050


def test_a_complete_fetch_leaves_out_what_was_deleted_and_shows_edits(
    fb, page, post_id, conversation
):
    made = conversation.inject("facebook", "comment", post_id=post_id, count=3)
    conversation.delete("facebook", made[1]["id"])
    conversation.edit("facebook", made[2]["id"], text="Changed my mind: lovely staff")
    got = fb.fetch_comments(page, [post_id])
    assert got.complete
    assert [i.external_id for i in got.items] == [made[0]["id"], made[2]["id"]]
    assert got.items[1].text == "Changed my mind: lovely staff"


def test_a_deleted_post_has_no_comments(fb, page, post_id, conversation, client_for):
    conversation.inject("facebook", "comment", post_id=post_id, count=2)
    client_for("facebook").delete(page, post_id)
    got = fb.fetch_comments(page, [post_id])
    assert got.items == () and got.complete


def test_hide_keeps_the_comment_listed_and_unhide_shows_it(fb, page, post_id, conversation):
    conversation.inject("facebook", "comment", post_id=post_id)
    [item] = fb.fetch_comments(page, [post_id]).items
    fb.hide(page, item, True)
    [hidden] = fb.fetch_comments(page, [post_id]).items
    assert hidden.hidden and hidden.text == item.text
    fb.hide(page, hidden, False)
    assert not fb.fetch_comments(page, [post_id]).items[0].hidden


def test_our_reply_lands_in_the_thread_and_is_read_back(fb, page, post_id, conversation):
    [top] = conversation.inject("facebook", "comment", post_id=post_id)
    conversation.inject("facebook", "comment", parent_id=top["id"], text="me too")
    reply_to = next(i for i in fb.fetch_comments(page, [post_id]).items if i.parent_id)
    text = "Thank you for reaching out. Please call our office at 555-0100."

    sent = fb.reply(page, reply_to, text)

    ours = [i for i in fb.fetch_comments(page, [post_id]).items if i.from_us]
    assert [(i.external_id, i.parent_id, i.text) for i in ours] == [
        (sent.platform_id, top["id"], text)
    ]
    assert ours[0].author_id == PAGE
    assert fb.find_reply(page, reply_to, text).platform_id == sent.platform_id
    assert fb.find_reply(page, reply_to, "something we never said") is None

    fb.delete_reply(page, reply_to, sent.platform_id)
    assert fb.find_reply(page, reply_to, text) is None
    fb.delete_reply(page, reply_to, sent.platform_id)  # already gone is fine


def test_an_ambiguous_reply_is_found_by_find_reply_and_not_sent_twice(
    fb, page, post_id, conversation, sandbox
):
    conversation.inject("facebook", "comment", post_id=post_id)
    [item] = fb.fetch_comments(page, [post_id]).items
    sandbox.faults(platform="facebook", ambiguous_rate=1.0, ambiguous_mode="drop")
    with pytest.raises(AmbiguousOutcome):
        fb.reply(page, item, "Thanks, please call us.")
    sandbox.clear_faults()

    found = fb.find_reply(page, item, "Thanks, please call us.")

    assert found is not None
    ours = [i for i in fb.fetch_comments(page, [post_id]).items if i.from_us]
    assert [i.external_id for i in ours] == [found.platform_id]


def test_delete_comment_removes_it(fb, page, post_id, conversation):
    conversation.inject("facebook", "comment", post_id=post_id, count=2)
    first, second = fb.fetch_comments(page, [post_id]).items
    fb.delete_comment(page, first)
    assert [i.external_id for i in fb.fetch_comments(page, [post_id]).items] == [second.external_id]
    fb.delete_comment(page, first)  # already gone is fine


def test_tagged_posts_are_mentions_and_the_cursor_brings_new_ones_only(fb, page, conversation):
    conversation.quiet()
    made = conversation.inject("facebook", "mention", account=PAGE, count=2)
    first = fb.fetch_mentions(page)
    assert {i.external_id for i in first.items} == {m["id"] for m in made}
    assert all(i.kind == "mention" and i.post_id == i.external_id for i in first.items)
    assert first.cursor and not first.complete

    [later] = conversation.inject("facebook", "mention", account=PAGE, text="<b>Tag</b> you")
    second = fb.fetch_mentions(page, cursor=first.cursor)
    assert [(i.external_id, i.text) for i in second.items] == [(later["id"], "<b>Tag</b> you")]
    assert fb.fetch_mentions(page, cursor=second.cursor).items == ()


def test_a_mention_is_answered_on_its_post_and_cannot_be_hidden(fb, page, conversation):
    conversation.quiet()
    conversation.inject("facebook", "mention", account=PAGE)
    [mention] = fb.fetch_mentions(page).items
    sent = fb.reply(page, mention, "Thank you for the kind words!")
    assert fb.find_reply(page, mention, "Thank you for the kind words!").platform_id == (
        sent.platform_id
    )
    with pytest.raises(DeleteUnsupported):
        fb.hide(page, mention, True)
    with pytest.raises(DeleteUnsupported):
        fb.delete_comment(page, mention)


def test_no_reviews_here(fb, page):
    got = fb.fetch_reviews(page)
    assert got.items == () and got.complete
    assert fb.conversation_kinds == ("comment", "mention")
    assert fb.can_hide and fb.can_delete_comments
