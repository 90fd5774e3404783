"""E-mails owed to people: written with what they tell of, sent by a worker, never lost.

`notify` writes a Notification in the caller's transaction and, once that
commits, enqueues `deliver` on the "email" queue. A send that fails is
retried with a growing pause, by the sweep (`send_due`, every minute from
the cron), which also sends whatever a job never ran for. People choose per
kind between at once and one daily digest (`send_digests`, hourly: each
person's digest leaves at DIGEST_HOUR in their own time zone).

Nothing is sent inside a request: a slow or failing mail server never slows a
page or undoes what a person did.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import django_rq
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from core.models import Notification, NotificationPreference, User

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Delivery = Notification.Delivery

# Always at once: a reminder in tomorrow's digest comes too late, and the
# signer's copy goes to someone without an account.
IMMEDIATE_ONLY = frozenset(
    {
        Kind.APPROVAL_REMINDER,
        Kind.SIGNER_COPY,
        Kind.APPROVAL_LINK,
        Kind.INVITATION,
        # A bad review is answered within the hour or it sets the tone: never
        # held for a digest, whatever the person chose.
        Kind.BAD_REVIEW,
    }
)
# What each kind of person may receive (the settings page lists these).
AGENCY_KINDS = (
    Kind.CHANGES_REQUESTED,
    Kind.APPROVAL_WITHDRAWN,
    Kind.INTERNAL_REVIEW,
    Kind.APPROVAL_EXPIRED,
    Kind.PUBLICATION_FAILED,
    Kind.NEEDS_RECONNECT,
    Kind.AUTHORIZATION_EXPIRING,
    Kind.MONTHLY_REPORT,
    Kind.DOCTOR_JOINED,
    Kind.BAD_REVIEW,
    Kind.REPLY_FAILED,
)
DOCTOR_KINDS = (Kind.AWAITING_APPROVAL, Kind.REPLY_AWAITING_APPROVAL, Kind.MONTHLY_REPORT)
STAFF_KINDS = (Kind.TIP_PUBLISHED,)
# Pause before the next try of a failed send: doubling, at most an hour.
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
# A digest item waits at most this long, even if the digest hour was missed.
DIGEST_LONGEST_WAIT = timedelta(hours=25)
SWEEP_BATCH = 200


def absolute(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


def delivery_for(user: User | None, kind: str) -> str:
    if user is None or kind in IMMEDIATE_ONLY:
        return Delivery.IMMEDIATE
    chosen = (
        NotificationPreference.objects.filter(user=user, kind=kind)
        .values_list("delivery", flat=True)
        .first()
    )
    return chosen or Delivery.IMMEDIATE


def preferences(user: User) -> dict[str, str]:
    return dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))


def set_preferences(user: User, chosen: dict[str, str]) -> None:
    with transaction.atomic():
        for kind, delivery in chosen.items():
            if kind in IMMEDIATE_ONLY:
                continue
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"delivery": delivery}
            )


@dataclass(frozen=True)
class Wording:
    subject: str
    paragraphs: list[str]
    link_label: str


def wording(message: str, context: dict[str, Any]) -> Wording:
    """What e-mail `message` says, from templates/email/messages/<message>.txt.

    Each such template holds the partials `subject`, `body` and (for a message
    with a link) `link_label`, written as plain text: nothing is escaped here,
    the HTML layout (email/notification.html) escapes it. The body's
    paragraphs are separated by blank lines; the lines of one are joined, so
    a template may wrap them.
    """
    name = f"email/messages/{message}.txt"

    def part(partial: str) -> str:
        template = get_template(f"{name}#{partial}").template  # type: ignore[attr-defined]
        return str(template.render(Context(context, autoescape=False)))

    def one_line(text: str) -> str:
        return " ".join(text.split())

    try:
        link_label = one_line(part("link_label"))
    except TemplateDoesNotExist:
        link_label = ""
    return Wording(
        subject=one_line(part("subject")),
        paragraphs=[
            one_line(paragraph)
            for paragraph in re.split(r"\n\s*\n", part("body"))
            if paragraph.strip()
        ],
        link_label=link_label,
    )


def notify(
    *,
    kind: str,
    message: str,
    context: dict[str, Any],
    to: User | None = None,
    address: str = "",
    link: str = "",
    # A practices.Practice, which core (the layer below practices) cannot name.
    practice: Any = None,
    key: str | None = None,
) -> Notification | None:
    """Owe someone e-mail `message` (its wording: `wording`, from `context`).

    None when there is nobody to send it to, or `key` was used.
    """
    if to is not None:
        if not to.is_active or not to.email:
            logger.warning("notification not written, the person has no address: %s", kind)
            return None
        address = to.email
    if not address:
        logger.warning("notification not written, nobody to send it to: %s", kind)
        return None
    delivery = delivery_for(to, kind)
    said = wording(message, context)
    try:
        # A savepoint: a second notify with the same key leaves the caller's
        # transaction usable.
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=to,
                address=address,
                kind=kind,
                delivery=delivery,
                practice=practice,
                subject=said.subject[:200],
                paragraphs=said.paragraphs,
                link=link,
                link_label=said.link_label,
                key=key,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        if key is None:
            raise
        return None  # already owed once
    if delivery == Delivery.IMMEDIATE:
        pk = notification.pk
        transaction.on_commit(lambda: enqueue(pk))
    return notification


def enqueue(pk: int) -> None:
    """Hand a notification to the workers; if Redis is away, the sweep sends it later."""
    try:
        django_rq.get_queue("email").enqueue(deliver, pk, result_ttl=60)
    except Exception:
        logger.exception("notification %s not enqueued; the sweep will send it", pk)


def deliver(pk: int) -> bool:
    """Send one notification at once (the job); True if sent now."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk, sent_at__isnull=True, delivery=Delivery.IMMEDIATE)
            .exclude(recipient__is_active=False)  # held while the person's account is closed
            .select_related("practice", "recipient")
            .first()
        )
        if notification is None:
            return False  # sent already, or another worker is sending it
        return _send([notification], digest=False)


