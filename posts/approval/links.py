"""The doctor's e-mailed links to a practice's approval page: made, read, revoked.

The URL carries the ApprovalLink row's id signed with the secret key, so it
cannot be forged or guessed; the row says whether it still works (see
ApprovalLink). Every refusal is the same LinkRefused: the page says only
that the link no longer works.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from core.models import User
from posts.models import ApprovalLink
from practices.models import Membership, Practice

SALT = "rounds.approval-link"


class LinkRefused(Exception):
    """Forged, expired, revoked, or not this person's: one answer for all."""


def issue_link(doctor: User, practice: Practice) -> str:
    """A new link for this doctor to this practice's approval page; its path."""
    return reverse("approval_link", args=[issue_token(doctor, practice)])


def issue_token(doctor: User, practice: Practice) -> str:
    """A new link's token: the approval page's, and the other pages a doctor reaches
    through the link (the replies to reviews waiting for them, engagement)."""
    link = ApprovalLink.objects.create(
        doctor=doctor,
        practice=practice,
        expires_at=timezone.now() + timedelta(days=settings.APPROVAL_LINK_DAYS),
    )
    return signing.dumps(link.pk, salt=SALT, compress=True)


def resolve_link(token: str, *, user: User | None = None) -> ApprovalLink:
    """The link a token names, if it still works for whoever holds it (LinkRefused if not).

    `user`: the person signed in on this browser, if any; a link is refused
    to anyone signed in as somebody else than its doctor.
    """
    try:
        pk = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise LinkRefused from None
    link = (
        ApprovalLink.objects.select_related("doctor", "practice").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    now = timezone.now()
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        raise LinkRefused
    if (
        not link.doctor.is_active
        or not Membership.objects.filter(
            user=link.doctor, practice=link.practice, role=Membership.Role.DOCTOR
        ).exists()
    ):
        raise LinkRefused
    if user is not None and user.is_authenticated and user.pk != link.doctor_id:
        raise LinkRefused
    # When it was last used, to the minute: the page's photos come through it
    # too, and need not each write the row.
    if link.last_used_at is None or now - link.last_used_at >= timedelta(minutes=1):
        ApprovalLink.objects.filter(pk=link.pk).update(last_used_at=now)
    return link


def revoke(links: QuerySet[ApprovalLink], *, because: str) -> int:
    """Revoke those of these links that still work; how many."""
    return links.filter(revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_because=because[:100]
    )


def revoke_links_of(user: User, *, because: str) -> int:
    return revoke(ApprovalLink.objects.filter(doctor=user), because=because)


def doctors_at(address: str) -> list[tuple[User, list[Practice]]]:
    """The active people with this e-mail address who are doctors somewhere, each with
    their practices (an address may belong to no one: then nobody)."""
    found = []
    for user in User.objects.filter(email__iexact=address.strip(), is_active=True).order_by("pk"):
        practices = list(
            Practice.objects.filter(
                memberships__user=user, memberships__role=Membership.Role.DOCTOR
            ).order_by("name")
        )
        if practices:
            found.append((user, practices))
    return found
