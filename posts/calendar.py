"""The content calendar: the posts of a month or a week, day by day, and moving one.

Each post sits on the day its own practice's clock shows (a 9:30 Tuesday
post in Chicago is on Tuesday, whoever looks). Moving a post to another day
keeps its time of day on that clock; daylight saving's skipped or repeated
hour on the new day is refused with the reason (core.local_time).
"""

from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from core import local_time
from core.models import User
from posts import editor
from posts.models import IllegalTransition, Post
from practices.models import Platform

SHOWN = [status for status in Post.Status if status != Post.Status.CANCELLED]
# Where a move changes the publishing time too (scheduled), or only the plan.
MOVABLE = [
    Post.Status.DRAFT,
    Post.Status.IN_REVIEW,
    Post.Status.CHANGES_REQUESTED,
    Post.Status.APPROVED,
    Post.Status.SCHEDULED,
]


# The calendar's platform marks (with the full name beside each, for screen readers).
PLATFORM_SHORT = {
    "facebook": "FB",
    "instagram": "IG",
    "linkedin": "in",
    "x": "X",
    "google_business": "G",
}


@dataclass
class Chip:
    """One post on the calendar, with what its chip shows worked out here: a month of
    15 practices has hundreds, and template logic per chip is the page's cost."""

    post: Post
    time: str  # on the practice's clock
    platforms: list[tuple[str, str]]  # (mark, full name)
    edit_url: str
    move_url: str
    movable: bool


@dataclass
class Day:
    day: date
    in_range: bool
    posts: list[Chip] = field(default_factory=list)

    @property
    def iso(self) -> str:
        return self.day.isoformat()

    @property
    def is_today(self) -> bool:
        return self.day == timezone.localdate()


def month_days(first: date) -> list[date]:
    """Monday of the week holding the 1st to Sunday of the week holding the last day."""
    start = first - timedelta(days=first.weekday())
    last = first.replace(day=stdlib_calendar.monthrange(first.year, first.month)[1])
    end = last + timedelta(days=6 - last.weekday())
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def week_days(any_day: date) -> list[date]:
    start = any_day - timedelta(days=any_day.weekday())
    return [start + timedelta(days=n) for n in range(7)]


def days_with_posts(
    posts: QuerySet[Post], days: list[date], *, in_range: tuple[date, date]
) -> list[Day]:
    """The days, each with its posts (in time order), in one query."""
    # A margin of a day each side: every practice's clock differs from UTC by less.
    start = datetime.combine(days[0] - timedelta(days=1), time.min, tzinfo=ZoneInfo("UTC"))
    end = datetime.combine(days[-1] + timedelta(days=2), time.min, tzinfo=ZoneInfo("UTC"))
    found = (
        posts.filter(status__in=SHOWN, scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related("practice")
        .prefetch_related("targets")
        .order_by("scheduled_at", "pk")
    )
    by_day = {d: Day(d, in_range[0] <= d <= in_range[1]) for d in days}
    # The URLs differ by the post's id only: reversed once, filled in per chip.
    edit_url = reverse("post_edit", args=[0]).replace("/0/", "/{}/")
    move_url = reverse("post_move", args=[0]).replace("/0/", "/{}/")
    labels = dict(Platform.choices)
    movable = {str(status) for status in MOVABLE}
    for post in found:
        assert post.scheduled_at is not None  # filtered above
        local = post.practice.local(post.scheduled_at)
        day = by_day.get(local.date())
        if day is None:
            continue
        day.posts.append(
            Chip(
                post=post,
                time=f"{local:%H:%M}",
                platforms=[
                    (PLATFORM_SHORT.get(a.platform, a.platform), str(labels.get(a.platform, "")))
                    for a in post.targets.all()
                ],
                edit_url=edit_url.format(post.pk),
                move_url=move_url.format(post.pk),
                movable=post.status in movable,
            )
        )
    return list(by_day.values())


def move(*, post: Post, day: date, version: int | None, by: User) -> Post:
    """Move a post to another day at the same time on its practice's clock.

    A scheduled post is rescheduled (its approval stands: only the time
    changes); one not yet scheduled keeps its status with the new time.
    """
    with transaction.atomic():
        locked = editor.locked_at_version(post, version)
        if locked.status not in MOVABLE or locked.scheduled_at is None:
            raise IllegalTransition(
                f"a post that is {locked.get_status_display().lower()} cannot be moved"
            )
        zone = locked.practice.zone
        clock = locked.practice.local(locked.scheduled_at).time().replace(tzinfo=None)
        try:
            at = local_time.to_moment(day, clock, zone)
        except local_time.LocalTimeError as error:
            raise IllegalTransition(str(error).rstrip(".")) from error
        if at <= timezone.now():
            raise IllegalTransition("that day and time have passed; choose a later day")
        if locked.status == Post.Status.SCHEDULED:
            locked.unschedule()
            locked.schedule(at=at)
        locked.scheduled_at = at
        editor.record_done(locked, "post_moved", by=by, fields=["scheduled_at"])
    return locked
