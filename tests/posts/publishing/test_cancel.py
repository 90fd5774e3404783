"""A person's "cancel on this platform", and what it leaves alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEvent
from posts.models import Post, Publication
from practices.models import SocialAccount
from tests.posts.publishing.support import publications
from tests.publishing_support import (
    scheduled_post,
)

pytestmark = pytest.mark.django_db

Status = Publication.Status
Kind = Publication.ErrorKind


# -- a person's "cancel on this platform" ------------------------------------------


def test_a_post_held_for_a_disconnected_account_can_be_cancelled_there(
    world, sandbox, run_due, client
):
    # Google Business went out; LinkedIn's account was disconnected before
    # its turn: the post waits in publishing until someone acts.
    linkedin = world["accounts"]["linkedin"]
    SocialAccount.objects.filter(pk=linkedin.pk).update(status=SocialAccount.Status.DISCONNECTED)
    post = scheduled_post(world, ["google_business", "linkedin"])
    run_due()
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHING
    held = publications(post)["linkedin"]
    assert held.status == Status.PENDING

    client.force_login(world["strategist"])
    dashboard = client.get("/dashboard/").content.decode()
    assert "is disconnected but has posts waiting" in dashboard
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Cancel on this platform" in page
    response = client.post(f"/publications/{held.pk}/cancel/")
    assert response.status_code == 302

    held.refresh_from_db()
    assert held.status == Status.CANCELLED
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED  # what went out, went out
    event = AuditEvent.objects.get(verb="publication_cancelled")
    assert event.actor == world["strategist"]
    assert event.detail == {"publication": held.pk, "platform": "linkedin", "was": "pending"}
    assert "is disconnected but has posts waiting" not in client.get("/dashboard/").content.decode()
    # Reconnected later: nothing goes out for the cancelled one.
    SocialAccount.objects.filter(pk=linkedin.pk).update(status=SocialAccount.Status.CONNECTED)
    assert run_due() == []
    assert sandbox.ledger("linkedin") == []


def test_cancelling_every_publication_cancels_the_post(world, sandbox, run_due, client):
    sandbox.faults(platform="x", error_rates={"rejected": 1.0})
    post = scheduled_post(world, ["x"])
    run_due()
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED
    publication = post.publications.get()

    client.force_login(world["strategist"])
    client.post(f"/publications/{publication.pk}/cancel/")

    publication.refresh_from_db()
    assert publication.status == Status.CANCELLED
    post.refresh_from_db()
    assert post.status == Post.Status.CANCELLED
    # No longer a failure for anyone to look at.
    assert "failed on" not in client.get("/dashboard/").content.decode()


def test_a_publication_that_may_be_live_or_is_going_out_is_not_cancelled(
    world, sandbox, run_due, client
):
    post = scheduled_post(world, ["facebook", "x"])
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHING)
    maybe_live = publications(post)["facebook"]
    going_out = publications(post)["x"]
    Publication.objects.filter(pk=maybe_live.pk).update(status=Status.FAILED, read_back_first=True)
    Publication.objects.filter(pk=going_out.pk).update(status=Status.QUEUED)
    client.force_login(world["strategist"])

    page = client.get(post.get_absolute_url()).content.decode()
    assert "Cancel on this platform" not in page
    for publication in (maybe_live, going_out):
        response = client.post(f"/publications/{publication.pk}/cancel/", follow=True)
        assert response.status_code == 200
        assert "nothing changed" in response.content.decode()
    assert set(post.publications.values_list("status", flat=True)) == {
        Status.FAILED,
        Status.QUEUED,
    }
    assert not AuditEvent.objects.filter(verb="publication_cancelled").exists()


def test_before_it_goes_out_a_publication_is_not_cancelled_alone(world, sandbox, client):
    # A scheduled post: change its targets or cancel the whole post instead.
    post = scheduled_post(world, ["facebook"], at=timezone.now() + timedelta(hours=2))
    publication = post.publications.get()
    client.force_login(world["strategist"])
    response = client.post(f"/publications/{publication.pk}/cancel/", follow=True)
    assert response.status_code == 200
    assert "cancel the post" in response.content.decode()
    assert post.publications.get().status == Status.PENDING


def test_cancel_on_a_platform_is_for_the_agency_only(world, sandbox, run_due, client, outsider):
    sandbox.faults(platform="x", error_rates={"rejected": 1.0})
    post = scheduled_post(world, ["x"])
    run_due()
    publication = post.publications.get()
    url = f"/publications/{publication.pk}/cancel/"

    client.force_login(outsider)
    assert client.post(url).status_code == 404
    client.force_login(world["doctor"])
    assert client.post(url).status_code == 403
    client.force_login(world["strategist"])
    assert client.get(url).status_code == 405
    assert post.publications.get().status == Status.FAILED
