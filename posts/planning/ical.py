"""A practice's calendar feed (iCal, RFC 5545) at a secret, rotatable address.

For the practice's doctors and managers to subscribe to in their own
calendar: what goes out when, and where. Titles and platforms only, never a
caption (which may tell a patient's story): the address is a secret, but a
calendar app keeps what it fetched.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from posts.models import Post
from practices.models import Platform, Practice

# How far back the feed reaches; ahead, everything planned.
PAST = timedelta(days=90)
# A post is a moment; calendars show it as a short event.
LENGTH = timedelta(minutes=15)
SHOWN = [
    Post.Status.IN_REVIEW,
    Post.Status.APPROVED,
    Post.Status.SCHEDULED,
    Post.Status.PUBLISHING,
    Post.Status.PUBLISHED,
    Post.Status.PARTIALLY_FAILED,
    Post.Status.FAILED,
]
# Not yet sure to go out: shown as tentative.
TENTATIVE = {Post.Status.IN_REVIEW, Post.Status.APPROVED}


def feed(practice: Practice) -> bytes:
    """The practice's posts with a time, from PAST ago onwards, as an iCal file."""
    now = timezone.now()
    posts = (
        Post.objects.filter(practice=practice, status__in=SHOWN, scheduled_at__gte=now - PAST)
        .prefetch_related("targets")
        .order_by("scheduled_at", "pk")
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Rounds//Posts//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{practice.name}: posts")
    calendar.add("x-wr-timezone", practice.time_zone)
    site = settings.SITE_URL.rstrip("/")
    for post in posts:
        assert post.scheduled_at is not None  # filtered above
        platforms = sorted({str(Platform(a.platform).label) for a in post.targets.all()})
        event = Event()
        event.add("uid", f"post-{post.pk}@{practice.slug}.rounds")
        event.add("dtstamp", now)
        event.add("dtstart", post.scheduled_at)
        event.add("dtend", post.scheduled_at + LENGTH)
        event.add("summary", f"{post}: {', '.join(platforms) or 'no platform yet'}")
        event.add("description", f"{post.get_status_display()}. {site}{post.get_absolute_url()}")
        event.add("url", f"{site}{post.get_absolute_url()}")
        event.add("status", "TENTATIVE" if post.status in TENTATIVE else "CONFIRMED")
        event.add("last-modified", post.updated_at)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
