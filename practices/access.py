"""Who may see and do what: the one rule every view asks, and its practice-level helpers.

Every view that touches a practice's data starts with a `get_*_for_user` or
`require_*` helper, and every list goes through a `*_visible_to` queryset, so
no view filters by practice or checks a role on its own and none can forget
the check. This module holds the rule and the helpers for the nouns of this
app (practices, patient authorizations, social accounts); `posts.access`
holds the helpers for tips, photos, posts and publications, on the same rule.
Two modules only because `practices` may not import `posts` (the apps are
layered; see pyproject.toml): `posts.access` re-exports everything here, so a
view of the posts app asks that one module.

Rules:
- an agency lead sees every practice;
- a strategist sees the practices assigned to them;
- staff see their own practice: they submit tips and see their own tips;
- doctors see their own practice: they review its posts.

Someone with no tie to the practice gets 404 (we do not even confirm that the
object exists); someone tied to it but without the needed role gets 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from core.models import Assignment, User
from practices.models import (
    ConsentQuerySet,
    Invitation,
    Membership,
    PatientConsent,
    Practice,
    SocialAccount,
)

LEAD = "lead"
STRATEGIST = "strategist"
STAFF = Membership.Role.STAFF.value
DOCTOR = Membership.Role.DOCTOR.value
AGENCY = frozenset({LEAD, STRATEGIST})
EVERYONE = frozenset({LEAD, STRATEGIST, STAFF, DOCTOR})


def practice_roles(user: User) -> dict[int, str] | None:
    """The user's role per practice id; None means every practice (agency lead).

    Cached on the user object: one query per request, whatever the page asks.
    """
    if not user.is_authenticated or not user.is_active:
        return {}
    if user.is_agency_lead:
        return None
    cached: dict[int, str] | None = getattr(user, "_practice_roles", None)
    if cached is not None:
        return cached
    if user.is_strategist:
        roles = dict.fromkeys(user.assignments.values_list("practice_id", flat=True), STRATEGIST)
    else:
        roles = dict(user.memberships.values_list("practice_id", "role"))
    user._practice_roles = roles
    return roles


def role_in(user: User, practice_id: int) -> str | None:
    roles = practice_roles(user)
    if roles is None:
        return LEAD
    return roles.get(practice_id)


def require_role(user: User, practice_id: int, allowed: frozenset[str] | set[str]) -> str:
    role = role_in(user, practice_id)
    if role is None:
        raise Http404("No such page.")
    if role not in allowed:
        raise PermissionDenied("Your role at this practice does not allow this.")
    return role


def scope[QS: QuerySet[Any]](
    queryset: QS, user: User, allowed: set[str], field: str = "practice_id"
) -> QS:
    roles = practice_roles(user)
    if roles is None:
        return queryset
    ids = [pid for pid, role in roles.items() if role in allowed]
    return queryset.filter(**{f"{field}__in": ids})


# -- practices ---------------------------------------------------------------


def practices_visible_to(user: User) -> QuerySet[Practice]:
    return scope(Practice.objects.all(), user, {LEAD, STRATEGIST, STAFF, DOCTOR}, "id")


def get_practice_for_user(
    user: User, slug: str, *, roles: frozenset[str] | set[str] = AGENCY
) -> Practice:
    practice = Practice.objects.filter(slug=slug).first()
    if practice is None:
        raise Http404("No such practice.")
    require_role(user, practice.pk, roles)
    return practice


def get_practice_for_tip_link(token: str) -> Practice:
    """The practice whose secret tip link this is; 404 for any other (a rotated one too)."""
    practice = Practice.objects.filter(tip_link_token=token).first() if token else None
    if practice is None:
        raise Http404("No such page.")
    return practice


def get_practice_for_calendar_link(token: str) -> Practice:
    """The practice whose secret calendar address this is; 404 for any other."""
    practice = Practice.objects.filter(calendar_token=token).first() if token else None
    if practice is None:
        raise Http404("No such calendar.")
    return practice


# -- patient authorizations ----------------------------------------------------


def consents_visible_to(user: User) -> ConsentQuerySet:
    return scope(PatientConsent.objects.select_related("practice"), user, {LEAD, STRATEGIST})


def get_consent_for_user(user: User, pk: int) -> PatientConsent:
    consent = PatientConsent.objects.select_related("practice").filter(pk=pk).first()
    if consent is None:
        raise Http404("No such authorization.")
    require_role(user, consent.practice_id, AGENCY)
    return consent


def get_practice_consent_for_user(user: User, slug: str, pk: int) -> PatientConsent:
    """An authorization at its address under its own practice (404 under any other)."""
    consent = get_consent_for_user(user, pk)
    if consent.practice.slug != slug:
        raise Http404("No such authorization.")
    return consent


# -- social accounts -----------------------------------------------------------


def accounts_visible_to(user: User) -> QuerySet[SocialAccount]:
    return scope(SocialAccount.objects.select_related("practice"), user, {LEAD, STRATEGIST})


def get_account_for_user(
    user: User, pk: int, *, roles: frozenset[str] | set[str] = AGENCY
) -> SocialAccount:
    account = SocialAccount.objects.select_related("practice").filter(pk=pk).first()
    if account is None:
        raise Http404("No such account.")
    require_role(user, account.practice_id, roles)
    return account


# -- a practice's people ----------------------------------------------------------


def get_invitation_for_user(user: User, slug: str, pk: int) -> Invitation:
    """An invitation under its own practice, for the agency people who run it."""
    invitation = Invitation.objects.select_related("practice").filter(pk=pk).first()
    if invitation is None or invitation.practice.slug != slug:
        raise Http404("No such invitation.")
    # A strategist's invitation is the lead's to withdraw or send again.
    lead_only = invitation.role == Invitation.Role.STRATEGIST
    require_role(user, invitation.practice_id, {LEAD} if lead_only else AGENCY)
    return invitation


def get_member_for_user(user: User, slug: str, pk: int) -> Membership:
    """A doctor's or staff member's membership under its own practice, for the agency."""
    membership = Membership.objects.select_related("practice", "user").filter(pk=pk).first()
    if membership is None or membership.practice.slug != slug:
        raise Http404("No such person.")
    require_role(user, membership.practice_id, AGENCY)
    return membership


def get_assignment_for_user(user: User, slug: str, pk: int) -> Assignment:
    """A strategist's assignment under its own practice: the lead's to change."""
    assignment = Assignment.objects.select_related("practice", "strategist").filter(pk=pk).first()
    if assignment is None or assignment.practice.slug != slug:
        raise Http404("No such strategist.")
    require_role(user, assignment.practice_id, {LEAD})
    return assignment


def membership_for(user: User, practice: Practice) -> Membership:
    """The person's membership at a practice they belong to (404 otherwise)."""
    membership = Membership.objects.filter(user=user, practice=practice).first()
    if membership is None:
        raise Http404("No such page.")
    return membership