def send_due(*, now: datetime | None = None) -> int:
    """The sweep: every immediate notification not sent yet whose time has come."""
    now = now or timezone.now()
    pks = list(
        Notification.objects.filter(
            sent_at__isnull=True, delivery=Delivery.IMMEDIATE, next_attempt_at__lte=now
        )
        .exclude(recipient__is_active=False)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return sum(deliver(pk) for pk in pks)


def send_digests(*, now: datetime | None = None) -> int:
    """Each person's digest at DIGEST_HOUR in their time zone (or after a day's wait)."""
    now = now or timezone.now()
    waiting = (
        Notification.objects.filter(sent_at__isnull=True, delivery=Delivery.DIGEST)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for user in User.objects.filter(pk__in=waiting, is_active=True):
        zone = ZoneInfo(user.own_zone())
        with transaction.atomic():
            items = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(recipient=user, sent_at__isnull=True, delivery=Delivery.DIGEST)
                .select_related("practice", "recipient")
                .order_by("created_at", "pk")
            )
            if not items:
                continue
            digest_hour = now.astimezone(zone).hour == settings.DIGEST_HOUR
            overdue = items[0].created_at <= now - DIGEST_LONGEST_WAIT
            due = [
                item
                for item in items
                if item.next_attempt_at is None or item.next_attempt_at <= now
            ]
            if (digest_hour or overdue) and due:
                sent += _send(due, digest=True)
    return sent


def _send(items: list[Notification], *, digest: bool) -> bool:
    """Send one e-mail for these rows (locked by the caller) and record the outcome."""
    now = timezone.now()
    # A person's address as it is now: one changed since the row was written
    # (or between two tries) gets the e-mail, and the row says where it went.
    recipient = items[0].recipient
    address = recipient.email if recipient is not None and recipient.email else items[0].address
    try:
        _message(items, digest=digest, address=address).send()
    except Exception as error:  # a mail server's refusal or outage: try again later
        for item in items:
            item.attempts += 1
            item.last_error = f"{type(error).__name__}: {error}"[:300]
            item.next_attempt_at = now + min(RETRY_BASE * 2 ** (item.attempts - 1), RETRY_CAP)
            item.save(update_fields=["attempts", "last_error", "next_attempt_at"])
        logger.warning(
            "e-mail not sent (%s), tried %s times", type(error).__name__, items[0].attempts
        )
        return False
    for item in items:
        item.attempts += 1
        item.sent_at = now
        item.last_error = ""
        item.address = address
        item.save(update_fields=["attempts", "sent_at", "last_error", "address"])
    return True


def _message(items: list[Notification], *, digest: bool, address: str) -> EmailMultiAlternatives:
    first = items[0]
    context = {
        "agency": settings.AGENCY_NAME,
        "site": absolute("/"),
        "items": [
            {
                "subject": item.subject,
                "paragraphs": item.paragraphs,
                "link": absolute(item.link) if item.link else "",
                "link_label": item.link_label or "Open in Rounds",
                "practice": str(item.practice) if item.practice else "",
            }
            for item in items
        ],
        "digest": digest,
        "settings_url": absolute("/account/notifications/") if first.recipient_id else "",
    }
    if digest:
        subject = (
            f"{settings.AGENCY_NAME}: {len(items)} update{'s' if len(items) != 1 else ''} for you"
        )
    else:
        practice = (
            f"{first.practice}: "
            if first.practice and str(first.practice) not in first.subject
            else ""
        )
        subject = practice + first.subject
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("email/notification.txt", context),
        to=[address],
    )
    message.attach_alternative(render_to_string("email/notification.html", context), "text/html")
    return message
