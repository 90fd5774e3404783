"""What the conversation shows about a practice: how fast and how often it answers, and
how its Google reviews trend. Read by the analytics page and the monthly report."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Avg, Count, DurationField, ExpressionWrapper, F, Q

from engagement.models import InboxItem
from practices.models import Practice


class Median(Aggregate):
    """PostgreSQL's median (NULLs are left out)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = DurationField()


@dataclass(frozen=True)
class RatingMonth:
    month: date
    reviews: int
    average: float | None


@dataclass
class ConversationFigures:
    received: int = 0  # comments, mentions and reviews that came in, deletions included
    answered: int = 0  # with a reply out
    median_response: timedelta | None = None
    reviews: int = 0
    average_rating: float | None = None
    ratings: list[RatingMonth] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        """Percent answered; None when nothing came in."""
        return 100.0 * self.answered / self.received if self.received else None

    @property
    def median_hours(self) -> float | None:
        if self.median_response is None:
            return None
        return self.median_response.total_seconds() / 3600


def conversation_figures(
    practice: Practice,
    start: datetime,
    end: datetime,
    *,
    months: Sequence[tuple[date, datetime, datetime]] = (),
) -> ConversationFigures:
    """What came in between `start` and `end` (answered whenever), and the reviews' stars
    in each of `months` (the month, its start and end): one query."""
    inside = Q(posted_at__gte=start, posted_at__lt=end)
    review = Q(kind=InboxItem.Kind.REVIEW, rating__isnull=False)
    waited = ExpressionWrapper(
        F("first_response_at") - F("posted_at"), output_field=DurationField()
    )
    columns: dict[str, Any] = {
        "received": Count("pk", filter=inside),
        "answered": Count("pk", filter=inside & Q(first_response_at__isnull=False)),
        "reviews": Count("pk", filter=inside & review),
        "average": Avg("rating", filter=inside & review),
    }
    # PostgreSQL finds the median in the same query; the quick start's SQLite has
    # no percentile_cont, and reads the waits instead (one query more).
    in_one_query = connection.vendor == "postgresql"
    if in_one_query:
        columns["median"] = Median(waited, filter=inside)  # the unanswered are NULL
    for n, (_, first, last) in enumerate(months):
        month = review & Q(posted_at__gte=first, posted_at__lt=last)
        columns[f"reviews_{n}"] = Count("pk", filter=month)
        columns[f"average_{n}"] = Avg("rating", filter=month)
    earliest = min([start, *(first for _, first, _ in months)])
    latest = max([end, *(last for _, _, last in months)])
    row = InboxItem.objects.filter(
        practice=practice, posted_at__gte=earliest, posted_at__lt=latest
    ).aggregate(**columns)
    median = row["median"] if in_one_query else _median_of(practice, inside)
    return ConversationFigures(
        received=row["received"],
        answered=row["answered"],
        median_response=median,
        reviews=row["reviews"],
        average_rating=row["average"],
        ratings=[
            RatingMonth(month, row[f"reviews_{n}"], row[f"average_{n}"])
            for n, (month, _, _) in enumerate(months)
            if row[f"reviews_{n}"]
        ],
    )


def _median_of(practice: Practice, inside: Q) -> timedelta | None:
    waits = [
        (answered - posted).total_seconds()
        for posted, answered in InboxItem.objects.filter(
            inside, practice=practice, first_response_at__isnull=False
        ).values_list("posted_at", "first_response_at")
        if answered is not None
    ]
    return timedelta(seconds=statistics.median(waits)) if waits else None
