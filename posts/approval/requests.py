"""Who is asked to decide on a post, and when: the doctors, the agency, reminders, expiry.

Each e-mail goes through core.notifications (written with the change, sent
by a worker). The cron runs `expire_overdue` and `send_reminders` every
minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import ratelimit
from core.models import AuditEvent, Notification, User
from core.notifications import notify
from posts.approval.links import doctors_at, issue_link
from posts.models import Post
from practices.alerts import doctors_of, strategist_for

Kind = Notification.Kind
# The approval e-mail lists this many of the posts waiting, then how many more.
WAITING_SHOWN = 10


def ask_doctors(post: Post) -> int:
    """The post went to the doctors: each gets an e-mail with their own link."""
    practice = post.practice
    asked = 0
    for doctor in doctors_of(practice):
        asked += _ask(doctor, post, kind=Kind.AWAITING_APPROVAL, key=None) is not None
    return asked


def _ask(doctor: User, post: Post, *, kind: str, key: str | None) -> Notification | None:
    if key is not None and Notification.objects.filter(key=key).exists():
        return None  # asked once already (no new link for nothing)
    practice = post.practice
    # What waits, not only a link: a doctor on a phone sees what the page holds.
    waiting = Post.objects.filter(practice=practice, status=Post.Status.IN_REVIEW).order_by(
        "scheduled_at", "created_at"
    )
    shown = list(waiting[:WAITING_SHOWN])
    return notify(
        kind=kind,
        to=doctor,
        practice=practice,
        message="approval_request",
        context={
            "practice": practice,
            "post": post,
            "reminder": kind == Kind.APPROVAL_REMINDER,
            "link_days": settings.APPROVAL_LINK_DAYS,
            "waiting": shown,
            "more": max(waiting.count() - len(shown), 0) if len(shown) == WAITING_SHOWN else 0,
        },
        link=issue_link(doctor, practice),
        key=key,
    )


def new_links_on_request(address: str, *, client: str, ip: str | None) -> int:
    """send_new_links, within the limits: per address typed and per client address
    (the same as a password reset's: both send a way in to an address). A request
    over either sends nothing; the page says the same."""
    window = settings.PASSWORD_RESET_LIMIT_WINDOW
    verdicts = [
        ratelimit.hit(
            "link-email", address, limit=settings.PASSWORD_RESET_LIMIT_PER_EMAIL, window=window
        ),
        ratelimit.hit(
            "link-address", client, limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS, window=window
        ),
    ]
    if not all(verdict.allowed for verdict in verdicts):
        AuditEvent.record("approval_link_request_limited", ip_address=ip)
        return 0
    return send_new_links(address)


def send_new_links(address: str) -> int:
    """A doctor asked for a new link on a refused one: each practice where the
    person with this address is a doctor gets a new link, e-mailed to the address
    on file only. How many (0 for an address that is no doctor's: the page says
    the same either way)."""
    sent = 0
    for doctor, practices in doctors_at(address):
        for practice in practices:
            sent += (
                notify(
                    kind=Kind.APPROVAL_LINK,
                    to=doctor,
                    practice=practice,
                    message="approval_link",
                    context={"practice": practice, "link_days": settings.APPROVAL_LINK_DAYS},
                    link=issue_link(doctor, practice),
                )
                is not None
            )
    return sent


def ask_agency_reviewers(post: Post, *, by: User) -> int:
    """The practice wants an agency review first: the leads and its other strategists."""
    practice = post.practice
    reviewers = User.objects.filter(is_active=True).filter(
        agency_role=User.AgencyRole.LEAD
    ) | User.objects.filter(is_active=True, assignments__practice=practice)
    asked = 0
    for reviewer in reviewers.exclude(pk=by.pk).distinct():
        asked += (
            notify(
                kind=Kind.INTERNAL_REVIEW,
                to=reviewer,
                practice=practice,
                message="agency_review",
                context={"practice": practice, "post": post, "by": by},
                link=post.get_absolute_url(),
            )
            is not None
        )
    return asked


def expire_overdue(*, now: datetime | None = None) -> int:
    """Posts still waiting for a decision at their time: not published, the strategist told."""
    now = now or timezone.now()
    expired = 0
    due = Post.objects.filter(status__in=Post.AWAITING_DECISION, scheduled_at__lte=now)
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            post = (
                Post.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("practice", "author")
                .filter(pk=pk, status__in=Post.AWAITING_DECISION, scheduled_at__lte=now)
                .first()
            )
            if post is None:
                continue
            post.expire_approval()
            post.version += 1
            post.save(update_fields=["version", "updated_at"])
            AuditEvent.record(
                "post_approval_expired",
                actor_label="scheduler",
                practice=post.practice,
                obj=post,
                detail={"post": post.pk},
            )
            practice = post.practice
            notify(
                kind=Kind.APPROVAL_EXPIRED,
                to=strategist_for(practice, fallback=post.author),
                practice=practice,
                message="approval_expired",
                context={"practice": practice, "post": post, "due": post.scheduled_at or now},
                link=post.get_absolute_url(),
            )
            expired += 1
    return expired


def send_reminders(*, now: datetime | None = None) -> int:
    """Remind each doctor of a post still waiting, at each of APPROVAL_REMINDER_HOURS ahead.

    Only the nearest reminder whose window the post is in, once per review
    round (the post's version), and not in the first hour after it was sent.
    """
    now = now or timezone.now()
    hours = sorted(settings.APPROVAL_REMINDER_HOURS)
    if not hours:
        return 0
    waiting = Post.objects.filter(
        status=Post.Status.IN_REVIEW,
        scheduled_at__gt=now,
        scheduled_at__lte=now + timedelta(hours=hours[-1]),
        updated_at__lte=now - timedelta(hours=1),
    ).select_related("practice", "author")
    sent = 0
    for post in waiting:
        assert post.scheduled_at is not None
        ahead = post.scheduled_at - now
        window = next(h for h in hours if ahead <= timedelta(hours=h))
        for doctor in doctors_of(post.practice):
            key = f"reminder:{post.pk}:{post.version}:{doctor.pk}:{window}"
            sent += _ask(doctor, post, kind=Kind.APPROVAL_REMINDER, key=key) is not None
    return sent
