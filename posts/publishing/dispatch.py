"""The dispatcher: find due publications in the database and hand them to workers.

The database is the truth and Redis only carries work. `claim_due` marks
publications queued with a lease and enqueues jobs for them after the commit
(a few publications per job, settings.PUBLISH_JOB_SIZE);
if Redis loses a job (flush, crash) or a worker dies mid-publish, the lease
runs out and the next dispatch takes the publication back. One taken back
from `publishing` may have reached the platform, so it comes back `unknown`
and its next attempt reads back before it writes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import django_rq
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rq import Queue

from posts.models import Post, Publication
from practices.models import SocialAccount

logger = logging.getLogger(__name__)

PUBLISH_QUEUE = "publish"
JOB = "posts.jobs.publish_publications"
# Posts whose publications may be attempted. A held or retried publication
# keeps its post in `publishing` until every publication has settled.
ACTIVE_POSTS = [Post.Status.SCHEDULED, Post.Status.PUBLISHING]


def job_timeout() -> int:
    # A job must be dead before its lease runs out, or a second worker could
    # read back (finding nothing yet) while the first is still publishing.
    # A job attempts its publications one after the other and claims each when
    # it starts it, so every lease begins after the job did: the job's timeout
    # ends before the lease of whichever attempt it kills.
    return max(settings.PUBLISH_LEASE_SECONDS - 5, 5)


def _take_back_expired(now: datetime, limit: int) -> int:
    """Leases that ran out: the job was lost (Redis) or its worker died."""
    expired = list(
        Publication.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status__in=[Publication.Status.QUEUED, Publication.Status.PUBLISHING],
            lease_expires_at__lte=now,
        )
        .order_by("lease_expires_at")
        .values_list("pk", "status", "read_back_first")[:limit]
    )
    # Publishing: a request may have gone out; the next attempt reads back.
    publishing = [pk for pk, status, _ in expired if status == Publication.Status.PUBLISHING]
    # Queued: no worker claimed it, so nothing new went out; it keeps whatever
    # uncertainty an earlier attempt left (read_back_first).
    queued_clean = [
        pk
        for pk, status, uncertain in expired
        if status == Publication.Status.QUEUED and not uncertain
    ]
    queued_uncertain = [
        pk for pk, status, uncertain in expired if status == Publication.Status.QUEUED and uncertain
    ]
    common = {"lease_expires_at": None, "next_attempt_at": now, "updated_at": now}
    if publishing:
        Publication.objects.filter(pk__in=publishing).update(
            status=Publication.Status.UNKNOWN,
            read_back_first=True,
            last_error_kind=Publication.ErrorKind.AMBIGUOUS,
            last_error_message="The publishing attempt stopped before it finished; "
            "checking the platform before trying again.",
            **common,
        )
    if queued_clean:
        Publication.objects.filter(pk__in=queued_clean).update(
            status=Publication.Status.PENDING, **common
        )
    if queued_uncertain:
        Publication.objects.filter(pk__in=queued_uncertain).update(
            status=Publication.Status.UNKNOWN, **common
        )
    if expired:
        logger.info(
            "took back %d expired leases (%d were publishing)", len(expired), len(publishing)
        )
    return len(expired)


def claim_due(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Claim due publications and enqueue jobs for them; returns their ids.

    Uses the partial indexes publication_due and publication_leased.

    Lock order: everyone else who changes a post and its publications in one
    transaction (Post.cancel, reopen, unschedule, schedule, takedown.revoke_consent,
    publishing.retry_publication) locks the post first, then its publications.
    The dispatcher takes both rows in one statement with SKIP LOCKED, so it
    never waits for a lock: a publication whose post a person is changing
    right now is left for the next run. Nothing here waits, so nothing can
    wait for it in a cycle (no deadlock), and two dispatchers never claim the
    same row.
    """
    now = now or timezone.now()
    limit = limit or settings.DISPATCH_BATCH
    lease = now + timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
    with transaction.atomic():
        _take_back_expired(now, limit)
        due = list(
            Publication.objects.select_for_update(skip_locked=True, of=("self", "post"))
            .select_related("post")
            .only("post__status")
            .filter(
                status__in=[Publication.Status.PENDING, Publication.Status.UNKNOWN],
                next_attempt_at__lte=now,
                post__status__in=ACTIVE_POSTS,
                # Held: an account that needs reconnecting, or one the platform
                # throttled as a whole, waits without spending attempts.
                account__status=SocialAccount.Status.CONNECTED,
            )
            .filter(Q(account__throttled_until__isnull=True) | Q(account__throttled_until__lte=now))
            .order_by("next_attempt_at", "pk")[:limit]
        )
        if not due:
            return []
        ids = [publication.pk for publication in due]
        # Scheduled posts start publishing: their rows are locked above, and
        # the status condition makes it the same conditional move as
        # Post._move, for a whole batch in one statement.
        starting = sorted({p.post_id for p in due if p.post.status == Post.Status.SCHEDULED})
        if starting:
            Post.objects.filter(pk__in=starting, status=Post.Status.SCHEDULED).update(
                status=Post.Status.PUBLISHING, updated_at=now
            )
        Publication.objects.filter(pk__in=ids).update(
            status=Publication.Status.QUEUED, lease_expires_at=lease, updated_at=now
        )
        transaction.on_commit(lambda: enqueue(ids))
    return ids


def enqueue(ids: list[int]) -> None:
    """Jobs of PUBLISH_JOB_SIZE publications each, in due order, pushed in one round trip.

    If Redis is down the rows stay queued and their leases bring them back;
    so do the ones a job never reached (its worker died, or it was killed).
    """
    queue: Queue = django_rq.get_queue(PUBLISH_QUEUE)
    timeout = job_timeout()
    size = settings.PUBLISH_JOB_SIZE
    chunks = [ids[start : start + size] for start in range(0, len(ids), size)]
    try:
        queue.enqueue_many(
            [
                Queue.prepare_data(
                    JOB,
                    args=(chunk,),
                    timeout=timeout,
                    result_ttl=0,
                    failure_ttl=24 * 60 * 60,
                    description="publish publications " + ", ".join(map(str, chunk)),
                )
                for chunk in chunks
            ]
        )
    except Exception:
        logger.exception(
            "could not enqueue %d publications; their leases will bring them back", len(ids)
        )


def dispatch_due(*, max_batches: int = 20) -> int:
    """The cron entry point: claim what is due now, batch after batch.

    Bounded, so one run stays short; whatever is left goes on the next run,
    a few seconds later.
    """
    total = 0
    batch = settings.DISPATCH_BATCH
    for _ in range(max_batches):
        claimed = claim_due(limit=batch)
        total += len(claimed)
        if len(claimed) < batch:
            break
    return total
