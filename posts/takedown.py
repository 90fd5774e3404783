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
from datetime import datetime

import django_rq
from django.db import transaction
from django.utils import timezone
from rq import Queue, Retry

from agency.models import AuditEvent
from posts import alerts
from posts.models import IllegalTransition, Post, Publication
from posts.platform_clients import account_for, client_for
from posts.platforms.errors import DeleteUnsupported, PlatformError
from practices.models import PatientConsent

logger = logging.getLogger(__name__)

# The default queue: its worker runs RQ's scheduler, which the retries
# (spaced by DELETE_RETRY) need.
DELETE_QUEUE = "default"
DELETE_JOB = "posts.jobs.delete_publication"
DELETE_RETRY = Retry(max=5, interval=[10, 60, 300, 900, 3600])


@dataclass
class TakedownReport:
    """What a revocation did, for the page that confirms it."""

    consent_id: int
    already_revoked: bool = False
    cancelled_posts: list[int] = field(default_factory=list)
    cancelled_publications: list[int] = field(default_factory=list)
    # Live posts being deleted through the platform's API.
    deleting: list[int] = field(default_factory=list)
    # Live posts a person must remove by hand (the platform cannot delete).
    manual: list[int] = field(default_factory=list)
    # Attempts in flight: settled by their worker, then deleted or cancelled.
    in_flight: list[int] = field(default_factory=list)

    @property
    def live_count(self) -> int:
        return len(self.deleting) + len(self.manual)


def revoke_consent(
    *, consent: PatientConsent, received_at: datetime, note: str, by
) -> TakedownReport:
    """Record the revocation and act on every post that relies on the authorization."""
    now = timezone.now()
    report = TakedownReport(consent_id=consent.pk)
    with transaction.atomic():
        locked = PatientConsent.objects.select_for_update().get(pk=consent.pk)
        report.already_revoked = locked.revoked_at is not None
        if not report.already_revoked:
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

        posts = list(
            Post.objects.select_for_update(of=("self",))
            .filter(consents=locked)
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


def _take_down_publications(post: Post, consent, *, by, now, report: TakedownReport) -> None:
    publications = list(
        post.publications.select_for_update(of=("self",)).select_related("account").order_by("pk")
    )
    for publication in publications:
        status = publication.status
        if status in (Publication.Status.PENDING, Publication.Status.QUEUED):
            # A queued job finds the row cancelled and leaves it alone.
            Publication.objects.filter(pk=publication.pk, status=status).update(
                status=Publication.Status.CANCELLED,
                last_error_message="Cancelled: the patient authorization was revoked.",
                updated_at=now,
            )
            report.cancelled_publications.append(publication.pk)
        elif status in (Publication.Status.PUBLISHING, Publication.Status.UNKNOWN):
            # It may be live already. Its worker reads back: if the post is
            # there it is deleted like any live one, if not it is cancelled.
            Publication.objects.filter(pk=publication.pk).update(
                takedown_requested_at=now, updated_at=now
            )
            report.in_flight.append(publication.pk)
        elif status == Publication.Status.PUBLISHED and publication.takedown_done_at is None:
            manual = not client_for(publication.account.platform).can_delete
            message = (
                f"{publication.platform_label} does not let us delete posts: remove it by hand."
                if manual
                else ""
            )
            Publication.objects.filter(pk=publication.pk).update(
                takedown_requested_at=publication.takedown_requested_at or now,
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


def enqueue_deletes(ids: list[int]) -> None:
    if not ids:
        return
    queue: Queue = django_rq.get_queue(DELETE_QUEUE)
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


def delete_live_post(*, publication_id: int, last_try: bool = True) -> str:
    """Delete one live post whose authorization was revoked.

    Transient failures raise, so RQ retries; on the last try, or when the
    platform cannot delete, the takedown becomes a to-do for a person.
    """
    publication = (
        Publication.objects.select_related("post", "post__practice", "account")
        .filter(pk=publication_id)
        .first()
    )
    if (
        publication is None
        or publication.status != Publication.Status.PUBLISHED
        or publication.takedown_requested_at is None
        or publication.takedown_done_at is not None
    ):
        return "nothing to do"
    account = publication.account
    platform = account.platform
    detail = {"publication": publication.pk, "platform": platform}
    try:
        client_for(platform).delete(account_for(account), publication.platform_post_id)
    except DeleteUnsupported as error:
        return _by_hand(publication, f"{publication.platform_label}: {error.message}", detail)
    except PlatformError as error:
        if error.kind == "reconnect" and account.mark_needs_reconnect(error.message):
            alerts.account_needs_reconnect(account, post=publication.post)
        if error.kind in ("transient", "throttled", "ambiguous") and not last_try:
            raise
        return _by_hand(
            publication,
            f"Could not delete it automatically ({publication.platform_label}: "
            f"{error.message}): remove it by hand.",
            {**detail, "error_kind": error.kind},
        )
    if publication.mark_deleted():
        AuditEvent.record(
            "takedown_deleted",
            actor_label="publisher",
            practice=publication.post.practice,
            obj=publication,
            detail=detail,
        )
    return "deleted"


def _by_hand(publication: Publication, message: str, detail: dict) -> str:
    updated = Publication.objects.filter(
        pk=publication.pk, status=Publication.Status.PUBLISHED, takedown_done_at__isnull=True
    ).update(last_error_message=message, updated_at=timezone.now())
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


def mark_removed_by_hand(*, publication: Publication, by) -> bool:
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
