"""LinkedIn's engagement: comments and their replies through socialActions, edits by
lastModified, replies as the organization, and mentions from the notifications finder."""

from __future__ import annotations

import pytest

from platforms import AmbiguousOutcome, DeleteUnsupported, PublishRequest
from tests.platforms.conftest import HOSTILE_TEXTS

ORG = "urn:li:organization:2000001"


@pytest.fixture
def li(engagement_for):
    return engagement_for("linkedin")


@pytest.fixture
def org(account_for):
    return account_for("linkedin", "AQV-token")


@pytest.fixture
def post_urn(client_for, org, conversation):
    conversation.quiet()
    return (
        client_for("linkedin").publish(org, PublishRequest(text="We are hiring nurses")).platform_id
    )


def test_comments_and_replies_come_with_urns_and_times(li, org, post_urn, conversation, sandbox):
    [top] = conversation.inject("linkedin", "comment", post_id=post_urn)
    [answer] = conversation.inject("linkedin", "comment", parent_id=top["id"], text="Applied!")
    conversation.inject("linkedin", "comment", post_id=post_urn)  # no replies: no second call

    got = li.fetch_comments(org, [post_urn])

    assert got.complete
    first, reply, last = got.items
    assert first.external_id == top["id"] and first.external_id.startswith("urn:li:comment:(")
    assert (first.post_id, first.parent_id) == (post_urn, None)
    assert first.author_id.startswith("urn:li:person:") and first.author_name == ""
    assert first.updated_at == first.created_at
    assert (reply.external_id, reply.parent_id, reply.text) == (answer["id"], top["id"], "Applied!")
    assert "commentUrn=" in reply.permalink
    assert last.parent_id is None
    assert sandbox.calls("/socialActions/") == 2  # the post's page, one thread


@pytest.mark.parametrize("name", sorted(set(HOSTILE_TEXTS) - {"long"}))
def test_hostile_text_round_trips_exactly(li, org, post_urn, conversation, name):
    text = HOSTILE_TEXTS[name]
    conversation.inject("linkedin", "comment", post_id=post_urn, text=text)
    assert li.fetch_comments(org, [post_urn]).items[0].text == text


def test_an_edit_moves_last_modified(li, org, post_urn, conversation, advance_clock):
    [made] = conversation.inject("linkedin", "comment", post_id=post_urn)
    advance_clock(3600)
    conversation.edit("linkedin", made["id"], text="Edited: thank you all")
    [item] = li.fetch_comments(org, [post_urn]).items
    assert item.text == "Edited: thank you all"
    assert (item.updated_at - item.created_at).total_seconds() >= 3600


def test_paging_and_deletion(li, org, post_urn, conversation):
    made = conversation.inject("linkedin", "comment", post_id=post_urn, count=230)
    conversation.delete("linkedin", made[0]["id"])
    got = li.fetch_comments(org, [post_urn])
    ids = [i.external_id for i in got.items]
    assert got.complete and len(ids) == 229 == len(set(ids))
    assert made[0]["id"] not in ids


def test_our_reply_goes_under_the_comment_as_the_organization(li, org, post_urn, conversation):
    [top] = conversation.inject("linkedin", "comment", post_id=post_urn)
    [item] = li.fetch_comments(org, [post_urn]).items
    text = "Thank you! Our team will reach out by phone."

    sent = li.reply(org, item, text)

    ours = [i for i in li.fetch_comments(org, [post_urn]).items if i.from_us]
    assert [(i.external_id, i.parent_id, i.author_id) for i in ours] == [
        (sent.platform_id, top["id"], ORG)
    ]
    assert li.find_reply(org, item, text).platform_id == sent.platform_id
    li.delete_reply(org, item, sent.platform_id)
    assert li.find_reply(org, item, text) is None


def test_an_ambiguous_reply_is_found_and_not_sent_twice(li, org, post_urn, conversation, sandbox):
    conversation.inject("linkedin", "comment", post_id=post_urn)
    [item] = li.fetch_comments(org, [post_urn]).items
    sandbox.faults(platform="linkedin", ambiguous_rate=1.0, ambiguous_mode="no_id")
    with pytest.raises(AmbiguousOutcome):
        li.reply(org, item, "Thanks!")
    sandbox.clear_faults()
    found = li.find_reply(org, item, "Thanks!")
    assert found is not None
    ours = [i for i in li.fetch_comments(org, [post_urn]).items if i.from_us]
    assert [i.external_id for i in ours] == [found.platform_id]


def test_no_hiding_but_deleting_a_comment_on_our_post(li, org, post_urn, conversation):
    conversation.inject("linkedin", "comment", post_id=post_urn, count=2)
    first, second = li.fetch_comments(org, [post_urn]).items
    assert not li.can_hide
    with pytest.raises(DeleteUnsupported):
        li.hide(org, first, True)
    li.delete_comment(org, first)
    assert [i.external_id for i in li.fetch_comments(org, [post_urn]).items] == [second.external_id]


def test_mentions_from_notifications_with_their_text(li, org, conversation):
    conversation.quiet()
    text = "Shout-out to Maple Street Family Practice (and #nurses) <3 \\o/ [sic]"
    [share] = conversation.inject("linkedin", "mention", account=ORG, text=text)
    first = li.fetch_mentions(org)
    [mention] = first.items
    # The post's commentary is little text with a mention template: the reader's text.
    assert (mention.kind, mention.external_id, mention.post_id) == (
        "mention",
        share["id"],
        share["id"],
    )
    assert mention.text == text
    assert mention.author_id.startswith("urn:li:person:")

    sent = li.reply(org, mention, "Thank you!")
    assert li.find_reply(org, mention, "Thank you!").platform_id == sent.platform_id
    with pytest.raises(DeleteUnsupported):
        li.delete_comment(org, mention)

    assert li.fetch_mentions(org, cursor=first.cursor).items == ()


def test_a_mention_in_a_comment_is_read_from_the_comment(li, org, conversation, sandbox):
    sandbox.reset(seed=11)
    conversation.shown("linkedin", account=ORG, kind="mention")  # draw the month's mentions
    drawn = conversation.shown("linkedin", account=ORG, kind="mention")
    in_comments = [m for m in drawn if m["id"].startswith("urn:li:comment:")]
    assert in_comments, "seed 11 draws a COMMENT_MENTION"
    got = {i.external_id: i for i in li.fetch_mentions(org).items}
    assert {m["id"] for m in drawn} <= set(got)
    sample = got[in_comments[0]["id"]]
    assert sample.text == in_comments[0]["text"] and sample.post_id != sample.external_id

    sent = li.reply(org, sample, "Thanks for the mention!")
    assert li.find_reply(org, sample, "Thanks for the mention!").platform_id == sent.platform_id
