"""Alerts for failures that need a person: once per failure, never per retry.

Who gets them: the practice's primary assigned strategist, else the post's
author. The e-mail names the practice, the platform and what to do, with a
link; never a caption or anything about a patient. They go through
core.notifications: written with the failure, sent by a worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from django.urls import reverse
from django.utils import timezone

from core.models import Assignment, Notification, User
from core.notifications import notify, wording
from practices.models import PatientConsent, Practice, SocialAccount

Kind = Notification.Kind
# Authorizations are warned about this long before they expire (the dashboard's window).
EXPIRING_WITHIN = timedelta(days=30)


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


def doctors_of(practice: Practice) -> list[User]:
    return list(
        User.objects.filter(
            memberships__practice=practice, memberships__role="doctor", is_active=True
        ).order_by("pk")
    )


def account_needs_reconnect(account: SocialAccount, *, post: PostLink | None = None) -> None:
    practice = account.practice
    link = post.get_absolute_url() if post is not None else practice.get_absolute_url()
    notify(
        kind=Kind.NEEDS_RECONNECT,
        to=strategist_for(practice, fallback=post.author if post is not None else None),
        practice=practice,
        message="account_needs_reconnect",
        context={"account": account, "practice": practice},
        link=link,
    )


def account_expiring(account: SocialAccount) -> None:
    practice = account.practice
    assert account.token_expires_at is not None  # only expiring tokens are warned about
    notify(
        kind=Kind.NEEDS_RECONNECT,
        to=strategist_for(practice, fallback=account.connected_by),
        practice=practice,
        message="account_expiring",
        context={"account": account, "practice": practice},
        link=practice.get_absolute_url(),
    )


def authorization_expiring(consent: PatientConsent, *, strategist: User | None) -> bool:
    """Once per authorization and expiry date: the strategist renews it or plans around it.

    The e-mail names no patient: the authorization's page (signed in) does.
    """
    practice = consent.practice
    return (
        notify(
            kind=Notification.Kind.AUTHORIZATION_EXPIRING,
            to=strategist,
            practice=practice,
            message="authorization_expiring",
            context={"consent": consent, "practice": practice},
            link=reverse("consent_detail", args=[practice.slug, consent.pk]),
            key=f"authorization-expiring:{consent.pk}:{consent.expires_at:%Y%m%d}",
        )
        is not None
    )


def warn_expiring_authorizations(*, now: datetime | None = None) -> int:
    """Every few hours: authorizations in use that expire within EXPIRING_WITHIN."""
    now = now or timezone.now()
    expiring = PatientConsent.objects.filter(
        revoked_at__isnull=True, expires_at__gt=now, expires_at__lte=now + EXPIRING_WITHIN
    ).select_related("practice")
    warned = 0
    for consent in expiring:
        warned += authorization_expiring(consent, strategist=strategist_for(consent.practice))
    return warned


def signer_copy(consent: PatientConsent) -> bool:
    """The signer's own copy of what they signed (45 CFR 164.508(c)(4)), if they gave an address."""
    if not consent.signer_email:
        return False
    practice = consent.practice
    return (
        notify(
            kind=Notification.Kind.SIGNER_COPY,
            address=consent.signer_email,
            practice=practice,
            message="signer_copy",
            context=_copy_context(consent),
            key=f"signer-copy:{consent.pk}",
        )
        is not None
    )


def authorization_copy(consent: PatientConsent) -> list[str]:
    """The authorization's statements, as the signer's copy gives them (printed or e-mailed)."""
    return wording("signer_copy", _copy_context(consent)).paragraphs


def _copy_context(consent: PatientConsent) -> dict[str, Any]:
    practice = consent.practice
    contact = [way for way in (practice.street_address, practice.email, practice.phone) if way]
    return {"consent": consent, "practice": practice, "contact": contact}
