"""A revocation that meets an attempt still on its way: the attempt looks on the platform
first, so what went out is taken down and what did not is cancelled, never sent twice."""

from __future__ import annotations

import pytest
from django.utils import timezone

from core.models import AuditEvent
from platforms.base import PublishRequest
from posts.models import Post, Publication
from posts.publishing import dispatch
from posts.publishing.takedown import revoke_consent
from practices.platform_clients import account_for, client_for
from tests import factories
from tests.posts.publishing.support import patient_post
from tests.publishing_support import (
    make_due,
    out_of_time,
    sent_mail,
    work,
)

pytestmark = pytest.mark.django_db

Status = Publication.Status


def test_revocation_while_an_attempt_is_in_flight_takes_it_down_after(
    world, sandbox, redis_db, django_capture_on_commit_callbacks
):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = patient_post(world, consent, ["facebook"])
    with django_capture_on_commit_callbacks(execute=True):
        (pk,) = dispatch.claim_due()
    redis_db.flushdb()
    # The post went out (the check passed before the revocation arrived) but
    # the worker had not recorded it yet: it comes back as unknown.
    Publication.objects.filter(pk=pk).update(status=Status.UNKNOWN, read_back_first=True)
    account = world["accounts"]["facebook"]
    client_for("facebook").publish(account_for(account), PublishRequest(text=post.caption))

    with django_capture_on_commit_callbacks(execute=True):
        report = revoke_consent(
            consent=consent, received_at=timezone.now(), note="", by=world["strategist"]
        )
    assert report.in_flight == [pk]

    with django_capture_on_commit_callbacks(execute=True):
        dispatch.claim_due()
    with django_capture_on_commit_callbacks(execute=True):
        work("publish")
    with django_capture_on_commit_callbacks(execute=True):
        work("default")

    publication = Publication.objects.get(pk=pk)
    assert publication.status == Status.DELETED
    assert publication.takedown_done_at is not None
    # Found by reading back (never sent a second time), then deleted.
    (entry,) = sandbox.ledger("facebook")
    assert entry["deleted"]
    assert publication.platform_post_id == entry["id"]
    published = AuditEvent.objects.get(verb="published", object_id=str(pk))
    assert published.detail["read_back"] is True
    assert AuditEvent.objects.filter(verb="takedown_deleted", object_id=str(pk)).count() == 1
    assert sent_mail() == []


def test_an_attempt_in_flight_that_never_went_out_is_cancelled_and_its_takedown_closed(
    world, sandbox, redis_db, django_capture_on_commit_callbacks, client
):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = patient_post(world, consent, ["facebook"])
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.claim_due()
    redis_db.flushdb()
    # The attempt stopped without an answer: it may or may not be live.
    post.publications.update(status=Status.UNKNOWN, read_back_first=True)
    with django_capture_on_commit_callbacks(execute=True):
        report = revoke_consent(
            consent=consent, received_at=timezone.now(), note="", by=world["strategist"]
        )
    (publication,) = post.publications.all()
    assert report.in_flight == [publication.pk]

    # The worker reads back, finds nothing on Facebook, and stops there.
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch.claim_due() == [publication.pk]
    with django_capture_on_commit_callbacks(execute=True):
        work("publish")

    publication.refresh_from_db()
    assert publication.status == Status.CANCELLED
    assert publication.takedown_requested_at is not None
    assert publication.takedown_done_at is not None
    assert sandbox.ledger("facebook") == []
    assert sent_mail() == []
    client.force_login(world["strategist"])
    assert "take down" not in client.get("/dashboard/").content.decode()
    # Nothing of it went out: the post ends cancelled, not published.
    post.refresh_from_db()
    assert post.status == Post.Status.CANCELLED


