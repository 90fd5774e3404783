"""Consent revocation: cancel what has not gone out, take down what has."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from platforms.base import MediaItem, PublishRequest
from platforms.errors import PlatformError
from posts.models import Post, Publication
from posts.publishing import dispatch
from posts.publishing.takedown import (
    REQUEUE_AFTER,
    delete_live_post,
    requeue_lost_deletes,
    revoke_consent,
)
from practices.platform_clients import account_for, client_for
from tests import factories
from tests.publishing_support import (
    make_due,
    scheduled_post,
    sent_mail,
    work,
)

pytestmark = pytest.mark.django_db

Status = Publication.Status


def _patient_post(world, consent, platforms, **fields):
    return scheduled_post(
        world,
        platforms,
        features_patient=True,
        patient_uses=["story"],
        consents=[consent],
        **fields,
    )


def test_revocation_cancels_waiting_posts_and_deletes_live_ones(
    world, sandbox, run_due, django_capture_on_commit_callbacks, client
):
    consent = factories.make_consent(
        world["practice"], platforms=["facebook", "linkedin", "instagram", "x"]
    )
    live = _patient_post(world, consent, ["facebook", "linkedin"])
    run_due()
    assert {p.status for p in live.publications.all()} == {Status.PUBLISHED}
    waiting = _patient_post(world, consent, ["x"], at=timezone.now() + timedelta(days=2))
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


def test_where_the_platform_cannot_delete_a_person_is_asked_to(
    world, sandbox, redis_db, django_capture_on_commit_callbacks, client, photo_server
):
    sandbox.faults(platform="instagram", delete_enabled=False)
    consent = factories.make_consent(world["practice"], platforms=["instagram"])
    post = _patient_post(world, consent, [])
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


def test_revocation_while_an_attempt_is_in_flight_takes_it_down_after(
    world, sandbox, redis_db, django_capture_on_commit_callbacks
):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = _patient_post(world, consent, ["facebook"])
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
    live = _patient_post(world, consent, ["facebook"])
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


def test_a_delete_that_keeps_failing_becomes_a_to_do_for_a_person(
    world, sandbox, run_due, django_capture_on_commit_callbacks
):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = _patient_post(world, consent, ["facebook"])
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


def test_an_attempt_in_flight_that_never_went_out_is_cancelled_and_its_takedown_closed(
    world, sandbox, redis_db, django_capture_on_commit_callbacks, client
):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = _patient_post(world, consent, ["facebook"])
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
    settings.PUBLISH_MAX_ATTEMPTS = 2
    consent = factories.make_consent(world["practice"], platforms=["linkedin"])
    # The create request went through; its answer was lost.
    sandbox.faults(platform="linkedin", ambiguous_rate=1.0, ambiguous_mode="drop")
    post = _patient_post(world, consent, ["linkedin"])
    run_due()
    (publication,) = post.publications.all()
    assert publication.status == Status.UNKNOWN
    (entry,) = sandbox.ledger("linkedin")
    with django_capture_on_commit_callbacks(execute=True):
        report = revoke_consent(
            consent=consent, received_at=timezone.now(), note="", by=world["strategist"]
        )
    assert report.in_flight == [publication.pk]
    # Reading back fails until the attempts run out: failed, and maybe live.
    sandbox.clear_faults()
    sandbox.faults(platform="linkedin", error_rates={"transient": 1.0})
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
    post = _patient_post(world, consent, ["facebook"])
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
    post = _patient_post(world, consent, ["linkedin"])
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


def test_revoking_while_redis_is_down_loses_no_delete(
    world, sandbox, run_due, django_capture_on_commit_callbacks, client, settings
):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = _patient_post(world, consent, ["facebook"])
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
    post = _patient_post(world, consent, ["facebook"])
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
