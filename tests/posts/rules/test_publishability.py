"""Would each platform take the post? The clients' own rules, checked in the editor."""

from __future__ import annotations

import pytest

from posts.media import photos as media
from posts.models import PostMedia
from posts.rules import publishability
from practices.models import SocialAccount
from tests import factories
from tests import media_samples as samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def photos(practice, staff):
    return [
        media.store_photo(
            practice=practice,
            upload=samples.photo(f"p{i}.jpg", color=(20 * i, 100, 100)),
            by=staff,
        )
        for i in range(11)
    ]


def problems_for(practice, platform, *, caption="Hello from the clinic.", photos=(), **fields):
    account = factories.make_account(practice, platform)
    post = factories.make_post(practice, targets=[account], caption=caption, **fields)
    for position, asset in enumerate(photos):
        PostMedia.objects.create(post=post, asset=asset, position=position)
    return [(p.message, p.fix) for p in publishability.problems(post)]


@pytest.mark.parametrize(
    ("platform", "most"),
    [("facebook", 30), ("instagram", 10), ("linkedin", 20), ("x", 4), ("google_business", 1)],
)
def test_images_per_post(practice, photos, platform, most):
    allowed = photos[: min(most, len(photos))]
    assert problems_for(practice, platform, photos=allowed) == []
    if most < len(photos):
        ((message, fix),) = problems_for(practice, platform, photos=photos[: most + 1])
        assert f"at most {most} images" in message
        assert fix.startswith("Choose which")


def test_instagram_needs_a_photo(practice):
    ((message, fix),) = problems_for(practice, "instagram")
    assert message == "Instagram posts need at least one image."
    assert fix == "Add a photo, or take this platform off the targets."


@pytest.mark.parametrize(
    ("platform", "limit"),
    [("instagram", 2200), ("linkedin", 3000), ("google_business", 1500), ("facebook", 63206)],
)
def test_text_limits(practice, photos, platform, limit):
    attached = photos[:1]
    assert problems_for(practice, platform, caption="a" * limit, photos=attached) == []
    ((message, fix),) = problems_for(practice, platform, caption="a" * (limit + 1), photos=attached)
    assert f"the limit is {limit}" in message
    assert "write a shorter text for this platform only" in fix


def test_x_counts_links_as_23_and_emoji_as_2(practice):
    link = "https://example.com/" + "a" * 200
    assert problems_for(practice, "x", caption=link + " " + "b" * 256) == []  # 23 + 1 + 256
    ((message, _),) = problems_for(practice, "x", caption=link + " " + "b" * 257)
    assert "281 weighted characters" in message
    assert problems_for(practice, "x", caption="😀" * 140) == []
    assert problems_for(practice, "x", caption="😀" * 141)


def test_an_override_fixes_a_long_text_for_one_platform(practice):
    assert problems_for(practice, "x", caption="a" * 300, overrides={"x": "Short."}) == []
    ((_, fix),) = problems_for(practice, "x", caption="short", overrides={"x": "a" * 300})
    assert fix == "Shorten this platform's own text."


def test_instagram_hashtags(practice, photos):
    tags = " ".join(f"#tag{i}" for i in range(31))
    ((message, _),) = problems_for(practice, "instagram", caption=tags, photos=photos[:1])
    assert "31 hashtags; Instagram allows 30" in message


def test_an_account_needing_reconnection_is_a_problem(practice):
    account = factories.make_account(
        practice, "facebook", status=SocialAccount.Status.NEEDS_RECONNECT
    )
    post = factories.make_post(practice, targets=[account])
    ((problem),) = publishability.problems(post)
    assert "needs reconnecting" in problem.message


def test_a_photo_chosen_for_google_is_what_google_gets(practice, photos):
    account = factories.make_account(practice, "google_business")
    post = factories.make_post(
        practice, targets=[account], photo_choices={"google_business": [photos[2].pk]}
    )
    for position, asset in enumerate(photos[:3]):
        PostMedia.objects.create(post=post, asset=asset, position=position)
    assert publishability.problems(post) == []
    assert [pm.asset_id for pm in post.photos_for("google_business", post.attachments())] == [
        photos[2].pk
    ]
