"""Text rules: LinkedIn escaping, X's weighted length, limits and image counts."""

from __future__ import annotations

import pytest

from platforms import text
from platforms.text import check_media, check_text, linkedin_escape, x_weighted_length


@pytest.mark.parametrize("char", list("\\|{}@[]()<>*_~"))
def test_linkedin_escapes_every_reserved_character(char):
    assert linkedin_escape(f"a{char}b") == f"a\\{char}b"


def test_linkedin_keeps_hashtags_clickable_and_escapes_inside_them():
    assert linkedin_escape("Flu shots #flu_season now") == (
        "Flu shots {hashtag|\\#|flu\\_season} now"
    )


def test_linkedin_escapes_a_lone_hash_and_leaves_plain_text_alone():
    assert linkedin_escape("Room # 4") == "Room \\# 4"
    assert linkedin_escape("Open Monday to Friday, 8-5.") == "Open Monday to Friday, 8-5."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hello", 5),
        ("café", 4),  # Latin with accents weighs 1
        ("日本語", 6),  # CJK weighs 2
        ("👍", 2),
        ("👍🏽", 2),  # skin tone modifier joins the emoji
        ("👨‍👩‍👧", 2),  # a ZWJ family is one emoji
        ("🇫🇷", 2),  # two regional indicators make one flag
        ("1️⃣", 2),  # keycap
        ("see https://example.com/a/very/long/path?with=query&and=more ok", 4 + 23 + 3),
        ("book at rounds.health today", 8 + 23 + 6),
        ("(https://example.com).", 1 + 23 + 2),  # trailing punctuation is not the link
    ],
)
def test_x_weighted_length(value, expected):
    assert x_weighted_length(value) == expected


def test_x_limit_is_280_weighted_characters():
    assert check_text("x", "a" * 280) == []
    problems = check_text("x", "a" * 281)
    assert problems and "281" in problems[0] and "280" in problems[0]
    # 140 CJK characters already fill a post.
    assert check_text("x", "語" * 140) == []
    assert check_text("x", "語" * 141)
    # A long link still counts 23.
    assert check_text("x", "x" * 250 + " https://example.com/" + "p" * 300) == []


@pytest.mark.parametrize(
    ("platform", "limit"),
    [("facebook", 63_206), ("instagram", 2_200), ("linkedin", 3_000), ("google_business", 1_500)],
)
def test_character_limits(platform, limit):
    assert check_text(platform, "a" * limit) == []
    assert check_text(platform, "a" * (limit + 1))


def test_instagram_counts_hashtags_and_mentions():
    assert check_text("instagram", " ".join(f"#tag{i}" for i in range(30))) == []
    problems = check_text("instagram", " ".join(f"#tag{i}" for i in range(31)))
    assert problems == ["The caption has 31 hashtags; Instagram allows 30."]
    assert check_text("instagram", " ".join(f"@user{i}" for i in range(21)))
    assert check_text("instagram", "email me at a@b.com") == []


@pytest.mark.parametrize(
    ("platform", "allowed", "refused"),
    [
        ("instagram", [1, 2, 10], [0, 11]),
        ("x", [0, 1, 4], [5]),
        ("linkedin", [0, 1, 2, 20], [21]),
        ("google_business", [0, 1], [2]),
    ],
)
def test_image_counts(platform, allowed, refused):
    for count in allowed:
        assert check_media(platform, count) == []
    for count in refused:
        assert check_media(platform, count)


def test_urls_found_as_x_finds_them():
    sample = "Visit https://a.example/x, or www.rounds.health."
    found = [sample[s:e] for s, e in text.find_urls(sample)]
    assert found == ["https://a.example/x", "www.rounds.health"]
