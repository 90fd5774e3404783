"""A new post: blank, from a tip, or a duplicate; saved as a draft."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEvent
from posts.models import Post, Tip
from tests import factories
from tests.posts.authoring.support import form_data, later

pytestmark = pytest.mark.django_db


# -- new posts ----------------------------------------------------------------------


def test_a_strategist_drafts_a_post_from_a_tip(client, strategist, practice, staff, photos):
    tip = factories.make_tip(practice, submitted_by=staff, text="Nurse Jo's ten years.")
    for position, asset in enumerate(photos[:2]):
        tip.tipphoto_set.create(asset=asset, position=position)
    client.force_login(strategist)

    page = client.get(f"/posts/new/?tip={tip.pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Nurse Jo&#x27;s ten years." in body or "Nurse Jo's ten years." in body

    data = form_data(practice, caption="Nurse Jo's ten years with us.", tip=tip.pk)
    data["photos"] = [photos[0].pk, photos[1].pk]
    data[f"position_{photos[0].pk}"] = "2"
    data[f"position_{photos[1].pk}"] = "1"
    response = client.post("/posts/new/", data)
    assert response.status_code == 302
    post = Post.objects.get()
    assert response["Location"] == f"/posts/{post.pk}/edit/"
    assert post.tip == tip and post.status == Post.Status.DRAFT and post.author == strategist
    assert [pm.asset_id for pm in post.attachments()] == [photos[1].pk, photos[0].pk]
    tip.refresh_from_db()
    assert tip.status == Tip.Status.DRAFTED
    assert AuditEvent.objects.filter(verb="post_created", object_id=str(post.pk)).exists()


def test_a_blank_post_for_a_practice(client, strategist, practice, accounts):
    client.force_login(strategist)
    assert client.get(f"/posts/new/?practice={practice.slug}").status_code == 200
    response = client.post(
        "/posts/new/", form_data(practice, targets=[accounts["facebook"]], **later())
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert list(post.targets.all()) == [accounts["facebook"]]
    local = practice.local(post.scheduled_at)
    assert (local.hour, local.minute) == (10, 0)
    assert str(local.tzinfo) == "America/Chicago"


def test_bad_input_saves_nothing(client, strategist, practice):
    client.force_login(strategist)
    response = client.post("/posts/new/", form_data(practice, caption=""))
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_a_time_in_the_past_is_refused(client, strategist, practice):
    client.force_login(strategist)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(
        "/posts/new/", form_data(practice, date=yesterday.isoformat(), time="10:00")
    )
    assert response.status_code == 400
    assert "That time has passed" in response.content.decode()
    assert not Post.objects.exists()
