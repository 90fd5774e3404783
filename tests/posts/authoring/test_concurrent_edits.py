"""Two people editing one post never overwrite each other silently."""

from __future__ import annotations

import pytest

from tests import factories
from tests.posts.authoring.support import form_data

pytestmark = pytest.mark.django_db


# -- concurrent edits ------------------------------------------------------------------


def test_the_second_of_two_saves_from_the_same_version_is_refused(
    client, strategist, practice, accounts
):
    post = factories.make_post(practice, targets=[accounts["facebook"]])
    client.force_login(strategist)
    first = form_data(practice, caption="First edit", targets=[accounts["facebook"]], version=1)
    second = form_data(practice, caption="Second edit", targets=[accounts["facebook"]], version=1)
    assert client.post(f"/posts/{post.pk}/edit/", first).status_code == 302
    response = client.post(f"/posts/{post.pk}/edit/", second)
    assert response.status_code == 409
    assert "someone saved this post after you opened it" in response.content.decode()
    post.refresh_from_db()
    assert post.caption == "First edit"
    assert post.version == 2
