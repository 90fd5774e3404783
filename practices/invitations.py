"""Inviting people to a practice by e-mail, and taking them off it again.

The lead or one of the practice's strategists invites its doctors and staff;
the lead also invites agency strategists, who are assigned to the practice
when they accept. The link carries the Invitation row's id signed with the
secret key, so it cannot be forged or guessed; the row says whether it still
works: once, before it expires, unless it was revoked or sent again (which
replaces it). The person sets a password, or signs in if their address
already has an account. Agency people then enrol two factors before any page
opens (agency.middleware.TwoFactorMiddleware). Every step is audited, with
ids and roles only.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.models import Assignment, AuditEvent, Notification, User
from core.notifications import notify
from practices.models import Invitation, Membership, Practice

SALT = "rounds.invitation"
Role = Invitation.Role


class InvitationProblem(Exception):
    """Why an invitation cannot be sent, or accepted, in a sentence for the person."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# What each state of a link that no longer works tells whoever opens it.
REFUSALS = {
    "unknown": "This invitation link is not one of ours: check that the whole address was copied.",
    "accepted": "This invitation was used already: sign in with the account it made.",
    "revoked": "This invitation was withdrawn, or replaced by a newer one: use the link in the"
    " latest e-mail, or ask the agency to invite you again.",
    "expired": "This invitation has expired: ask the agency to send it again.",
}


def roles_for(user: User) -> list[tuple[str, str]]:
    """Whom this person may invite: the lead anyone, a strategist the practice's people."""
    if user.is_agency_lead:
        return list(Role.choices)
    return [(Role.DOCTOR.value, Role.DOCTOR.label), (Role.STAFF.value, Role.STAFF.label)]


def link_for(invitation: Invitation) -> str:
    """The invitation's path (its id, signed)."""
    return reverse("invitation", args=[signing.dumps(invitation.pk, salt=SALT, compress=True)])


def _why_not(practice: Practice, email: str, role: str) -> str | None:
    """Why this address cannot be invited to this practice in this role, if it cannot."""
    person = User.objects.filter(email__iexact=email).first()
    if person is None:
        return None
    if not person.is_active:
        return f"The account of {email} is closed: the lead can open it again in the admin."
    if role == Role.STRATEGIST:
        if person.agency_role == User.AgencyRole.LEAD:
            return f"{email} is the agency's lead, who sees every practice already."
        if not person.is_strategist:
            return (
                f"{email} has an account as a practice's doctor or staff; an agency "
                "strategist needs an address of their own."
            )
        if Assignment.objects.filter(strategist=person, practice=practice).exists():
            return f"{email} is one of {practice}'s strategists already."
        return None
    if person.is_agency:
        return f"{email} is on the agency's team: they see the practice as its strategist."
    if Membership.objects.filter(user=person, practice=practice).exists():
        return f"{email} is at {practice} already."
    return None


def invite(
    *,
    practice: Practice,
    email: str,
    role: str,
    by: User,
    first_name: str = "",
    last_name: str = "",
    title: str = "",
    ip_address: str | None = None,
    resent: bool = False,
) -> Invitation:
    """Invite a person and e-mail them the link; an earlier pending invitation of the same
    address to the practice is replaced. InvitationProblem if they cannot be invited."""
    email = email.strip().lower()
    if role not in dict(roles_for(by)):
        raise InvitationProblem("Only the agency's lead invites strategists.", code="role")
    problem = _why_not(practice, email, role)
    if problem:
        raise InvitationProblem(problem, code="taken")
    with transaction.atomic():
        Invitation.objects.filter(
            practice=practice,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            practice=practice,
            email=email,
            role=role,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            title=title.strip(),
            invited_by=by,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
        )
        notify(
            kind=Notification.Kind.INVITATION,
            to=User.objects.filter(email__iexact=email, is_active=True).first(),
            address=email,
            practice=practice,
            message="invitation",
            context={
                "invitation": invitation,
                "practice": practice,
                "by": by,
                "agency": settings.AGENCY_NAME,
                "days": settings.INVITATION_DAYS,
            },
            link=link_for(invitation),
        )
        AuditEvent.record(
            "invitation_resent" if resent else "invitation_sent",
            actor=by,
            practice=practice,
            obj=invitation,
            detail={"role": role},
            ip_address=ip_address,
        )
    return invitation


def send_again(invitation: Invitation, *, by: User, ip_address: str | None = None) -> Invitation:
    """A new invitation in place of this one (lost, expired or withdrawn): a new link,
    a new expiry; the old link stops working."""
    if invitation.accepted_at is not None:
        raise InvitationProblem("This invitation was accepted already.", code="accepted")
    return invite(
        practice=invitation.practice,
        email=invitation.email,
        role=invitation.role,
        by=by,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
        title=invitation.title,
        ip_address=ip_address,
        resent=True,
    )


