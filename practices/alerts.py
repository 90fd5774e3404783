"""Alerts for failures that need a person: once per failure, never per retry.

Who gets them: the practice's primary assigned strategist, else the post's
author. The e-mail names the practice, the platform and what to do, with a
link; never a caption or anything about a patient. They go through
core.notifications: written with the failure, sent by a worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from django.urls import reverse
from django.utils import timezone

from core.models import Assignment, Notification, User
from core.notifications import notify
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
        subject=f"Reconnect {account.get_platform_display()} for {practice}",
        paragraphs=[
            f"{account} for {practice} needs reconnecting: {account.status_detail}",
            "Its posts wait until someone with access to the account connects it again; "
            "they go out as soon as it is.",
        ],
        link=link,
        link_label="Open and reconnect",
    )


def account_expiring(account: SocialAccount) -> None:
    practice = account.practice
    assert account.token_expires_at is not None  # only expiring tokens are warned about
    when = practice.local(account.token_expires_at)
    notify(
        kind=Kind.NEEDS_RECONNECT,
        to=strategist_for(practice, fallback=account.connected_by),
        practice=practice,
        subject=f"{account.get_platform_display()} for {practice} must be reconnected soon",
        paragraphs=[
            f"The connection to {account} for {practice} expires on {when:%A %-d %B %Y}. "
            f"{account.get_platform_display()} does not let us renew it, so someone with "
            "access to the account must connect it again before then, or its posts will "
            "wait."
        ],
        link=practice.get_absolute_url(),
        link_label="Open the practice",
    )


def authorization_expiring(consent: PatientConsent, *, strategist: User | None) -> bool:
    """Once per authorization and expiry date: the strategist renews it or plans around it.

    The e-mail names no patient: the authorization's page (signed in) does.
    """
    practice = consent.practice
    when = practice.local(consent.expires_at)
    return (
        notify(
            kind=Notification.Kind.AUTHORIZATION_EXPIRING,
            to=strategist,
            practice=practice,
            subject=f"A patient authorization for {practice} expires on {when:%-d %B %Y}",
            paragraphs=[
                f"Authorization #{consent.pk} for {practice} expires on {when:%A %-d %B %Y}. "
                "Posts that rely on it cannot be published after that: ask the patient to "
                "renew it, or plan those posts before then."
            ],
            link=reverse("consent_detail", args=[practice.slug, consent.pk]),
            link_label="Open the authorization",
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
            subject=f"Your copy of the authorization you signed for {practice}",
            paragraphs=authorization_copy(consent),
            key=f"signer-copy:{consent.pk}",
        )
        is not None
    )


def authorization_copy(consent: PatientConsent) -> list[str]:
    """The authorization's statements, as the signer's copy gives them."""
    practice = consent.practice
    return [
        f"On {practice.local(consent.signed_at):%-d %B %Y}, {consent.signer_name} authorized "
        f"{practice} to use {consent.use_labels or 'nothing'} of {consent.patient_label} on "
        f"{consent.platform_labels or 'no platform'}, until "
        f"{practice.local(consent.expires_at):%-d %B %Y}.",
        "Right to revoke. You may revoke this authorization at any time by telling "
        f"{practice} in writing{_contact(practice)}. A revocation takes effect when the "
        "practice receives it; it does not undo what was already published in reliance on "
        "it, but the practice will stop further use and remove posts where it can.",
        f"Treatment does not depend on signing. {practice} will not condition your "
        "treatment, payment, enrollment in a health plan or eligibility for benefits on "
        "whether you sign.",
        "Redisclosure. Once published on social media, the information can be seen, copied "
        "and shared by anyone; it may be redisclosed by others and is then no longer "
        "protected by the federal privacy rules (HIPAA).",
    ]


def _contact(practice: Practice) -> str:
    ways = [way for way in (practice.street_address, practice.email, practice.phone) if way]
    return f" ({', '.join(ways)})" if ways else ""
