"""Google reviews: stars in words, pages of 50, the owner's one reply, edits by
updateTime, deletions, and nothing else a business may do to a review."""

from __future__ import annotations

import pytest

from platforms import AmbiguousOutcome, ContentRejected, DeleteUnsupported
from tests.platforms.conftest import HOSTILE_TEXTS

LOCATION = "accounts/4000001/locations/5000001"


@pytest.fixture
def gbp(engagement_for):
    return engagement_for("google_business")


@pytest.fixture
def location(account_for, conversation):
    conversation.quiet()
    return account_for("google_business", "ya29.token")


def reviews(gbp, location, **kw):
    return [i for i in gbp.fetch_reviews(location, **kw).items if not i.from_us]


@pytest.mark.parametrize("stars", [1, 2, 3, 4, 5])
def test_stars_in_words_become_numbers(gbp, location, conversation, stars):
    [made] = conversation.inject("google_business", "review", account=LOCATION, rating=stars)
    [review] = reviews(gbp, location)
    assert (review.kind, review.external_id, review.rating) == ("review", made["id"], stars)
    assert review.external_id.startswith(f"{LOCATION}/reviews/")
    assert review.author_name == made["author_name"] and review.author_id == ""
    assert review.created_at is not None and review.updated_at == review.created_at


@pytest.mark.parametrize("name", sorted(HOSTILE_TEXTS))
def test_hostile_text_round_trips_exactly(gbp, location, conversation, name):
    text = HOSTILE_TEXTS[name][:4_096]
    conversation.inject("google_business", "review", account=LOCATION, text=text, rating=1)
    assert reviews(gbp, location)[0].text == text


def test_stars_without_words_have_empty_text(gbp, location, conversation):
    conversation.inject("google_business", "review", account=LOCATION, text="", rating=4)
    [review] = reviews(gbp, location)
    assert (review.text, review.rating) == ("", 4)


def test_every_review_in_pages_of_fifty_then_done(gbp, location, conversation, sandbox):
    conversation.inject("google_business", "review", account=LOCATION, count=120)
    before = sandbox.calls("/reviews")
    got = gbp.fetch_reviews(location)
    assert got.complete and got.cursor == "done"
    assert len({i.external_id for i in got.items if not i.from_us}) == 120
    assert sandbox.calls("/reviews") - before == 3
    again = gbp.fetch_reviews(location, cursor=got.cursor)  # "done": read whole again
    assert again.complete and len(again.items) == len(got.items)


def test_a_fetch_cut_short_hands_back_the_page_to_resume(gbp, location, conversation):
    conversation.inject("google_business", "review", account=LOCATION, count=2_560)
    first = gbp.fetch_reviews(location)
    assert not first.complete and first.cursor.startswith("page:")
    assert len(first.items) == 2_500
    rest = gbp.fetch_reviews(location, cursor=first.cursor)
    assert len(rest.items) == 60 and rest.cursor == "done"
    # It reached the end: everything is this call's reviews and the earlier call's.
    assert rest.complete
    assert len({i.external_id for i in first.items + rest.items}) == 2_560


def test_edits_move_update_time_and_may_change_the_stars(
    gbp, location, conversation, advance_clock
):
    [made] = conversation.inject("google_business", "review", account=LOCATION, rating=2)
    advance_clock(7200)
    conversation.edit("google_business", made["id"], text="They called me back. Better.", rating=4)
    [review] = reviews(gbp, location)
    assert (review.text, review.rating) == ("They called me back. Better.", 4)
    assert (review.updated_at - review.created_at).total_seconds() >= 7200


def test_a_deleted_review_is_absent_from_the_complete_list(gbp, location, conversation):
    made = conversation.inject("google_business", "review", account=LOCATION, count=3)
    conversation.delete("google_business", made[0]["id"])
    got = gbp.fetch_reviews(location)
    assert got.complete
    assert {i.external_id for i in got.items} == {made[1]["id"], made[2]["id"]}


def test_the_owners_reply_is_read_back_replaced_and_deleted(gbp, location, conversation):
    conversation.inject("google_business", "review", account=LOCATION, rating=1)
    [review] = reviews(gbp, location)
    text = "We're sorry to hear this. Please call our office manager at 555-0100."

    sent = gbp.reply(location, review, text)

    items = gbp.fetch_reviews(location).items
    [ours] = [i for i in items if i.from_us]
    assert (ours.external_id, ours.parent_id, ours.text) == (
        sent.platform_id,
        review.external_id,
        text,
    )
    assert gbp.find_reply(location, review, text) == sent
    assert gbp.find_reply(location, review, "something else") is None

    # A second reply replaces the first: Google keeps one owner reply per review.
    gbp.reply(location, review, "Please call us.")
    assert [i.text for i in gbp.fetch_reviews(location).items if i.from_us] == ["Please call us."]

    gbp.delete_reply(location, review, sent.platform_id)
    assert [i for i in gbp.fetch_reviews(location).items if i.from_us] == []
    gbp.delete_reply(location, review, sent.platform_id)  # none left is fine


def test_an_ambiguous_reply_is_found_by_find_reply(gbp, location, conversation, sandbox):
    conversation.inject("google_business", "review", account=LOCATION, rating=5)
    [review] = reviews(gbp, location)
    sandbox.faults(platform="google_business", ambiguous_rate=1.0, ambiguous_mode="drop")
    with pytest.raises(AmbiguousOutcome):
        gbp.reply(location, review, "Thank you!")
    sandbox.clear_faults()
    assert gbp.find_reply(location, review, "Thank you!") is not None


def test_a_reply_to_a_deleted_review_is_refused(gbp, location, conversation):
    [made] = conversation.inject("google_business", "review", account=LOCATION)
    [review] = reviews(gbp, location)
    conversation.delete("google_business", made["id"])
    with pytest.raises(ContentRejected, match="no longer has this review"):
        gbp.reply(location, review, "Thanks")
    assert gbp.find_reply(location, review, "Thanks") is None


def test_reviews_only(gbp, location, conversation):
    conversation.inject("google_business", "review", account=LOCATION)
    [review] = reviews(gbp, location)
    assert gbp.conversation_kinds == ("review",)
    assert not (gbp.can_hide or gbp.can_delete_comments)
    with pytest.raises(DeleteUnsupported):
        gbp.hide(location, review, True)
    with pytest.raises(DeleteUnsupported):
        gbp.delete_comment(location, review)
    for got in (gbp.fetch_comments(location, ["x"]), gbp.fetch_mentions(location)):
        assert got.items == () and got.complete
