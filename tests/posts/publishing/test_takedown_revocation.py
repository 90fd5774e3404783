"""Revoking a patient's authorization: what has not gone out is cancelled, what has is
taken down, and a second revocation starts nothing new."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEvent
from posts.models import Post, Publication
from posts.publishing.takedown import revoke_consent
from tests import factories
from tests.posts.publishing.support import patient_post
from tests.publishing_support import (
    scheduled_post,
    sent_mail,
    work,
)

pytestmark = pytest.mark.django_db

Status = Publication.Status


def test_revocation_cancels_waiting_posts_and_deletes_live_ones(
    world, sandbox, run_due, django_capture_on_commit_callbacks, client
):
    consent = factories.make_consent(
        world["practice"], platforms=["facebook", "linkedin", "instagram", "x"]
    )
    live = patient_post(world, consent, ["facebook", "linkedin"])
    run_due()
    assert {p.status for p in live.publications.all()} == {Status.PUBLISHED}
    waiting = patient_post(world, consent, ["x"], at=timezone.now() + timedelta(days=2))
    unrelated = scheduled_post(world, ["x"], at=timezone.now() + timedelta(days=2))
    received = timezone.now() - timedelta(hours=1)

    with django_capture_on_commit_callbacks(execute=True):
        report = revoke_consent(
            consent=consent,
            received_at=received,
            note="Phoned the front desk",
            by=world["strategist"],
        )
    with django_capture_on_commit_callbacks(execute=True):
        work("default")

    consent.refresh_from_db()
    assert consent.revoked_at == received
    assert consent.revoked_by == world["strategist"]
    assert report.cancelled_posts == [waiting.pk]
    waiting.refresh_from_db()
    assert waiting.status == Post.Status.CANCELLED
    assert waiting.publications.get().status == Status.CANCELLED
    unrelated.refresh_from_db()
    assert unrelated.status == Post.Status.SCHEDULED

    assert sorted(report.deleting) == sorted(live.publications.values_list("pk", flat=True))
    for publication in live.publications.all():
        assert publication.status == Status.DELETED
        assert publication.takedown_done_at is not None
    assert all(entry["deleted"] for entry in sandbox.ledger())
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"consent_revoked", "post_cancelled", "takedown_requested", "takedown_deleted"} <= verbs
    assert sent_mail() == []

    client.force_login(world["strategist"])
    assert "take down" not in client.get("/dashboard/").content.decode()


def test_revoking_twice_keeps_the_first_receipt(world, sandbox, redis_db):
    consent = factories.make_consent(world["practice"])
    first = timezone.now() - timedelta(days=1)
    revoke_consent(consent=consent, received_at=first, note="letter", by=world["strategist"])
    report = revoke_consent(
        consent=consent, received_at=timezone.now(), note="again", by=world["strategist"]
    )
    consent.refresh_from_db()
    assert report.already_revoked
    assert consent.revoked_at == first
    assert consent.revocation_note == "letter"
    assert AuditEvent.objects.filter(verb="consent_revoked").count() == 1


def test_revoking_again_only_reports_it(
    world, sandbox, run_due, redis_db, django_capture_on_commit_callbacks
):
    # A double submit of the revocation form: the takedown already running
    # (delete queued, person asked, audit recorded) is not started a second time.
    consent = factories.make_consent(world["practice"], platforms=["facebook", "x"])
    live = patient_post(world, consent, ["facebook"])
    run_due()
    with django_capture_on_commit_callbacks(execute=True):
        first = revoke_consent(
            consent=consent, received_at=timezone.now(), note="", by=world["strategist"]
        )
    assert first.deleting == [live.publications.get().pk]
    assert redis_db.llen("rq:queue:default") == 1
    events = AuditEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        again = revoke_consent(
            consent=consent, received_at=timezone.now(), note="", by=world["strategist"]
        )

    assert again.already_revoked
    assert (again.cancelled_posts, again.deleting, again.manual, again.in_flight) == (
        [],
        [],
        [],
        [],
    )
    assert redis_db.llen("rq:queue:default") == 1  # the first delete job only
    assert AuditEvent.objects.count() == events
    assert sent_mail() == []


def test_revoking_a_tips_authorization_reaches_the_posts_drafted_from_the_tip(
    world, sandbox, run_due, django_capture_on_commit_callbacks
):
    consent = factories.make_consent(world["practice"], platforms=["facebook", "linkedin"])
    tip = factories.make_tip(world["practice"], features_patient=True, consent=consent)
    live = scheduled_post(
        world, ["facebook"], tip=tip, features_patient=True, patient_uses=["photo"]
    )
    run_due()
    waiting = scheduled_post(
        world,
        ["linkedin"],
        tip=tip,
        features_patient=True,
        patient_uses=["photo"],
        at=timezone.now() + timedelta(days=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        report = revoke_consent(
            consent=consent, received_at=timezone.now(), note="", by=world["strategist"]
        )
    with django_capture_on_commit_callbacks(execute=True):
        work("default")

    assert report.cancelled_posts == [waiting.pk]
    assert report.deleting == [live.publications.get().pk]
    assert live.publications.get().status == Status.DELETED
    waiting.refresh_from_db()
    assert waiting.status == Post.Status.CANCELLED
