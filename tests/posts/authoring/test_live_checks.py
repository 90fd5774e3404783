"""The editor's live checks: previews, publishability and the compliance panel."""

from __future__ import annotations

import pytest

from posts.models import PostMedia
from tests import factories
from tests.posts.authoring.support import editor_data

pytestmark = pytest.mark.django_db


# -- the live checks ----------------------------------------------------------------------


def test_the_checks_partial_follows_the_text_as_typed(client, strategist, practice, accounts):
    post = factories.make_post(practice, targets=[accounts["x"]])
    client.force_login(strategist)
    data = editor_data(post, caption="x" * 300)
    page = client.post("/posts/checks/", data).content.decode()
    assert "300 / 280 weighted characters" in page
    assert "Shorten the caption, or write a shorter text for this platform only." in page
    fixed = client.post("/posts/checks/", {**data, "override_x": "Short."}).content.decode()
    assert "6 / 280 weighted characters" in fixed
    assert "Every target takes this post as it is." in fixed
    post.refresh_from_db()
    assert post.caption != "x" * 300, "the checks save nothing"


@pytest.mark.parametrize("size", [1, 4])
def test_the_editor_and_its_checks_keep_a_fixed_number_of_queries(
    client, strategist, practice, accounts, photos, django_assert_num_queries, size
):
    # The same count for one photo and one target as for four photos on five.
    post = factories.make_post(practice, targets=list(accounts.values())[:size])
    for position, asset in enumerate(photos[:size]):
        PostMedia.objects.create(post=post, asset=asset, position=position)
    client.force_login(strategist)
    data = editor_data(post)
    client.post("/posts/checks/", data)  # sessions and the like, once
    with django_assert_num_queries(9):
        client.post("/posts/checks/", data)
    with django_assert_num_queries(15):
        client.get(f"/posts/{post.pk}/edit/")
