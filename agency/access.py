"""Who may see and do what: the one place every view asks.

Every view that touches a practice's data starts with a `get_*_for_user`
helper, and every list goes through a `*_visible_to` queryset, so no view
filters by practice on its own and none can forget the check.

Rules:
- an agency lead sees every practice;
- a strategist sees the practices assigned to them;
- staff see their own practice: they submit tips and see their own tips;
- doctors see their own practice: they review its posts.

Someone with no tie to the practice gets 404 (we do not even confirm that the
object exists); someone tied to it but without the needed role gets 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from agency.models import User
from posts.models import MediaAsset, Post, Publication, Tip
from practices.models import Membership, PatientConsent, Practice, SocialAccount

LEAD = "lead"
STRATEGIST = "strategist"
STAFF = Membership.Role.STAFF.value
DOCTOR = Membership.Role.DOCTOR.value
AGENCY = frozenset({LEAD, STRATEGIST})


def practice_roles(user: User) -> dict[int, str] | None:
    """The user's role per practice id; None means every practice (agency lead).

    Cached on the user object: one query per request, whatever the page asks.
    """
    if not user.is_authenticated or not user.is_active:
        return {}
    if user.is_agency_lead:
        return None
    cached = getattr(user, "_practice_roles", None)
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


def _require(user: User, practice_id: int, allowed: frozenset[str] | set[str]) -> str:
    role = role_in(user, practice_id)
    if role is None:
        raise Http404("No such page.")
    if role not in allowed:
        raise PermissionDenied("Your role at this practice does not allow this.")
    return role


def _scope(queryset: QuerySet, user: User, allowed: set[str], field: str = "practice_id"):
    roles = practice_roles(user)
    if roles is None:
        return queryset
    ids = [pid for pid, role in roles.items() if role in allowed]
    return queryset.filter(**{f"{field}__in": ids})


# -- practices ---------------------------------------------------------------


def practices_visible_to(user: User) -> QuerySet[Practice]:
    return _scope(Practice.objects.all(), user, {LEAD, STRATEGIST, STAFF, DOCTOR}, "id")


def get_practice_for_user(user: User, slug: str, *, roles=AGENCY) -> Practice:
    practice = Practice.objects.filter(slug=slug).first()
    if practice is None:
        raise Http404("No such practice.")
    _require(user, practice.pk, roles)
    return practice


# -- posts -------------------------------------------------------------------


def posts_visible_to(user: User) -> QuerySet[Post]:
    """Posts a person may open: the agency's, and doctors' for their practice."""
    return _scope(
        Post.objects.select_related("practice", "author", "tip"),
        user,
        {LEAD, STRATEGIST, DOCTOR},
    )


def get_post_for_user(user: User, pk: int, *, roles=frozenset({LEAD, STRATEGIST, DOCTOR})) -> Post:
    post = Post.objects.select_related("practice", "author").filter(pk=pk).first()
    if post is None:
        raise Http404("No such post.")
    _require(user, post.practice_id, roles)
    return post


def get_publication_for_user(user: User, pk: int, *, roles=AGENCY) -> Publication:
    """A post's publication on one account: the agency's buttons (retry, removed by hand)."""
    publication = (
        Publication.objects.select_related("post__practice", "account").filter(pk=pk).first()
    )
    if publication is None:
        raise Http404("No such publication.")
    _require(user, publication.post.practice_id, roles)
    return publication


def publications_visible_to(user: User) -> QuerySet[Publication]:
    return _scope(
        Publication.objects.select_related("post", "post__practice", "account"),
        user,
        {LEAD, STRATEGIST},
        "post__practice_id",
    )


# -- tips --------------------------------------------------------------------


def tips_visible_to(user: User) -> QuerySet[Tip]:
    """Agency people see their practices' tips; staff and doctors only their own."""
    queryset = Tip.objects.select_related("practice", "submitted_by", "consent")
    roles = practice_roles(user)
    if roles is None:
        return queryset
    agency_ids = [pid for pid, role in roles.items() if role in AGENCY]
    if agency_ids:
        return queryset.filter(practice_id__in=agency_ids)
    return queryset.filter(practice_id__in=list(roles), submitted_by=user)


EVERYONE = frozenset({LEAD, STRATEGIST, STAFF, DOCTOR})


def get_tip_for_user(user: User, pk: int, *, roles=EVERYONE) -> Tip:
    tip = Tip.objects.select_related("practice", "submitted_by", "consent").filter(pk=pk).first()
    if tip is None:
        raise Http404("No such tip.")
    role = _require(user, tip.practice_id, roles)
    if role not in AGENCY and tip.submitted_by_id != user.pk:
        raise PermissionDenied("Only the person who sent this tip and the agency can see it.")
    return tip


def get_practice_for_tip_link(token: str) -> Practice:
    """The practice whose secret tip link this is; 404 for any other (a rotated one too)."""
    practice = Practice.objects.filter(tip_link_token=token).first() if token else None
    if practice is None:
        raise Http404("No such page.")
    return practice


# -- consents ----------------------------------------------------------------


def consents_visible_to(user: User) -> QuerySet[PatientConsent]:
    return _scope(PatientConsent.objects.select_related("practice"), user, {LEAD, STRATEGIST})


def get_consent_for_user(user: User, pk: int) -> PatientConsent:
    consent = PatientConsent.objects.select_related("practice").filter(pk=pk).first()
    if consent is None:
        raise Http404("No such authorization.")
    _require(user, consent.practice_id, AGENCY)
    return consent


# -- media -------------------------------------------------------------------


def get_media_for_user(user: User, pk: int, *, roles=EVERYONE) -> MediaAsset:
    """Photos: the agency for its practices; staff for photos on their own tips;
    doctors for photos in their practice's posts (what they are asked to approve)."""
    asset = MediaAsset.objects.select_related("practice").filter(pk=pk).first()
    if asset is None:
        raise Http404("No such photo.")
    role = _require(user, asset.practice_id, roles)
    if role == STAFF and not asset.tips.filter(submitted_by=user).exists():
        raise PermissionDenied("Only the agency can see this photo.")
    if role == DOCTOR and not asset.posts.exists():
        raise PermissionDenied("Only the agency can see this photo.")
    return asset


def get_media_for_signed_link(pk: int) -> MediaAsset:
    """A photo named by a signed URL (posts.media.resolve_signed checked the signature)."""
    asset = MediaAsset.objects.filter(pk=pk).first()
    if asset is None:
        raise Http404("No such photo.")
    return asset


# -- social accounts -----------------------------------------------------------


def accounts_visible_to(user: User) -> QuerySet[SocialAccount]:
    return _scope(SocialAccount.objects.select_related("practice"), user, {LEAD, STRATEGIST})


def get_account_for_user(user: User, pk: int, *, roles=AGENCY) -> SocialAccount:
    account = SocialAccount.objects.select_related("practice").filter(pk=pk).first()
    if account is None:
        raise Http404("No such account.")
    _require(user, account.practice_id, roles)
    return account


def membership_for(user: User, practice: Practice) -> Membership:
    """The person's membership at a practice they belong to (404 otherwise)."""
    membership = Membership.objects.filter(user=user, practice=practice).first()
    if membership is None:
        raise Http404("No such page.")
    return membership


def require_agency_lead(user: User) -> None:
    if not user.is_authenticated or not user.is_agency_lead:
        raise PermissionDenied("Only the agency lead can do this.")
