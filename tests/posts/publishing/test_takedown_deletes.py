"""Deleting a live post: where the platform cannot or will not, a person is asked to; a
delete lost on the way is queued again, and one already running is not repeated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from platforms.base import MediaItem, PublishRequest
from platforms.errors import PlatformError
from posts.models import Post, Publication
from posts.publishing.takedown import (
    REQUEUE_AFTER,
    delete_live_post,
    requeue_lost_deletes,
    revoke_consent,
)
from practices.platform_clients import account_for, client_for
from tests import factories
from tests.posts.publishing.support import patient_post
from tests.publishing_support import (
    sent_mail,
    work,
)

pytestmark = pytest.mark.django_db

Status = Publication.Status


def test_where_the_platform_cannot_delete_a_person_is_asked_to(
    world, sandbox, redis_db, django_capture_on_commit_callbacks, client, photo_server
):
    sandbox.faults(platform="instagram", delete_enabled=False)
    consent = factories.make_consent(world["practice"], platforms=["instagram"])
    post = patient_post(world, consent, [])
    # A live Instagram post (published earlier; how its photo got there is not the point).
    account = world["accounts"]["instagram"]
    live = client_for("instagram").publish(
        account_for(account),
        PublishRequest(text=post.caption, media=(MediaItem(url=f"{photo_server}/square.jpg"),)),
    )
    publication = Publication.objects.create(
        post=post,
        account=account,
        status=Status.PUBLISHED,
        platform_post_id=live.platform_id,
        permalink=live.permalink,
        published_at=timezone.now() - timedelta(days=3),
    )
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED)

    with django_capture_on_commit_callbacks(execute=True):
        report = revoke_consent(
            consent=consent, received_at=timezone.now(), note="", by=world["strategist"]
        )

    # Instagram may allow deleting: it is tried, and refused by this account.
    assert report.deleting == [publication.pk]
    with django_capture_on_commit_callbacks(execute=True):
        work("default")
    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED
    assert publication.takedown_requested_at is not None
    assert publication.takedown_done_at is None
    assert "remove it by hand" in publication.last_error_message
    assert len(sent_mail()) == 1
    assert "by hand" in sent_mail()[0].subject
    assert post.get_absolute_url() in sent_mail()[0].body

    client.force_login(world["strategist"])
    dashboard = client.get("/dashboard/").content.decode()
    assert "take down" in dashboard
    assert post.get_absolute_url() in dashboard
    page = client.get(post.get_absolute_url()).content.decode()
    assert "I removed it by hand" in page

    response = client.post(f"/publications/{publication.pk}/removed/")
    assert response.status_code == 302
    publication.refresh_from_db()
    assert publication.status == Status.DELETED
    assert publication.takedown_done_at is not None
    assert AuditEvent.objects.filter(verb="takedown_done_by_hand", actor=world["strategist"])
    assert "take down" not in client.get("/dashboard/").content.decode()


def test_a_delete_that_keeps_failing_becomes_a_to_do_for_a_person(
    world, sandbox, run_due, django_capture_on_commit_callbacks
):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = patient_post(world, consent, ["facebook"])
    run_due()
    publication = post.publications.get()
    assert publication.status == Status.PUBLISHED
    with django_capture_on_commit_callbacks(execute=True):
        revoke_consent(consent=consent, received_at=timezone.now(), note="", by=world["strategist"])
    sandbox.faults(platform="facebook", error_rates={"transient": 1.0})

    # Not the last try: the error goes back to RQ, which retries later.
    with pytest.raises(PlatformError):
        delete_live_post(publication_id=publication.pk, last_try=False)
    assert sent_mail() == []
    # The last try gives up and asks a person.
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_live_post(publication_id=publication.pk, last_try=True) == "by hand"

    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED
    assert publication.takedown_done_at is None
    assert "remove it by hand" in publication.last_error_message
    assert len(sent_mail()) == 1
    assert not sandbox.ledger("facebook")[0]["deleted"]
    # Left to a person: no job tries it again.
    assert requeue_lost_deletes(now=timezone.now() + timedelta(days=1)) == 0


def test_revoking_while_redis_is_down_loses_no_delete(
    world, sandbox, run_due, django_capture_on_commit_callbacks, client, settings
):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = patient_post(world, consent, ["facebook"])
    run_due()
    publication = post.publications.get()
    assert publication.status == Status.PUBLISHED
    reachable = settings.RQ_QUEUES
    settings.RQ_QUEUES = {
        **reachable,
        "default": {**reachable["default"], "URL": "redis://127.0.0.1:9/0"},
    }

    client.force_login(world["strategist"])
    today = world["practice"].local(timezone.now()).date().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("consent_revoke", args=[world["practice"].slug, consent.pk]),
            {"received_on": today, "note": ""},
        )
    assert response.status_code == 302
    publication.refresh_from_db()
    assert publication.takedown_requested_at is not None
    assert publication.takedown_queued_at is None

    settings.RQ_QUEUES = reachable
    # The sweep gives a fresh takedown a few minutes (its job may be on its way)...
    assert requeue_lost_deletes() == 0
    # ...then queues the delete again, once.
    later = timezone.now() + REQUEUE_AFTER + timedelta(seconds=1)
    assert requeue_lost_deletes(now=later) == 1
    assert requeue_lost_deletes(now=later) == 0
    with django_capture_on_commit_callbacks(execute=True):
        work("default")
    publication.refresh_from_db()
    assert publication.status == Status.DELETED
    assert sandbox.ledger("facebook")[0]["deleted"]
    assert sent_mail() == []


@pytest.mark.django_db(transaction=True)
def test_a_second_delete_job_while_one_is_deleting_leaves_it_alone(world, sandbox, run_due):
    import threading

    from django.db import connections

    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = patient_post(world, consent, ["facebook"])
    run_due()
    publication = post.publications.get()
    revoke_consent(consent=consent, received_at=timezone.now(), note="", by=world["strategist"])
    # Queued twice (say, by the revocation and by the sweep): two jobs run at once.
    sandbox.faults(platform="facebook", latency_ms=1500)
    first: list[str] = []

    def job() -> None:
        try:
            first.append(delete_live_post(publication_id=publication.pk, last_try=True))
        finally:
            connections.close_all()

    thread = threading.Thread(target=job, daemon=True)
    thread.start()
    # Facebook has deleted it; the answer is still on its way to the first job.
    for _ in range(500):
        if sandbox.ledger("facebook")[0]["deleted"]:
            break
        thread.join(0.01)
    second = delete_live_post(publication_id=publication.pk, last_try=True)
    thread.join(10)

    assert second == "nothing to do"
    assert first == ["deleted"]
    publication.refresh_from_db()
    assert publication.status == Status.DELETED
    assert publication.takedown_by_hand_at is None
    assert sent_mail() == []
    assert AuditEvent.objects.filter(verb="takedown_deleted").count() == 1
    assert not AuditEvent.objects.filter(verb="takedown_by_hand_needed").exists()
