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
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, DateField, F, Func, QuerySet, Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from core import local_time
from core.models import User
from core.row_urls import url_template
from posts.authoring import editor
from posts.models import IllegalTransition, Post, PostMedia
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


# A month's day shows this many chips, then "+k more" (the week view shows all):
# a page costs what it shows, however busy the month. The month's chips are
# moved by dragging; the week's also have their own Move form, for the keyboard.
MONTH_CHIPS_PER_DAY = 4


@dataclass
class Day:
    day: date
    in_range: bool
    # The chips the page shows, as values in time order (posts/calendar.html writes them).
    posts: list[dict[str, Any]] = field(default_factory=list)
    # How many posts the day has (the chips are those the page shows of them).
    total: int = 0

    @property
    def iso(self) -> str:
        return self.day.isoformat()

    @property
    def more(self) -> int:
        return self.total - len(self.posts)

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
    posts: QuerySet[Post],
    days: list[date],
    *,
    in_range: tuple[date, date],
    limit: int | None = None,
) -> list[Day]:
    """The days, each with its posts' chips (in time order): two queries, three with
    a limit.

    With a limit, each day reads and shows that many chips and counts the rest
    (the database numbers each day's posts, so a busy month costs no more to
    show than a quiet one with the same number of chips).
    """
    # A margin of a day each side: every practice's clock differs from UTC by less.
    start = datetime.combine(days[0] - timedelta(days=1), time.min, tzinfo=ZoneInfo("UTC"))
    end = datetime.combine(days[-1] + timedelta(days=2), time.min, tzinfo=ZoneInfo("UTC"))
    shown = posts.filter(status__in=SHOWN, scheduled_at__gte=start, scheduled_at__lt=end)
    by_day = {d: Day(d, in_range[0] <= d <= in_range[1]) for d in days}
    totals: dict[date, int] = {}
    if limit is not None:
        local_day = Cast(
            Func(F("practice__time_zone"), F("scheduled_at"), function="timezone"), DateField()
        )
        shown = shown.annotate(
            local_day=local_day,
            place=Window(RowNumber(), partition_by=[local_day], order_by=["scheduled_at", "pk"]),
        ).filter(place__lte=limit)
        totals = dict(
            posts.filter(status__in=SHOWN, scheduled_at__gte=start, scheduled_at__lt=end)
            .annotate(local_day=local_day)
            .order_by()
            .values("local_day")
            .annotate(posts=Count("pk"))
            .values_list("local_day", "posts")
        )
    found = list(
        shown.order_by("scheduled_at", "pk").values_list(
            "pk",
            "title",
            "status",
            "version",
            "scheduled_at",
            "practice__name",
            "practice__time_zone",
        )
    )
    # Rows, not model objects: a month of hundreds of posts and their targets.
    shown_ids = [row[0] for row in found]
    # Each chip's first photo, as a thumbnail (one query for the page's chips).
    thumbnails: dict[int, str] = {}
    photo_url = url_template("media_file", "pk", "spec")
    for post_id, asset_id in (
        PostMedia.objects.filter(post_id__in=shown_ids, position=0)
        .order_by()
        .values_list("post_id", "asset_id")
    ):
        thumbnails[post_id] = photo_url.format(pk=asset_id, spec="thumbnail")
    targets: dict[int, list[str]] = {}
    for post_id, platform in (
        Post.targets.through.objects.filter(post_id__in=shown_ids)
        .order_by("socialaccount__platform")
        .values_list("post_id", "socialaccount__platform")
    ):
        targets.setdefault(post_id, []).append(platform)
    # The URLs differ by the post's id only: reversed once, filled in per chip.
    edit_url, move_url = url_template("post_edit", "pk"), url_template("post_move", "pk")
    labels = dict(Platform.choices)
    zones: dict[str, ZoneInfo] = {}
    for pk, title, status, version, scheduled_at, practice_name, zone in found:
        assert scheduled_at is not None  # filtered above
        local = scheduled_at.astimezone(zones.setdefault(zone, ZoneInfo(zone)))
        day = by_day.get(local.date())
        if day is None:
            continue
        day.posts.append(
            {
                "pk": pk,
                "label": title or f"Post #{pk}",  # Post.__str__
                "status": status,
                "status_label": Post.Status(status).label,
                "version": version,
                "time": f"{local:%H:%M}",
                # Plain text, as one mark each and their names (for screen readers).
                "marks": " ".join(PLATFORM_SHORT.get(p, p) for p in targets.get(pk, [])),
                "platform_names": ", ".join(labels.get(p, p) for p in targets.get(pk, [])),
                "practice_name": practice_name,
                "movable": status in MOVABLE,
                "edit_url": edit_url.format(pk=pk),
                "move_url": move_url.format(pk=pk),
                "thumbnail": thumbnails.get(pk, ""),
            }
        )
    for day in by_day.values():
        day.total = totals.get(day.day, len(day.posts))
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