def require_agency_lead(user: User) -> None:
    if not user.is_authenticated or not user.is_agency_lead:
        raise PermissionDenied("Only the agency lead can do this.")


def require_agency(user: User) -> None:
    """Pages for the agency team (lead and strategists), across their practices."""
    if not user.is_authenticated or not user.is_agency:
        raise PermissionDenied("This page is for the agency team.")


def staff_practices(user: User) -> list[Practice]:
    """The practices where this person is staff (403 if none): where their tips go."""
    roles = practice_roles(user) or {}
    ids = [pid for pid, role in roles.items() if role == STAFF]
    practices = list(Practice.objects.filter(id__in=ids).order_by("name")) if ids else []
    if not practices:
        raise PermissionDenied("This page is for practice staff.")
    return practices


def doctor_practices(user: User) -> QuerySet[Practice]:
    """The practices where this person is a doctor: whose posts they approve."""
    roles = practice_roles(user) or {}
    return Practice.objects.filter(id__in=[pid for pid, role in roles.items() if role == DOCTOR])


def require_reviewer(user: User) -> None:
    """The approvals list: a practice's doctors, and the agency team."""
    roles = practice_roles(user)
    if roles is not None and DOCTOR not in roles.values() and not user.is_agency:
        raise PermissionDenied("Approvals are for the practice's doctors.")


# -- signing in ------------------------------------------------------------------


def requires_two_factor(user: User) -> bool:
    """Two factors at sign-in (164.312(d)) for everyone who can open patient
    authorizations: the agency team (lead and strategists) and anyone who can
    reach the Django admin. Staff and doctors sign in with a password (for now).

    Enforced for every page by agency.middleware.TwoFactorMiddleware; the
    demo accounts' exemption is core.two_factor.is_exempt.
    """
    return bool(user.is_authenticated and user.is_active and (user.is_agency or user.is_staff))


def is_staff_only(user: User) -> bool:
    """Practice staff and nothing else: no agency role, no admin, no doctor anywhere.

    They get the longer idle timeout (agency.middleware); anyone who can see
    more than their own tips keeps the short one.
    """
    if user.is_agency or user.is_staff:
        return False
    roles = set((practice_roles(user) or {}).values())
    return roles == {STAFF}


def home_role(user: User) -> str | None:
    """Which home page fits this person: "agency", a practice role, or None."""
    if user.is_agency:
        return "agency"
    roles = set((practice_roles(user) or {}).values())
    for role in (DOCTOR, STAFF):
        if role in roles:
            return role
    return None
