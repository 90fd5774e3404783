"""The strategist's day: what needs a person, what waits, what goes out next.

The one place the dashboard's rules live ("failed within 30 days and the post
not cancelled", "due within a day and not approved", ...); agency/views.py
only renders what `strategist_day` reads. Every list starts from the access
helpers' querysets, so it holds only what this person may see; each is
bounded, so the page costs what it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from core.models import User
from posts import access
from posts.models import Post, Publication, Tip
from posts.rules import slots
from practices import tokens
from practices.models import PatientConsent, Practice, SocialAccount

# How far ahead the dashboard warns of what will lapse.
EXPIRING_WITHIN = timedelta(days=30)
# A failure older than this no longer asks for a person.
FAILURES_FOR = timedelta(days=30)
# The open posts of each kind shown (the latest), and the length of the other lists.
OPEN_PER_STATUS = 15
LIST_LENGTH = 20

NOT_APPROVED = [
    Post.Status.DRAFT,
    Post.Status.AGENCY_REVIEW,
    Post.Status.IN_REVIEW,
    Post.Status.CHANGES_REQUESTED,
]


@dataclass
class FailedPost:
    """A post with publications that failed: one thing to fix, however many platforms."""

    post: Post
    publications: list[Publication] = field(default_factory=list)

    @property
    def reasons(self) -> list[Reason]:
        """Each reason once, with the platforms it stopped (images too large on two
        platforms is one thing to fix, said once)."""
        found: dict[tuple[str, str], Reason] = {}
        for publication in self.publications:
            key = (publication.last_error_kind, publication.last_error_message)
            reason = found.setdefault(key, Reason(*key))
            reason.platforms.append(publication.platform_label)
        return list(found.values())


@dataclass
class Reason:
    kind: str
    detail: str  # the platform's own words, as it gave them
    platforms: list[str] = field(default_factory=list)


@dataclass
class StrategistDay:
    practices: Sequence[Practice]  # each with new_tips, in_review, scheduled and next_week counts
    failed_posts: list[FailedPost]
    takedowns: QuerySet[Publication]
    accounts_needing_reconnect: QuerySet[SocialAccount]
    expiring_accounts: list[SocialAccount]
    expiring_consents: QuerySet[PatientConsent]
    due_unapproved: QuerySet[Post]
    upcoming: QuerySet[Post]
    open_posts: dict[str, list[Post]]  # by status: the latest of each
    empty_slots: list[slots.Opening]

    def open(self, status: str) -> list[Post]:
        return self.open_posts.get(status, [])

    @property
    def drafts(self) -> list[Post]:
        return self.open(Post.Status.DRAFT)

    @property
    def agency_review(self) -> list[Post]:
        return self.open(Post.Status.AGENCY_REVIEW)

    @property
    def changes_requested(self) -> list[Post]:
        return self.open(Post.Status.CHANGES_REQUESTED)

    @property
    def approval_expired(self) -> list[Post]:
        return self.open(Post.Status.APPROVAL_EXPIRED)

    @property
    def waiting_for_doctor(self) -> list[Post]:
        """Posts with the doctors, soonest due first (undated ones last)."""
        far = timezone.now() + timedelta(days=3650)
        return sorted(
            self.open(Post.Status.IN_REVIEW),
            key=lambda post: (post.scheduled_at or far, post.updated_at),
        )


def _count_per_practice(queryset: QuerySet[Tip] | QuerySet[Post]) -> Coalesce:
    """A per-practice count as a subquery: several counts in one query, no join fan-out."""
    counts = (
        queryset.filter(practice=OuterRef("pk"))
        .order_by()
        .values("practice")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts), 0)


def strategist_day(
    user: User, *, practice: Practice | None = None, now: datetime | None = None
) -> StrategistDay:
    """Everything the dashboard shows, across the practices `user` sees, or one."""
    now = now or timezone.now()
    practices = access.practices_visible_to(user)
    posts = access.posts_visible_to(user)
    publications = access.publications_visible_to(user)
    accounts = access.accounts_visible_to(user)
    consents = access.consents_visible_to(user)
    if practice is not None:
        practices = practices.filter(pk=practice.pk)
        posts = posts.filter(practice=practice)
        publications = publications.filter(post__practice=practice)
        accounts = accounts.filter(practice=practice)
        consents = consents.filter(practice=practice)
    week = Q(scheduled_at__gte=now, scheduled_at__lt=now + timedelta(days=7))
    practice_rows = list(
        practices.annotate(
            new_tips=_count_per_practice(Tip.objects.filter(status=Tip.Status.NEW)),
            in_review=_count_per_practice(Post.objects.filter(status=Post.Status.IN_REVIEW)),
            scheduled=_count_per_practice(Post.objects.filter(status=Post.Status.SCHEDULED)),
            # Progress against the weekly goal: posts planned for the coming seven days.
            next_week=_count_per_practice(
                Post.objects.filter(week, status__in=[Post.Status.APPROVED, Post.Status.SCHEDULED])
            ),
        )
    )
    return StrategistDay(
        practices=practice_rows,
        failed_posts=_failed_posts(publications, now),
        takedowns=_takedowns(publications),
        accounts_needing_reconnect=_accounts_needing_reconnect(accounts),
        expiring_accounts=[
            account
            for account in accounts.filter(
                status=SocialAccount.Status.CONNECTED,
                token_expires_at__isnull=False,
                token_expires_at__lte=now + EXPIRING_WITHIN,
            ).order_by("token_expires_at")[:LIST_LENGTH]
            # A token we renew ourselves (practices.tokens) needs no person.
            if not tokens.refreshable(account)
        ],
        expiring_consents=consents.filter(
            revoked_at__isnull=True, expires_at__gt=now, expires_at__lte=now + EXPIRING_WITHIN
        ).order_by("expires_at")[:LIST_LENGTH],
        # Due within a day and not yet approved: it will not go out on time.
        due_unapproved=posts.filter(
            status__in=NOT_APPROVED,
            scheduled_at__gte=now,
            scheduled_at__lt=now + timedelta(days=1),
        ).order_by("scheduled_at")[:LIST_LENGTH],
        upcoming=posts.filter(week, status=Post.Status.SCHEDULED).order_by("scheduled_at")[:30],
        open_posts=_open_posts(posts),
        # Work to do: slots of the coming week that no post holds yet.
        empty_slots=slots.empty_in_week(practice_rows)[:30],
    )


def _failed_posts(publications: QuerySet[Publication], now: datetime) -> list[FailedPost]:
    """Any failed publication needs a person, also while the post's other
    publications are still going out (or held for a reconnect); a cancelled
    post's failures, or month-old ones, no longer do. Grouped by post."""
    failures = (
        publications.filter(status=Publication.Status.FAILED, updated_at__gte=now - FAILURES_FOR)
        .exclude(post__status=Post.Status.CANCELLED)
        .order_by("-updated_at")[:40]
    )
    by_post: dict[int, FailedPost] = {}
    for publication in failures:
        by_post.setdefault(publication.post_id, FailedPost(publication.post)).publications.append(
            publication
        )
    for entry in by_post.values():
        entry.publications.sort(key=lambda publication: publication.account.platform)
    return list(by_post.values())


