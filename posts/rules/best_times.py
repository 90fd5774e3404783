"""When a practice's posts do best: engagement rate by weekday and hour on its clock.

The practice analytics page shows the whole grid; the editor suggests the
next good time from it. A time needs MIN_POSTS posts behind it to count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

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


def grid(readings: Iterable[tuple[datetime, int | None, int | None]]) -> list[list[Cell]]:
    """(published, on the practice's clock; reach; engagements) into a 7 x 24 grid of
    mean engagement rates, Monday first. A post without a reach yet is left out."""
    cells = [[Cell() for _ in range(24)] for _ in range(7)]
    for local, reach, engagements in readings:
        if reach:
            cell = cells[local.weekday()][local.hour]
            cell.posts += 1
            cell.rate_sum += 100 * (engagements or 0) / reach
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
    readings = (
        Publication.objects.filter(
            post__practice=practice,
            status__in=[Publication.Status.PUBLISHED, Publication.Status.DELETED],
            published_at__gte=now - HISTORY,
            reach__isnull=False,
        )
        .order_by()
        .values_list("published_at", "reach", "engagements")
    )
    top = best(
        grid(
            (published.astimezone(zone), reach, engaged)
            for published, reach, engaged in readings
            if published is not None
        ),
        count=1,
    )
    if not top:
        return None
    weekday, hour, cell = top[0]
    local_now = now.astimezone(zone)
    day = local_now.date() + timedelta(days=(weekday - local_now.weekday()) % 7)
    at = datetime.combine(day, time(hour), tzinfo=zone)
    if at <= local_now + timedelta(minutes=15):
        at = datetime.combine(day + timedelta(days=7), time(hour), tzinfo=zone)
    return Suggestion(weekday, hour, cell.rate or 0.0, cell.posts, at)
