"""Who may open the editor and act on a post."""

from __future__ import annotations

import pytest

from posts.media import photos as media
from posts.models import Post
from tests import factories
from tests import media_samples as samples
from tests.posts.authoring.support import form_data

pytestmark = pytest.mark.django_db


# -- access ---------------------------------------------------------------------------


def test_a_strategist_never_reaches_another_practice(
    client, strategist, other_practice, other_staff
):
    # Another practice does not exist for them: 404, as for an outsider.
    client.force_login(strategist)
    tip = factories.make_tip(other_practice, submitted_by=other_staff)
    post = factories.make_post(other_practice)
    asset = media.store_photo(practice=other_practice, upload=samples.photo(), by=other_staff)
    assert client.get(f"/posts/new/?practice={other_practice.slug}").status_code == 404
    assert client.get(f"/posts/new/?tip={tip.pk}").status_code == 404
    assert client.get(f"/posts/{post.pk}/edit/").status_code == 404
    checks = client.post("/posts/checks/", {"post": post.pk, "caption": "x"})
    assert checks.status_code == 404
    new_checks = client.post("/posts/checks/", {"practice": other_practice.slug, "caption": "x"})
    assert new_checks.status_code == 404
    for action in ("send", "schedule", "unschedule", "cancel", "duplicate", "comments"):
        assert client.post(f"/posts/{post.pk}/{action}/").status_code == 404, action
    assert client.get(f"/media/{asset.pk}/thumbnail/").status_code == 404


def test_a_photo_from_another_practice_cannot_be_put_in_a_post(
    client, strategist, practice, other_practice, other_staff
):
    foreign = media.store_photo(practice=other_practice, upload=samples.photo(), by=other_staff)
    client.force_login(strategist)
    data = form_data(practice, photos=[foreign.pk])
    response = client.post("/posts/new/", data)
    assert response.status_code == 400
    assert "not in this practice" in response.content.decode()
    assert not Post.objects.exists()


def test_staff_and_doctors_cannot_open_the_editor(client, practice, staff, doctor):
    post = factories.make_post(practice, status=Post.Status.IN_REVIEW)
    for person in (staff, doctor):
        client.force_login(person)
        assert client.get(f"/posts/{post.pk}/edit/").status_code == 403
        assert client.get(f"/posts/new/?practice={practice.slug}").status_code == 403
