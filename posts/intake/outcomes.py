"""What became of a tip: the badge, the links and the reach its sender sees.

It reads the tip's posts, their publications and their latest metrics, so it
lives on the post side, above the tip form (posts.intake.tips).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from posts.models import MetricSnapshot, Post, Publication, Tip


@dataclass
class TipOutcome:
    state: str  # a badge class: new, drafted, scheduled, published, declined, archived
    label: str
    detail: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    reach: int | None = None


def with_outcomes(tips: QuerySet[Tip]) -> QuerySet[Tip]:
    """Tips with what `outcome` reads: their posts, publications and latest reach.

    Three queries whatever the number of tips.
    """
    latest_reach = (
        MetricSnapshot.objects.filter(publication=OuterRef("pk"), reach__isnull=False)
        .order_by("-fetched_at")
        .values("reach")[:1]
    )
    publications = (
        Publication.objects.select_related("account")
        .annotate(latest_reach=Subquery(latest_reach))
        .order_by("account__platform")  # the links, in platform order
    )
    posts = (
        Post.objects.exclude(status=Post.Status.CANCELLED)
        .select_related("practice")
        .prefetch_related(Prefetch("publications", queryset=publications))
    )
    return tips.prefetch_related(Prefetch("posts", queryset=posts))


def outcome(tip: Tip) -> TipOutcome:
    """What the person who sent the tip sees about it, from prefetched rows."""
    if tip.status == Tip.Status.DECLINED:
        return TipOutcome("declined", "Declined", detail=tip.decline_reason)
    posts = list(tip.posts.all())
    publications = [p for post in posts for p in post.publications.all()]
    live = [p for p in publications if p.status == Publication.Status.PUBLISHED]
    if live:
        # latest_reach is with_outcomes' annotation; django-stubs cannot carry
        # an annotation through a Prefetch onto the related rows.
        reaches = [p.latest_reach for p in live if p.latest_reach is not None]  # type: ignore[attr-defined]
        return TipOutcome(
            "published",
            "Published",
            links=[(p.platform_label, p.permalink) for p in live if p.permalink],
            reach=sum(reaches) if reaches else None,
        )
    scheduled = [
        p.scheduled_at for p in posts if p.status == Post.Status.SCHEDULED and p.scheduled_at
    ]
    if scheduled or any(p.status == Post.Status.PUBLISHING for p in posts):
        when = min(scheduled, default=None)
        detail = ""
        if when is not None:
            local = tip.practice.local(when)
            detail = f"Goes out {local:%a} {local.day} {local:%b}, {local:%H:%M}"
        return TipOutcome("scheduled", "Scheduled", detail=detail)
    if posts or tip.status == Tip.Status.DRAFTED:
        return TipOutcome("drafted", "Drafted", detail="The agency is writing a post from it.")
    if tip.status == Tip.Status.ARCHIVED:
        return TipOutcome("archived", "Archived")
    return TipOutcome("new", "New", detail="The agency will look at it soon.")


@dataclass
class TipMonth:
    """One month of a person's tips: sent, published, and the reach they earned."""

    month: date
    sent: int = 0
    published: int = 0
    reach: int = 0


# "What your tips earned" shows this many months.
MONTHS_SHOWN = 3


def by_month(
    rows: list[tuple[Tip, TipOutcome]], *, zone: ZoneInfo, count: int = MONTHS_SHOWN
) -> list[TipMonth]:
    """The person's last `count` months with tips, newest first, from rows already read."""
    months: dict[date, TipMonth] = {}
    for tip, found in rows:
        month = tip.created_at.astimezone(zone).date().replace(day=1)
        line = months.setdefault(month, TipMonth(month))
        line.sent += 1
        if found.state == "published":
            line.published += 1
            line.reach += found.reach or 0
    return sorted(months.values(), key=lambda line: line.month, reverse=True)[:count]