def _takedowns(publications: QuerySet[Publication]) -> QuerySet[Publication]:
    """Posts whose patient authorization was revoked, not yet taken down: the
    live ones, and those that may be live (a request may have gone through and
    no read-back has settled it: unknown, or failed while unsure)."""
    return (
        publications.filter(takedown_requested_at__isnull=False, takedown_done_at__isnull=True)
        .filter(Q(status=Publication.Status.PUBLISHED) | Q(read_back_first=True))
        .order_by("takedown_requested_at")[:LIST_LENGTH]
    )


def _accounts_needing_reconnect(accounts: QuerySet[SocialAccount]) -> QuerySet[SocialAccount]:
    """Accounts that need their owner to connect again, and disconnected ones
    still holding publications that wait on them."""
    waiting = Publication.objects.filter(
        account=OuterRef("pk"),
        status__in=[Publication.Status.PENDING, Publication.Status.UNKNOWN],
    )
    return accounts.filter(
        Q(status=SocialAccount.Status.NEEDS_RECONNECT)
        | Q(status=SocialAccount.Status.DISCONNECTED) & Exists(waiting)
    ).order_by("practice__name", "platform")


def _open_posts(posts: QuerySet[Post]) -> dict[str, list[Post]]:
    """Drafts, posts waiting for a review, posts sent back and posts whose
    approval expired: the latest of each status, in one query."""
    latest = Window(RowNumber(), partition_by=F("status"), order_by=F("updated_at").desc())
    found = (
        posts.filter(status__in=[*NOT_APPROVED, Post.Status.APPROVAL_EXPIRED])
        .annotate(rank=latest)
        .filter(rank__lte=OPEN_PER_STATUS)
    )
    by_status: dict[str, list[Post]] = {}
    for post in found:
        by_status.setdefault(post.status, []).append(post)
    return by_status
