"""E-mails for failures that need a person: once per failure, never per retry.

Who gets them: the practice's primary assigned strategist, else the post's
author. The e-mail names the practice, the platform and what to do, with a
link; never a caption or anything about a patient.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from core.models import Assignment, User
from practices.models import Practice, SocialAccount

logger = logging.getLogger(__name__)


class PostLink(Protocol):
    """What an alert reads of a post: a posts.Post, which this app may not import."""

    @property
    def author(self) -> User | None: ...

    def get_absolute_url(self) -> str: ...


def strategist_for(practice: Practice, *, fallback: User | None = None) -> User | None:
    assignment = (
        Assignment.objects.filter(practice=practice, is_primary=True, strategist__is_active=True)
        .select_related("strategist")
        .order_by("created_at", "pk")
        .first()
    )
    if assignment is not None:
        return assignment.strategist
    if fallback is not None and fallback.is_active:
        return fallback
    return None


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def send(*, to: User | None, subject: str, body: str) -> None:
    """Send after the surrounding transaction commits; a mail failure is only logged."""
    if to is None or not to.email:
        logger.warning("alert not sent, nobody to send it to: %s", subject)
        return
    address = to.email

    def send() -> None:
        try:
            send_mail(subject, body, None, [address])
        except Exception:  # an SMTP outage must not undo the outcome we recorded
            logger.exception("alert e-mail failed: %s", subject)

    transaction.on_commit(send)


def account_needs_reconnect(account: SocialAccount, *, post: PostLink | None = None) -> None:
    practice = account.practice
    link = post.get_absolute_url() if post is not None else practice.get_absolute_url()
    send(
        to=strategist_for(practice, fallback=post.author if post is not None else None),
        subject=f"Reconnect {account.get_platform_display()} for {practice}",
        body=(
            f"{account} for {practice} needs reconnecting: {account.status_detail}\n\n"
            "Its posts wait until someone with access to the account connects it again; "
            "they go out as soon as it is.\n\n"
            f"{absolute(link)}\n"
        ),
    )


def account_expiring(account: SocialAccount) -> None:
    practice = account.practice
    assert account.token_expires_at is not None  # only expiring tokens are warned about
    when = practice.local(account.token_expires_at)
    send(
        to=strategist_for(practice, fallback=account.connected_by),
        subject=f"{account.get_platform_display()} for {practice} must be reconnected soon",
        body=(
            f"The connection to {account} for {practice} expires on {when:%A %-d %B %Y}. "
            f"{account.get_platform_display()} does not let us renew it, so someone with "
            "access to the account must connect it again before then, or its posts will "
            "wait.\n\n"
            f"{absolute(practice.get_absolute_url())}\n"
        ),
    )