def revoke(invitation: Invitation, *, by: User, ip_address: str | None = None) -> bool:
    """Withdraw a pending invitation: its link stops working. False if it was not pending."""
    changed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if changed:
        AuditEvent.record(
            "invitation_revoked",
            actor=by,
            practice=invitation.practice,
            obj=invitation,
            detail={"role": invitation.role},
            ip_address=ip_address,
        )
    return bool(changed)


def resolve(token: str) -> Invitation:
    """The pending invitation a link names; InvitationProblem (with its state as the
    code) if the link is forged, used, withdrawn or expired."""
    try:
        pk = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        pk = None
    invitation = (
        Invitation.objects.select_related("practice", "invited_by").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    state = invitation.state() if invitation is not None else "unknown"
    if invitation is None or state != "pending":
        raise InvitationProblem(REFUSALS[state], code=state)
    return invitation


def _locked(token: str) -> Invitation:
    """The pending invitation a link names, its row locked and read again (inside a
    transaction): two tabs accepting at once make one member, one account."""
    found = resolve(token)
    invitation = Invitation.objects.select_for_update().select_related("practice").get(pk=found.pk)
    state = invitation.state()
    if state != "pending":
        raise InvitationProblem(REFUSALS[state], code=state)
    return invitation


def account_for(invitation: Invitation) -> User | None:
    """The account that already holds the invitation's address, if one does."""
    return User.objects.filter(email__iexact=invitation.email).first()


def accept(token: str, *, user: User, ip_address: str | None = None) -> Invitation:
    """The person signed in as `user` takes up the invitation: once, whoever races."""
    with transaction.atomic():
        invitation = _locked(token)
        if user.email.lower() != invitation.email.lower():
            raise InvitationProblem(
                f"This invitation is for {invitation.email}; you are signed in as "
                f"{user.email}. Sign out, then open the link again.",
                code="someone_else",
            )
        problem = _why_not(invitation.practice, invitation.email, invitation.role)
        if problem:
            raise InvitationProblem(problem, code="taken")
        _join(invitation, user)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        if invitation.role == Role.DOCTOR:
            _tell_the_leads(invitation, user)
        AuditEvent.record(
            "invitation_accepted",
            actor=user,
            practice=invitation.practice,
            obj=invitation,
            detail={"role": invitation.role},
            ip_address=ip_address,
        )
    return invitation


def accept_as_new(
    token: str,
    *,
    first_name: str,
    last_name: str,
    password: str,
    ip_address: str | None = None,
) -> User:
    """Make the invited person's account with the password they chose, and accept."""
    with transaction.atomic():
        # Locked before the account is made: the same form sent twice makes one.
        invitation = _locked(token)
        if account_for(invitation) is not None:
            raise InvitationProblem(
                f"{invitation.email} has an account already: sign in to accept.", code="account"
            )
        user = User(
            username=_free_username(invitation.email),
            email=invitation.email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            agency_role=User.AgencyRole.STRATEGIST if invitation.role == Role.STRATEGIST else "",
        )
        user.set_password(password)
        user.save()
        AuditEvent.record(
            "account_created",
            actor=user,
            practice=invitation.practice,
            obj=user,
            detail={"invitation": invitation.pk},
            ip_address=ip_address,
        )
        accept(token, user=user, ip_address=ip_address)
    return user


def _tell_the_leads(invitation: Invitation, doctor: User) -> None:
    """A doctor's approval is what lets a post go out: the agency's leads hear of every
    new one (but the lead who invited them), so that a doctor nobody knows is noticed."""
    leads = User.objects.filter(agency_role=User.AgencyRole.LEAD, is_active=True)
    if invitation.invited_by_id is not None:
        leads = leads.exclude(pk=invitation.invited_by_id)
    for lead in leads.order_by("pk"):
        notify(
            kind=Notification.Kind.DOCTOR_JOINED,
            to=lead,
            practice=invitation.practice,
            message="doctor_joined",
            context={
                "doctor": doctor,
                "email": invitation.email,
                "practice": invitation.practice,
                "by": invitation.invited_by,
            },
            link=reverse("practice_people", args=[invitation.practice.slug]),
        )


def _free_username(email: str) -> str:
    base = email[:140]
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _join(invitation: Invitation, user: User) -> None:
    practice = invitation.practice
    if invitation.role == Role.STRATEGIST:
        Assignment.objects.create(
            strategist=user,
            practice=practice,
            # The practice's first strategist receives its alerts.
            is_primary=not Assignment.objects.filter(practice=practice, is_primary=True).exists(),
        )
    else:
        Membership.objects.create(
            user=user, practice=practice, role=invitation.role, title=invitation.title
        )


# -- taking people off a practice ----------------------------------------------------


def remove_member(membership: Membership, *, by: User, ip_address: str | None = None) -> None:
    """Take a doctor or staff member off the practice. Their e-mailed approval links stop
    working with it (posts.approval.links checks the membership); their account and
    what they wrote stay."""
    with transaction.atomic():
        AuditEvent.record(
            "member_removed",
            actor=by,
            practice=membership.practice,
            obj=membership.user,
            detail={"role": membership.role},
            ip_address=ip_address,
        )
        membership.delete()