def test_a_maybe_live_post_whose_check_failed_stays_a_takedown_until_a_read_back_settles_it(
    world, sandbox, run_due, settings, client, django_capture_on_commit_callbacks
):
    consent = factories.make_consent(world["practice"], platforms=["linkedin"])
    # The create request went through; its answer was lost.
    sandbox.faults(platform="linkedin", ambiguous_rate=1.0, ambiguous_mode="drop")
    post = patient_post(world, consent, ["linkedin"])
    run_due()
    (publication,) = post.publications.all()
    assert publication.status == Status.UNKNOWN
    (entry,) = sandbox.ledger("linkedin")
    with django_capture_on_commit_callbacks(execute=True):
        report = revoke_consent(
            consent=consent, received_at=timezone.now(), note="", by=world["strategist"]
        )
    assert report.in_flight == [publication.pk]
    # Reading back fails until the time to try runs out: failed, and maybe live.
    sandbox.clear_faults()
    sandbox.faults(platform="linkedin", error_rates={"transient": 1.0})
    make_due(post)
    run_due()
    publication.refresh_from_db()
    assert publication.status == Status.UNKNOWN  # still in time: looked for again later
    out_of_time(post)
    make_due(post)
    run_due()
    publication.refresh_from_db()
    assert publication.status == Status.FAILED
    assert publication.read_back_first
    assert publication.takedown_done_at is None

    client.force_login(world["strategist"])
    dashboard = client.get("/dashboard/").content.decode()
    assert "may be live" in dashboard
    assert post.get_absolute_url() in dashboard

    # Retry now looks first: the post is there, so it is taken down, not
    # cancelled over a live post (and never posted a second time).
    sandbox.clear_faults()
    assert client.post(f"/publications/{publication.pk}/retry/").status_code == 302
    run_due()
    with django_capture_on_commit_callbacks(execute=True):
        work("default")

    publication.refresh_from_db()
    assert publication.status == Status.DELETED
    assert publication.platform_post_id == entry["id"]
    assert publication.takedown_done_at is not None
    (entry,) = sandbox.ledger("linkedin")
    assert entry["deleted"]
    assert "may be live" not in client.get("/dashboard/").content.decode()


def test_a_revocation_reaching_a_queued_maybe_live_attempt_lets_it_look_first(
    world, sandbox, redis_db, django_capture_on_commit_callbacks
):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = patient_post(world, consent, ["facebook"])
    post.publications.update(status=Status.UNKNOWN, read_back_first=True)
    live = client_for("facebook").publish(
        account_for(world["accounts"]["facebook"]), PublishRequest(text=post.caption)
    )
    with django_capture_on_commit_callbacks(execute=True):
        (pk,) = dispatch.claim_due()  # queued, its job on the way

    with django_capture_on_commit_callbacks(execute=True):
        report = revoke_consent(
            consent=consent, received_at=timezone.now(), note="", by=world["strategist"]
        )
    assert report.in_flight == [pk]
    with django_capture_on_commit_callbacks(execute=True):
        work("publish")
    with django_capture_on_commit_callbacks(execute=True):
        work("default")

    publication = Publication.objects.get(pk=pk)
    assert publication.status == Status.DELETED
    assert publication.platform_post_id == live.platform_id
    assert sandbox.ledger("facebook")[0]["deleted"]


@pytest.mark.django_db(transaction=True)
def test_a_revocation_landing_after_the_claim_cancels_the_attempt_without_an_alert(
    world, sandbox, redis_db
):
    import threading

    from django.db import connections

    from posts.publishing import attempt as publishing

    consent = factories.make_consent(world["practice"], platforms=["facebook", "linkedin"])
    post = patient_post(world, consent, ["linkedin"])
    dispatch.claim_due()
    redis_db.flushdb()
    # The attempt stopped without an answer; the dispatcher hands it out again.
    post.publications.update(status=Status.UNKNOWN, read_back_first=True)
    (pk,) = dispatch.claim_due()
    redis_db.flushdb()
    # Reading back takes a while: the revocation lands after the worker
    # loaded the publication at its claim, before it checks the consent.
    sandbox.faults(platform="linkedin", latency_ms=1500)
    outcome: list[str] = []

    def worker() -> None:
        try:
            outcome.append(publishing.attempt(publication_id=pk))
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    for _ in range(500):
        if Publication.objects.get(pk=pk).status == Status.PUBLISHING:
            break
        thread.join(0.01)
    report = revoke_consent(
        consent=consent, received_at=timezone.now(), note="", by=world["strategist"]
    )
    assert report.in_flight == [pk]
    thread.join(15)

    assert outcome == ["cancelled"]
    publication = Publication.objects.get(pk=pk)
    assert publication.status == Status.CANCELLED
    assert publication.last_error_kind == ""
    assert publication.takedown_done_at is not None
    assert sandbox.ledger("linkedin") == []
    assert sent_mail() == []
