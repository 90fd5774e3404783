"""When a practice's posts do best: engagement rate by weekday and hour on its clock.

The practice analytics page shows the whole grid; the editor suggests the
next good time from it. A time needs MIN_POSTS posts behind it to count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, F, FloatField, Sum
from django.db.models.functions import Cast, Coalesce, ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from posts.models import Publication
from practices.models import Practice

MIN_POSTS = 3
HISTORY = timedelta(days=365)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass
class Cell:
    """One weekday and hour of the grid."""

    posts: int = 0
    rate_sum: float = 0.0

    @property
    def rate(self) -> float | None:
        return self.rate_sum / self.posts if self.posts else None


def grid_of(practice: Practice, start: datetime, end: datetime) -> list[list[Cell]]:
    """The practice's live publications of [start, end) as a 7 x 24 grid of mean
    engagement rates, Monday first, on its clock (one query, added up by the
    database). A publication without a reach yet is left out."""
    zone = practice.zone
    cells = [[Cell() for _ in range(24)] for _ in range(7)]
    rate = Cast(Coalesce("engagements", 0), FloatField()) * 100.0 / F("reach")
    for weekday, hour, posts, rate_sum in (
        Publication.objects.filter(
            # By the practice's accounts: the index publication_live holds what is read.
            account__practice=practice,
            status__in=[Publication.Status.PUBLISHED, Publication.Status.DELETED],
            published_at__gte=start,
            published_at__lt=end,
            reach__gt=0,
        )
        .order_by()
        .annotate(
            weekday=ExtractIsoWeekDay("published_at", tzinfo=zone),
            hour=ExtractHour("published_at", tzinfo=zone),
        )
        .values("weekday", "hour")
        .annotate(posts=Count("pk"), rate_sum=Sum(rate))
        .values_list("weekday", "hour", "posts", "rate_sum")
    ):
        cells[weekday - 1][hour] = Cell(posts, rate_sum)
    return cells


def best(cells: Sequence[Sequence[Cell]], *, count: int = 3) -> list[tuple[int, int, Cell]]:
    """The best (weekday, hour) cells by mean engagement rate, with enough posts behind them."""
    found = [
        (day, hour, cell)
        for day, row in enumerate(cells)
        for hour, cell in enumerate(row)
        if cell.posts >= MIN_POSTS and cell.rate is not None
    ]
    found.sort(key=lambda item: (-(item[2].rate or 0), item[0], item[1]))
    return found[:count]


@dataclass(frozen=True)
class Suggestion:
    weekday: int
    hour: int
    rate: float
    posts: int
    at: datetime  # the next such time from now, on the practice's clock

    @property
    def weekday_name(self) -> str:
        return WEEKDAYS[self.weekday]


def next_good_time(practice: Practice, *, now: datetime | None = None) -> Suggestion | None:
    """The next occurrence of the practice's best time, from its last year (one query)."""
    now = now or timezone.now()
    zone = practice.zone
    top = best(grid_of(practice, now - HISTORY, now), count=1)
    if not top:
        return None
    weekday, hour, cell = top[0]
    local_now = now.astimezone(zone)
    day = local_now.date() + timedelta(days=(weekday - local_now.weekday()) % 7)
    at = datetime.combine(day, time(hour), tzinfo=zone)
    if at <= local_now + timedelta(minutes=15):
        at = datetime.combine(day + timedelta(days=7), time(hour), tzinfo=zone)
    return Suggestion(weekday, hour, cell.rate or 0.0, cell.posts, at)
