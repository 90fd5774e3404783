"""Publications: one per post and account, the unit that goes out exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from posts.models.posts import Approval, Post
from practices.models import Platform, SocialAccount


class Publication(models.Model):
    """One post on one account: the unit that is published exactly once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued"
        PUBLISHING = "publishing", "Publishing"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"
        # A request may have gone through: the next attempt reads back first.
        UNKNOWN = "unknown", "Unknown (checking)"
        DELETED = "deleted", "Deleted"
        CANCELLED = "cancelled", "Cancelled"

    class ErrorKind(models.TextChoices):
        TRANSIENT = "transient", "Platform error, retrying"
        THROTTLED = "throttled", "Rate limited, retrying later"
        RECONNECT = "reconnect", "Account needs reconnecting"
        REJECTED = "rejected", "Content rejected by the platform"
        DUPLICATE = "duplicate", "Duplicate content"
        AMBIGUOUS = "ambiguous", "Outcome unknown"
        CONSENT = "consent", "Patient authorization does not cover it"
        APPROVAL = "approval", "Approval no longer matches the content"
        MEDIA = "media", "Photo could not be prepared"
        EXHAUSTED = "exhausted", "Gave up after repeated failures"
        CONFIG = "config", "Our platform settings need fixing"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="publications")
    account = models.ForeignKey(
        SocialAccount, on_delete=models.PROTECT, related_name="publications"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    platform_post_id = models.CharField(max_length=300, blank=True)
    permalink = models.URLField(max_length=1000, blank=True)
    # Progress a platform lets us resume, e.g. an Instagram container id: a
    # container already PUBLISHED must never be published again.
    platform_state = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set at the first attempt (settings.PUBLISH_GIVE_UP_AFTER_SECONDS on): until
    # then a platform's errors and unclear answers are tried again, after it a
    # person is told. A person's "retry now" starts a new window.
    retry_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While queued or publishing: past this moment the dispatcher takes it back.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Set when a create request may have reached the platform without us
    # learning the outcome (ambiguous answer, worker killed mid-request). Only
    # a read-back settles it (finding the post, or finding nothing): it
    # survives queued/publishing, failing and "retry now", so whoever attempts
    # next reads back first, and a takedown treats the row as maybe live.
    read_back_first = models.BooleanField(default=False)
    last_error_kind = models.CharField(max_length=12, choices=ErrorKind.choices, blank=True)
    last_error_message = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    takedown_requested_at = models.DateTimeField(null=True, blank=True)
    takedown_done_at = models.DateTimeField(null=True, blank=True)
    # When a delete job for the takedown was last queued or last ran: Redis
    # only carries the job, so posts.publishing.takedown.requeue_lost_deletes queues it
    # again when this says it was lost.
    takedown_queued_at = models.DateTimeField(null=True, blank=True)
    # When a person was asked to remove the live post by hand (the platform
    # cannot delete it, or deleting kept failing): no job tries it again.
    takedown_by_hand_at = models.DateTimeField(null=True, blank=True)
    # The latest numbers, kept with each metric snapshot (posts.publishing.metrics): what
    # the analytics pages add up, without reading every snapshot. The
    # snapshots stay the truth. None: not reported yet (never zero for that).
    reach = models.PositiveIntegerField(null=True, blank=True)
    impressions = models.PositiveIntegerField(null=True, blank=True)
    # Likes, comments, shares and saves (what a platform reported of them).
    engagements = models.PositiveIntegerField(null=True, blank=True)
    metrics_at = models.DateTimeField(null=True, blank=True)
    # The reading at 28 days was taken: no more fetches.
    metrics_final = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Columns of this table only: "post" or "account__platform" would join
        # both tables into every query that does not order (the roll-up at
        # each attempt, the claims). Pages that list publications order them.
        ordering = ["post_id", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["post", "account"], name="publication_unique_target")
        ]
        indexes = [
            # Used by posts.publishing.dispatch.claim_due: due publications, and those
            # whose lease has run out, without scanning the settled ones.
            models.Index(
                fields=["next_attempt_at"],
                name="publication_due",
                condition=Q(status__in=["pending", "unknown"]),
            ),
            models.Index(
                fields=["lease_expires_at"],
                name="publication_leased",
                condition=Q(status__in=["queued", "publishing"]),
            ),
            # Used by posts.publishing.takedown.requeue_lost_deletes: live posts still to
            # be deleted by a job, a handful among every publication.
            models.Index(
                fields=["takedown_requested_at"],
                name="publication_takedown_open",
                condition=Q(
                    status="published",
                    takedown_requested_at__isnull=False,
                    takedown_done_at__isnull=True,
                    takedown_by_hand_at__isnull=True,
                ),
            ),
            # Used by the dashboard (posts.planning.dashboard): the latest failures,
            # and the takedowns not done yet, read without scanning a practice's
            # whole history of publications.
            models.Index(
                fields=["updated_at"],
                name="publication_failed",
                condition=Q(status="failed"),
            ),
            models.Index(
                fields=["takedown_requested_at"],
                name="publication_takedown_pending",
                condition=Q(takedown_requested_at__isnull=False, takedown_done_at__isnull=True),
            ),
            # Used by the analytics pages (analytics.figures, posts.rules.best_times): an
            # account's live publications of a period, with their numbers, read from
            # the index alone instead of a page of the table per post.
            models.Index(
                fields=["account", "published_at"],
                name="publication_live",
                condition=Q(status__in=["published", "deleted"]),
                include=["post", "reach", "engagements"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post} → {self.account}"

    @property
    def platform(self) -> str:
        return self.account.platform

    @property
    def platform_label(self) -> str:
        return Platform(self.account.platform).label

    # -- publishing ---------------------------------------------------------
    # A worker owns a publication from its claim (queued -> publishing, which
    # also counts the attempt) until it records an outcome. Every outcome is a
    # conditional UPDATE fenced on (status=publishing, attempts=this attempt):
    # a worker whose lease ran out, and whose publication the dispatcher has
    # since handed to another worker, cannot overwrite the newer attempt.
    #
    # During an attempt, this copy's `read_back_first` says whether the doubt
    # it was claimed with still stands: `read_back_settled` clears it once a
    # read-back found nothing. Outcomes other than published and unknown
    # write it back as it stands, so a doubt no read-back settled is never
    # erased (a later retry, or a takedown, still knows the post may exist).

    @classmethod
    def claim(cls, pk: int, *, now: datetime | None = None) -> Publication | None:
        """Take a queued publication for one attempt; None if someone else has it."""
        now = now or timezone.now()
        lease = now + timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
        window = timedelta(seconds=settings.PUBLISH_GIVE_UP_AFTER_SECONDS)
        claimed = cls.objects.filter(pk=pk, status=cls.Status.QUEUED).update(
            status=cls.Status.PUBLISHING,
            attempts=models.F("attempts") + 1,
            retry_until=Coalesce(models.F("retry_until"), models.Value(now + window)),
            lease_expires_at=lease,
            updated_at=now,
        )
        if not claimed:
            return None
        # The hash the post's current approval was given to, in the same query:
        # once a post is publishing no edit can void its approval (a post is
        # reopened only before it goes out), so the attempt may check it against
        # this without reading the approvals again.
        approved = Approval.objects.filter(
            post=models.OuterRef("post_id"),
            decision=Approval.Decision.APPROVED,
            voided_at__isnull=True,
        ).order_by("-created_at")
        return (
            cls.objects.select_related("post", "post__practice", "account")
            .annotate(approved_hash=models.Subquery(approved.values("content_hash")[:1]))
            .get(pk=pk)
        )

    def _settle(self, **fields: Any) -> bool:
        fields.setdefault("lease_expires_at", None)
        fields["updated_at"] = timezone.now()
        updated = Publication.objects.filter(
            pk=self.pk, status=self.Status.PUBLISHING, attempts=self.attempts
        ).update(**fields)
        if updated:
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(updated)

    def save_progress(self, state: dict[str, Any]) -> None:
        """Keep what a platform lets us resume (e.g. an Instagram container id)."""
        state = dict(state)
        updated = Publication.objects.filter(
            pk=self.pk, status=self.Status.PUBLISHING, attempts=self.attempts
        ).update(platform_state=state, updated_at=timezone.now())
        if updated:
            self.platform_state = state

    def mark_published(
        self, *, platform_id: str, permalink: str, published_at: datetime | None
    ) -> bool:
        return self._settle(
            status=self.Status.PUBLISHED,
            platform_post_id=platform_id[:300],
            permalink=permalink[:1000],
            published_at=published_at or timezone.now(),
            read_back_first=False,
            next_attempt_at=None,
            last_error_kind="",
            last_error_message="",
        )

    def read_back_settled(self) -> None:
        """This attempt read back and found nothing: no earlier request created
        the post. Recorded with the attempt's outcome."""
        self.read_back_first = False

    def mark_failed(self, *, kind: str, message: str) -> bool:
        """A person has to look. A post that may exist still may (read_back_first
        stays): a retry reads back before it writes."""
        return self._settle(
            status=self.Status.FAILED,
            read_back_first=self.read_back_first,
            next_attempt_at=None,
            last_error_kind=kind,
            last_error_message=message,
        )

    def schedule_retry(self, *, kind: str, message: str, at: datetime) -> bool:
        """This request created nothing: try again at `at` (reading back first
        if an earlier one may have, which no read-back settled)."""
        return self._settle(
            status=self.Status.UNKNOWN if self.read_back_first else self.Status.PENDING,
            read_back_first=self.read_back_first,
            next_attempt_at=at,
            last_error_kind=kind,
            last_error_message=message,
        )

    def mark_unknown(self, *, message: str, at: datetime) -> bool:
        """The post may exist: the next attempt, at `at`, reads back before it writes."""
        return self._settle(
            status=self.Status.UNKNOWN,
            read_back_first=True,
            next_attempt_at=at,
            last_error_kind=self.ErrorKind.AMBIGUOUS,
            last_error_message=message,
        )

    def hold(self, *, kind: str, message: str, at: datetime) -> bool:
        """Not this attempt's fault (account needs reconnecting, quota full, the
        platform throttling): wait.

        The attempt is given back, so waiting never exhausts the retries. The
        dispatcher skips accounts that are not connected, which is what holds
        a publication for a reconnect.
        """
        return self._settle(
            status=self.Status.UNKNOWN if self.read_back_first else self.Status.PENDING,
            read_back_first=self.read_back_first,
            attempts=max(self.attempts - 1, 0),
            next_attempt_at=at,
            last_error_kind=kind,
            last_error_message=message,
        )

    def out_of_time(self, now: datetime) -> bool:
        """Past the moment its retries end (see retry_until)."""
        return self.retry_until is not None and now >= self.retry_until

    def takedown_was_requested(self) -> bool:
        """Read from the database, not from this copy: a revocation marks the
        row at any moment, also after a worker loaded it at its claim."""
        self.takedown_requested_at = (
            Publication.objects.filter(pk=self.pk)
            .values_list("takedown_requested_at", flat=True)
            .first()
        )
        return self.takedown_requested_at is not None

    def cancel_attempt(self, *, message: str) -> bool:
        """Nothing went out and nothing will (its authorization was revoked).

        A takedown asked of it is done as well, but only when nothing can be
        live: this attempt sent nothing, and a read-back settled any earlier
        request (read_back_first clear). Otherwise the takedown stays open,
        on the dashboard, for a person.
        """
        if not self._settle(
            status=self.Status.CANCELLED,
            read_back_first=self.read_back_first,
            next_attempt_at=None,
            last_error_message=message,
        ):
            return False
        if self.read_back_first:
            return True
        # A separate statement, after the row is cancelled: a revocation that
        # marked it after our last read is closed too (none can mark it now).
        now = timezone.now()
        closed = Publication.objects.filter(
            pk=self.pk,
            status=self.Status.CANCELLED,
            read_back_first=False,
            takedown_requested_at__isnull=False,
            takedown_done_at__isnull=True,
        ).update(takedown_done_at=now, updated_at=now)
        if closed:
            self.takedown_done_at = now
        return True

    def retry_now(self) -> bool:
        """A person asks to try a failed publication again, from a fresh count.

        One that failed while it may be live (read_back_first) comes back
        unknown, and keeps that flag: its next attempt reads back before it
        writes, whatever the attempt count. Decided in the UPDATE itself, from
        the row, not from this copy.
        """
        now = timezone.now()
        updated = Publication.objects.filter(pk=self.pk, status=self.Status.FAILED).update(
            status=models.Case(
                models.When(read_back_first=True, then=models.Value(self.Status.UNKNOWN)),
                default=models.Value(self.Status.PENDING),
            ),
            attempts=0,
            retry_until=None,
            next_attempt_at=now,
            last_error_kind="",
            last_error_message="",
            updated_at=now,
        )
        if updated:
            self.refresh_from_db(
                fields=[
                    "status",
                    "read_back_first",
                    "attempts",
                    "retry_until",
                    "next_attempt_at",
                    "last_error_kind",
                    "last_error_message",
                    "updated_at",
                ]
            )
        return bool(updated)

    # A person's "cancel on this platform": what surely did not go out.
    CANCELLABLE = frozenset({Status.PENDING, Status.FAILED})

    def can_cancel(self) -> bool:
        """For the post page's button; `cancel` decides, from the row."""
        return (
            self.status in self.CANCELLABLE
            and not self.read_back_first
            and self.post.status in Post.SETTLING
        )

    def cancel(self, *, message: str) -> bool:
        """Stop a publication that surely did not go out; False if it may have.

        Pending (waiting its turn, or held for an account to be reconnected)
        or failed, and never a request that may have reached the platform
        (read_back_first): only a read-back settles that. Queued, publishing
        and unknown ones belong to the dispatcher and its workers. One
        conditional UPDATE decides, from the row, so the dispatcher claiming
        it at this moment wins or loses cleanly. An open takedown is closed:
        nothing of it is live.

        The caller holds the post's row lock (publishing.cancel_publication),
        the order the dispatcher relies on.
        """
        now = timezone.now()
        updated = Publication.objects.filter(
            pk=self.pk, status__in=self.CANCELLABLE, read_back_first=False
        ).update(
            status=self.Status.CANCELLED,
            next_attempt_at=None,
            lease_expires_at=None,
            last_error_kind="",
            last_error_message=message,
            takedown_done_at=models.Case(
                models.When(
                    takedown_requested_at__isnull=False,
                    takedown_done_at__isnull=True,
                    then=models.Value(now),
                ),
                default=models.F("takedown_done_at"),
            ),
            updated_at=now,
        )
        self.refresh_from_db(
            fields=["status", "read_back_first", "last_error_kind", "last_error_message"]
        )
        return bool(updated)

    def mark_deleted(self) -> bool:
        """The live post was taken down (consent revoked)."""
        now = timezone.now()
        updated = Publication.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).update(
            status=self.Status.DELETED, takedown_done_at=now, updated_at=now
        )
        if updated:
            self.status = self.Status.DELETED
            self.takedown_done_at = now
        return bool(updated)
