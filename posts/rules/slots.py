"""Posting slots: when a practice's recurring weekly slots fall, and which are free.

A slot is a wall-clock time on the practice's clock (practices.PostingSlot).
On the night the clocks go forward a slot in the skipped hour does not happen
that week; on the night they go back a slot in the repeated hour happens once,
at the first of the two (core.local_time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from core import local_time
from posts.models import Post
from practices.models import Platform, PostingSlot, Practice

# Posts that hold a slot: planned with a time, or gone out at it.
HOLDING = [
    Post.Status.IN_REVIEW,
    Post.Status.APPROVED,
    Post.Status.SCHEDULED,
    Post.Status.PUBLISHING,
    Post.Status.PUBLISHED,
]
# "Add to queue" looks this far ahead for a free slot.
HORIZON = timedelta(weeks=8)
# A slot must leave time for the post to be claimed and sent.
LEAD_TIME = timedelta(minutes=5)


@dataclass(frozen=True)
class Opening:
    practice: Practice
    platform: str
    at: datetime

    @property
    def platform_label(self) -> str:
        return str(Platform(self.platform).label)


def occurrences(
    slots: list[PostingSlot], practice: Practice, *, start: datetime, end: datetime
) -> list[Opening]:
    """Every time these slots fall in [start, end), in order."""
    zone = practice.zone
    first: date = timezone.localtime(start, zone).date()
    last: date = timezone.localtime(end, zone).date()
    found = []
    day = first
    while day <= last:
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            try:
                at = local_time.to_moment(day, slot.time, zone, which="earlier")
            except local_time.NonexistentTime:
                continue  # the skipped hour: no slot that week
            if start <= at < end:
                found.append(Opening(practice, slot.platform, at))
        day += timedelta(days=1)
    return sorted(found, key=lambda o: (o.at, o.platform))


def taken(practice: Practice, *, start: datetime, end: datetime) -> set[tuple[str, datetime]]:
    """(platform, moment) pairs already held by the practice's posts."""
    rows = Post.objects.filter(
        practice=practice, status__in=HOLDING, scheduled_at__gte=start, scheduled_at__lt=end
    ).values_list("targets__platform", "scheduled_at")
    return {(platform, at) for platform, at in rows if platform and at is not None}


def next_free(post: Post, *, now: datetime | None = None) -> Opening | None:
    """The earliest free slot on one of the post's platforms (its own time aside)."""
    now = now or timezone.now()
    start, end = now + LEAD_TIME, now + HORIZON
    platforms = set(post.targets.values_list("platform", flat=True))
    slots = list(PostingSlot.objects.filter(practice=post.practice, platform__in=platforms))
    if not slots:
        return None
    held = taken(post.practice, start=start, end=end)
    if post.scheduled_at is not None:
        held -= {(platform, post.scheduled_at) for platform in platforms}
    for opening in occurrences(slots, post.practice, start=start, end=end):
        # Free when no post of the practice is on that platform at that moment.
        if (opening.platform, opening.at) not in held:
            return opening
    return None


def empty_in_week(practices: Sequence[Practice], *, now: datetime | None = None) -> list[Opening]:
    """The slots of these practices in the coming seven days that no post holds yet."""
    now = now or timezone.now()
    end = now + timedelta(days=7)
    by_practice: dict[int, list[PostingSlot]] = {}
    for slot in PostingSlot.objects.filter(practice__in=practices):
        by_practice.setdefault(slot.practice_id, []).append(slot)
    if not by_practice:
        return []
    rows = Post.objects.filter(
        practice__in=list(by_practice),
        status__in=HOLDING,
        scheduled_at__gte=now,
        scheduled_at__lt=end,
    ).values_list("practice_id", "targets__platform", "scheduled_at")
    held = {(pid, platform, at) for pid, platform, at in rows}
    empty = []
    for practice in practices:
        slots = by_practice.get(practice.pk, [])
        for opening in occurrences(slots, practice, start=now, end=end):
            if (practice.pk, opening.platform, opening.at) not in held:
                empty.append(opening)
    return sorted(empty, key=lambda o: (o.at, o.practice.name, o.platform))
