"""Who may see tips, photos, posts and publications: the helpers every posts view asks.

The rule (roles per practice, 404 for outsiders and 403 for a member without
the role) and the helpers for practices, authorizations and accounts live in
`practices.access`; they are re-exported here, so that a view of this app
asks this one module for everything.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from core.models import User
from posts.approval import links as approval_links
from posts.media import photos as media
from posts.models import ApprovalLink, MediaAsset, Post, Publication, Tip
from practices.access import (
    AGENCY,
    DOCTOR,
    EVERYONE,
    LEAD,
    STAFF,
    STRATEGIST,
    accounts_visible_to,
    consents_visible_to,
    doctor_practices,
    get_account_for_user,
    get_consent_for_user,
    get_practice_consent_for_user,
    get_practice_for_calendar_link,
    get_practice_for_tip_link,
    get_practice_for_user,
    home_role,
    membership_for,
    practice_roles,
    practices_visible_to,
    require_agency,
    require_agency_lead,
    require_reviewer,
    require_role,
    role_in,
    scope,
    staff_practices,
)
from practices.models import Practice

__all__ = [
    "AGENCY",
    "DOCTOR",
    "EVERYONE",
    "LEAD",
    "STAFF",
    "STRATEGIST",
    "accounts_visible_to",
    "consents_visible_to",
    "doctor_practices",
    "get_account_for_user",
    "get_approval_link",
    "get_consent_for_user",
    "get_media_for_approval_link",
    "get_media_for_signed_link",
    "get_media_for_user",
    "get_post_for_user",
    "get_practice_consent_for_user",
    "get_practice_for_approvals",
    "get_practice_for_calendar_link",
    "get_practice_for_tip_link",
    "get_practice_for_user",
    "get_publication_for_user",
    "get_tip_for_user",
    "home_role",
    "membership_for",
    "posts_visible_to",
    "practice_roles",
    "practices_visible_to",
    "publications_visible_to",
    "require_agency",
    "require_agency_lead",
    "require_reviewer",
    "role_in",
    "staff_practices",
    "tips_visible_to",
]


# -- posts -------------------------------------------------------------------


def posts_visible_to(user: User) -> QuerySet[Post]:
    """Posts a person may open: the agency's, and, for a practice's doctors, its
    posts once sent to them (Post.SHOWN_TO_DOCTORS: never a draft)."""
    queryset = Post.objects.select_related("practice", "author", "tip")
    roles = practice_roles(user)
    if roles is None:
        return queryset
    agency_ids = [pid for pid, role in roles.items() if role in AGENCY]
    doctor_ids = [pid for pid, role in roles.items() if role == DOCTOR]
    return queryset.filter(
        Q(practice_id__in=agency_ids) | (Q(practice_id__in=doctor_ids) & Post.shown_to_doctors())
    )


def get_post_for_user(
    user: User, pk: int, *, roles: frozenset[str] | set[str] = frozenset({LEAD, STRATEGIST, DOCTOR})
) -> Post:
    """A post; for a doctor only once sent to them, as posts_visible_to lists it.

    A draft answers a doctor 404 like a post that does not exist: until the
    agency sends it, it does not exist for them (nor does its content).
    """
    post = Post.objects.select_related("practice", "author").filter(pk=pk).first()
    if post is None:
        raise Http404("No such post.")
    role = require_role(user, post.practice_id, roles)
    if role == DOCTOR and not post.is_shown_to_doctors():
        raise Http404("No such post.")
    return post


def get_publication_for_user(
    user: User, pk: int, *, roles: frozenset[str] | set[str] = AGENCY
) -> Publication:
    """A post's publication on one account: the agency's buttons (retry, removed by hand)."""
    publication = (
        Publication.objects.select_related("post__practice", "account").filter(pk=pk).first()
    )
    if publication is None:
        raise Http404("No such publication.")
    require_role(user, publication.post.practice_id, roles)
    return publication


def publications_visible_to(user: User) -> QuerySet[Publication]:
    return scope(
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


def get_tip_for_user(user: User, pk: int, *, roles: frozenset[str] | set[str] = EVERYONE) -> Tip:
    tip = Tip.objects.select_related("practice", "submitted_by", "consent").filter(pk=pk).first()
    if tip is None:
        raise Http404("No such tip.")
    role = require_role(user, tip.practice_id, roles)
    if role not in AGENCY and tip.submitted_by_id != user.pk:
        raise PermissionDenied("Only the person who sent this tip and the agency can see it.")
    return tip


# -- media -------------------------------------------------------------------


def get_media_for_user(
    user: User, pk: int, *, roles: frozenset[str] | set[str] = EVERYONE
) -> MediaAsset:
    """Photos: the agency for its practices; staff for photos on their own tips;
    doctors for photos in the posts they see (what they are asked to approve,
    by the rule of posts_visible_to: not a draft's)."""
    asset = MediaAsset.objects.select_related("practice").filter(pk=pk).first()
    if asset is None:
        raise Http404("No such photo.")
    role = require_role(user, asset.practice_id, roles)
    if role == STAFF and not asset.tips.filter(submitted_by=user).exists():
        raise PermissionDenied("Only the agency can see this photo.")
    if role == DOCTOR and not asset.posts.filter(Post.shown_to_doctors()).exists():
        raise PermissionDenied("Only the agency can see this photo.")
    return asset


def get_media_for_signed_link(pk: int) -> MediaAsset:
    """A photo named by a signed URL (posts.media.photos.resolve_signed checked the signature),
    while a post still needs it public: MediaLinkWithdrawn once none does (its
    posts cancelled, or their patient authorization revoked or expired)."""
    asset = MediaAsset.objects.filter(pk=pk).first()
    if asset is None:
        raise Http404("No such photo.")
    if not media.needed_publicly(asset):
        raise media.MediaLinkWithdrawn
    return asset


# -- the doctor's approval page --------------------------------------------------


def get_practice_for_approvals(user: User, slug: str) -> Practice:
    """The approval page of a practice, for its doctors."""
    return get_practice_for_user(user, slug, roles={DOCTOR})


def get_approval_link(token: str, user: User | AnonymousUser) -> ApprovalLink:
    """An e-mailed link that still works for this browser (approval_links.LinkRefused if not)."""
    return approval_links.resolve_link(token, user=user if isinstance(user, User) else None)


def get_media_for_approval_link(link: ApprovalLink, pk: int) -> MediaAsset:
    """A photo of a post the link's practice's doctors see (what they are asked to approve)."""
    asset = MediaAsset.objects.filter(pk=pk, practice_id=link.practice_id).first()
    if asset is None or not asset.posts.filter(Post.shown_to_doctors()).exists():
        raise Http404("No such photo.")
    return asset
