"""Consent revocation (45 CFR 164.508(b)(5)): stop what has not gone out, take down what has.

A revocation takes effect when the practice receives it and is not
retroactive. From that moment nothing relying on the authorization goes
out; live posts are deleted where the platform allows it, and where it does
not (Instagram, for one) a person is asked to remove them by hand: the
dashboard lists them until someone marks them removed.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import django_rq
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rq import Queue, Retry

from core.models import AuditEvent, User
from platforms.errors import DeleteUnsupported, PlatformError
from posts.models import IllegalTransition, Post, Publication
from posts.publishing import alerts
from practices import alerts as account_alerts
from practices.models import PatientConsent
from practices.platform_clients import account_for, client_for

logger = logging.getLogger(__name__)

# The default queue: its worker runs RQ's scheduler, which the retries
# (spaced by DELETE_RETRY) need.
DELETE_QUEUE = "default"
DELETE_JOB = "posts.jobs.delete_publication"
DELETE_RETRY = Retry(max=5, interval=[10, 60, 300, 900, 3600])
# A delete job runs within seconds of being queued, and RQ's retries wait at
# most an hour between tries. A takedown still open past these lost its job
# (Redis was down or flushed): requeue_lost_deletes queues it again.
REQUEUE_AFTER = timedelta(minutes=5)
REQUEUE_RETRYING_AFTER = timedelta(seconds=max(DELETE_RETRY.intervals)) + REQUEUE_AFTER
# Live posts whose takedown a job still has to do.
OPEN_FOR_A_JOB = Q(
    status=Publication.Status.PUBLISHED,
    takedown_requested_at__isnull=False,
    takedown_done_at__isnull=True,
    takedown_by_hand_at__isnull=True,
)


@dataclass
class TakedownReport:
    """What a revocation did, for the page that confirms it."""

    consent_id: int
    already_revoked: bool = False
    cancelled_posts: list[int] = field(default_factory=list)
    # Live posts being deleted through the platform's API.
    deleting: list[int] = field(default_factory=list)
    # Live posts a person must remove by hand (the platform cannot delete).
    manual: list[int] = field(default_factory=list)
    # Attempts in flight: settled by their worker, then deleted or cancelled.
    in_flight: list[int] = field(default_factory=list)
    # Failed while the post may be live (no read-back could settle it): on
    # the dashboard until a retry looks, which then deletes or cancels it.
    maybe_live: list[int] = field(default_factory=list)


def revoke_consent(
    *, consent: PatientConsent, received_at: datetime, note: str, by: User
) -> TakedownReport:
    """Record the revocation and act on every post that relies on the authorization.

    Once only: revoking an authorization already revoked (a double submit, two
    people at once) reports it and does nothing else. The first revocation
    did the takedown; its deletes that Redis lost are queued again by
    requeue_lost_deletes, and a second run would e-mail people, record audit
    events and queue deletes a second time.
    """
    now = timezone.now()
    report = TakedownReport(consent_id=consent.pk)
    with transaction.atomic():
        # The consent's lock makes two revocations at once take turns: the
        # second one finds it revoked here.
        locked = PatientConsent.objects.select_for_update().get(pk=consent.pk)
        if locked.revoked_at is not None:
            report.already_revoked = True
            consent.revoked_at = locked.revoked_at
            consent.revocation_note = locked.revocation_note
            consent.revoked_by = locked.revoked_by
            return report
        locked.revoked_at = received_at
        locked.revocation_note = note
        locked.revoked_by = by
        locked.save(update_fields=["revoked_at", "revocation_note", "revoked_by"])
        AuditEvent.record(
            "consent_revoked",
            actor=by,
            practice=locked.practice,
            obj=locked,
            detail={"received_at": received_at.isoformat()},
        )
        consent.revoked_at = locked.revoked_at
        consent.revocation_note = locked.revocation_note
        consent.revoked_by = locked.revoked_by

        # Post first, then its publications (the order everyone keeps, see
        # posts.publishing.dispatch.claim_due), each set in id order.
        posts = list(
            Post.relying_on(locked)
            .select_for_update(of=("self",))
            .select_related("practice")
            .order_by("pk")
        )
        for post in posts:
            if post.status in Post.PRE_PUBLISH:
                post.cancel(reason="The patient authorization was revoked.")
                report.cancelled_posts.append(post.pk)
                AuditEvent.record(
                    "post_cancelled",
                    actor=by,
                    practice=post.practice,
                    obj=post,
                    detail={"reason": "consent_revoked", "consent": locked.pk},
                )
                continue
            _take_down_publications(post, locked, by=by, now=now, report=report)
        deleting = list(report.deleting)
        transaction.on_commit(lambda: enqueue_deletes(deleting))
    return report


def _take_down_publications(
    post: Post, consent: PatientConsent, *, by: User, now: datetime, report: TakedownReport
) -> None:
    publications = list(
        post.publications.select_for_update(of=("self",)).select_related("account").order_by("pk")
    )
    for publication in publications:
        status = publication.status
        waiting = status in (Publication.Status.PENDING, Publication.Status.QUEUED)
        if waiting and not publication.read_back_first:
            # A queued job finds the row cancelled and leaves it alone.
            Publication.objects.filter(pk=publication.pk, status=status).update(
                status=Publication.Status.CANCELLED,
                last_error_message="Cancelled: the patient authorization was revoked.",
                updated_at=now,
            )
        elif waiting or status in (Publication.Status.PUBLISHING, Publication.Status.UNKNOWN):
            # It may be live already (an earlier request may have gone through,
            # also for one queued again to read back: cancelling it would
            # leave a live post nobody looks for). Its worker reads back: if
            # the post is there it is deleted like any live one, if not it is
            # cancelled.
            Publication.objects.filter(pk=publication.pk).update(
                takedown_requested_at=now, updated_at=now
            )
            report.in_flight.append(publication.pk)
        elif status == Publication.Status.FAILED and publication.read_back_first:
            # Failed without learning whether it went out: maybe live. Nothing
            # runs for it until a person retries (which reads back first); the
            # dashboard lists it until then.
            Publication.objects.filter(pk=publication.pk).update(
                takedown_requested_at=now, updated_at=now
            )
            report.maybe_live.append(publication.pk)
        elif status == Publication.Status.PUBLISHED and publication.takedown_done_at is None:
            manual = not client_for(publication.account.platform).can_delete
            message = (
                f"{publication.platform_label} does not let us delete posts: remove it by hand."
                if manual
                else ""
            )
            Publication.objects.filter(pk=publication.pk).update(
                takedown_requested_at=publication.takedown_requested_at or now,
                takedown_by_hand_at=now if manual else publication.takedown_by_hand_at,
                last_error_message=message,
                updated_at=now,
            )
            publication.takedown_requested_at = publication.takedown_requested_at or now
            if manual:
                report.manual.append(publication.pk)
                alerts.takedown_needed(publication)
            else:
                report.deleting.append(publication.pk)
        else:
            continue
        AuditEvent.record(
            "takedown_requested",
            actor=by,
            practice=post.practice,
            obj=publication,
            detail={
                "publication": publication.pk,
                "platform": publication.account.platform,
                "was": status,
                "consent": consent.pk,
                "by_hand": publication.pk in report.manual,
            },
        )
    with contextlib.suppress(IllegalTransition):
        Post.objects.get(pk=post.pk).roll_up()


def enqueue_deletes(ids: list[int]) -> bool:
    """One delete job per publication; False if Redis could not take them.

    Called after a commit (the revocation) and by a worker after an outcome,
    so it must not raise: the takedowns are in the database, and
    requeue_lost_deletes queues them again.
    """
    if not ids:
        return True
    queue: Queue = django_rq.get_queue(DELETE_QUEUE)
    try:
        queue.enqueue_many(
            [
                Queue.prepare_data(
                    DELETE_JOB,
                    args=(pk,),
                    retry=DELETE_RETRY,
                    result_ttl=0,
                    description=f"take down publication {pk}",
                )
                for pk in ids
            ]
        )
    except Exception:
        logger.exception(
            "could not enqueue %d takedown deletes; they are queued again later", len(ids)
        )
        return False
    Publication.objects.filter(pk__in=ids).update(takedown_queued_at=timezone.now())
    return True


def requeue_lost_deletes(*, now: datetime | None = None) -> int:
    """The cron sweep: queue again the deletes whose job was lost; returns how many.

    A takedown never queued (Redis was down) waits REQUEUE_AFTER; one whose
    job ran and is waiting for an RQ retry is left alone for the longest
    retry interval, so the sweep never starts a second chain of retries.
    """
    now = now or timezone.now()
    ids = list(
        Publication.objects.filter(OPEN_FOR_A_JOB, takedown_requested_at__lte=now - REQUEUE_AFTER)
        .filter(
            Q(takedown_queued_at__isnull=True)
            | Q(takedown_queued_at__lte=now - REQUEUE_RETRYING_AFTER)
        )
        .order_by("takedown_requested_at")
        .values_list("pk", flat=True)[:500]
    )
    if ids and enqueue_deletes(ids):
        logger.info("queued %d lost takedown deletes again", len(ids))
        return len(ids)
    return 0


def delete_live_post(*, publication_id: int, last_try: bool = True) -> str:
    """Delete one live post whose authorization was revoked.

    Transient failures raise, so RQ retries; on the last try, or when the
    platform cannot delete, the takedown becomes a to-do for a person.

    The row stays locked from the claim to the recorded outcome, platform call
    included. A second job for the same publication (queued by the revocation
    and by the worker that published it, or by the sweep) skips it instead of
    deleting a second time, getting "not found", and asking a person to
    remove by hand a post that is gone. Only this row is locked (no post, no
    account): whoever waits for it holds nothing this job needs.
    """
    retry: PlatformError | None = None
    with transaction.atomic():
        publication = (
            Publication.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("post", "post__practice", "account")
            .filter(OPEN_FOR_A_JOB, pk=publication_id)
            .first()
        )
        if publication is None:
            return "nothing to do"  # done, left to a person, or another job has it
        Publication.objects.filter(pk=publication.pk).update(takedown_queued_at=timezone.now())
        account = publication.account
        platform = account.platform
        detail = {"publication": publication.pk, "platform": platform}
        try:
            client_for(platform).delete(account_for(account), publication.platform_post_id)
        except DeleteUnsupported as error:
            return _by_hand(publication, f"{publication.platform_label}: {error.message}", detail)
        except PlatformError as error:
            if error.kind == "reconnect" and account.mark_needs_reconnect(error.message):
                account_alerts.account_needs_reconnect(account, post=publication.post)
            if error.kind in ("transient", "throttled", "ambiguous") and not last_try:
                retry = error  # raised after the commit, which keeps this try's record
            else:
                return _by_hand(
                    publication,
                    f"Could not delete it automatically ({publication.platform_label}: "
                    f"{error.message}): remove it by hand.",
                    {**detail, "error_kind": error.kind},
                )
        else:
            if publication.mark_deleted():
                AuditEvent.record(
                    "takedown_deleted",
                    actor_label="publisher",
                    practice=publication.post.practice,
                    obj=publication,
                    detail=detail,
                )
            return "deleted"
    assert retry is not None  # every other way out of the block returned
    raise retry


def _by_hand(publication: Publication, message: str, detail: dict[str, Any]) -> str:
    now = timezone.now()
    updated = Publication.objects.filter(
        pk=publication.pk, status=Publication.Status.PUBLISHED, takedown_done_at__isnull=True
    ).update(last_error_message=message, takedown_by_hand_at=now, updated_at=now)
    if updated:
        alerts.takedown_needed(publication)
        AuditEvent.record(
            "takedown_by_hand_needed",
            actor_label="publisher",
            practice=publication.post.practice,
            obj=publication,
            detail=detail,
        )
    return "by hand"


def mark_removed_by_hand(*, publication: Publication, by: User) -> bool:
    """A person confirms they removed the live post themselves."""
    with transaction.atomic():
        if publication.takedown_requested_at is None or not publication.mark_deleted():
            return False
        AuditEvent.record(
            "takedown_done_by_hand",
            actor=by,
            practice=publication.post.practice,
            obj=publication,
            detail={"publication": publication.pk, "platform": publication.account.platform},
        )
    return True
