"""The project's own pages: where each person lands, the agency's dashboard, a practice's
overview (they bring the apps together). The health check is agency/health.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import mailbox
from core.http import AuthenticatedHttpRequest
from posts import access, slots
from posts.models import Post, Publication, Tip
from practices import connect, list_rows, tokens
from practices.models import Platform, SocialAccount
from practices.slot_views import SlotForm


@require_GET
@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send each person to where their work is."""
    role = access.home_role(request.user)
    if role == "agency":
        return redirect("dashboard")
    if role == access.DOCTOR:
        return redirect("approvals")
    if role == access.STAFF:
        return redirect("staff_home")
    return render(request, "agency/no_practice.html", status=403)


def _count_per_practice(queryset: QuerySet[Tip] | QuerySet[Post]) -> Coalesce:
    """A per-practice count as a subquery: several counts in one query, no join fan-out."""
    counts = (
        queryset.filter(practice=OuterRef("pk"))
        .order_by()
        .values("practice")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts), 0)


# How far ahead the dashboard warns of what will lapse.
EXPIRING_WITHIN = timedelta(days=30)


@require_GET
@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The strategist's day: what needs them, what waits, what goes out next.

    Across the practices they may see, or one (?practice=<slug>).
    """
    access.require_agency(request.user)
    now = timezone.now()
    chosen = None
    practices = access.practices_visible_to(request.user)
    posts = access.posts_visible_to(request.user)
    publications = access.publications_visible_to(request.user)
    accounts = access.accounts_visible_to(request.user)
    consents = access.consents_visible_to(request.user)
    slug = request.GET.get("practice", "")
    if slug:
        chosen = access.get_practice_for_user(request.user, slug)
        practices = practices.filter(pk=chosen.pk)
        posts = posts.filter(practice=chosen)
        publications = publications.filter(post__practice=chosen)
        accounts = accounts.filter(practice=chosen)
        consents = consents.filter(practice=chosen)
    week = Q(scheduled_at__gte=now, scheduled_at__lt=now + timedelta(days=7))
    practice_rows = list(
        practices.annotate(
            new_tips=_count_per_practice(Tip.objects.filter(status=Tip.Status.NEW)),
            in_review=_count_per_practice(Post.objects.filter(status=Post.Status.IN_REVIEW)),
            scheduled=_count_per_practice(Post.objects.filter(status=Post.Status.SCHEDULED)),
            # Progress against the weekly goal: posts planned for the coming seven days.
            next_week=_count_per_practice(
                Post.objects.filter(week, status__in=[Post.Status.APPROVED, Post.Status.SCHEDULED])
            ),
        )
    )
    # Any failed publication needs a person, also while the post's other
    # publications are still going out (or held for a reconnect); a cancelled
    # post's failures, or month-old ones, no longer do. Grouped by post: one
    # post failing on two platforms is one thing to fix.
    failures = list(
        publications.filter(
            status=Publication.Status.FAILED,
            updated_at__gte=now - timedelta(days=30),
        )
        .exclude(post__status=Post.Status.CANCELLED)
        .order_by("-updated_at")[:40]
    )
    failed_posts: dict[int, dict[str, Any]] = {}
    for publication in failures:
        entry = failed_posts.setdefault(
            publication.post_id, {"post": publication.post, "publications": []}
        )
        entry["publications"].append(publication)
    for entry in failed_posts.values():
        entry["publications"].sort(key=lambda publication: publication.account.platform)
    # Posts whose patient authorization was revoked, not yet taken down: the
    # live ones, and those that may be live (a request may have gone through
    # and no read-back has settled it: unknown, or failed while unsure).
    takedowns = (
        publications.filter(takedown_requested_at__isnull=False, takedown_done_at__isnull=True)
        .filter(Q(status=Publication.Status.PUBLISHED) | Q(read_back_first=True))
        .order_by("takedown_requested_at")[:20]
    )
    # A disconnected account still holding publications strands them too;
    # a token that ends within the month and that we cannot renew ourselves
    # will (practices.tokens renews the others).
    waiting = Publication.objects.filter(
        account=OuterRef("pk"),
        status__in=[Publication.Status.PENDING, Publication.Status.UNKNOWN],
    )
    accounts_needing_reconnect = accounts.filter(
        Q(status=SocialAccount.Status.NEEDS_RECONNECT)
        | Q(status=SocialAccount.Status.DISCONNECTED) & Exists(waiting)
    ).order_by("practice__name", "platform")
    expiring_accounts = [
        account
        for account in accounts.filter(
            status=SocialAccount.Status.CONNECTED,
            token_expires_at__isnull=False,
            token_expires_at__lte=now + EXPIRING_WITHIN,
        ).order_by("token_expires_at")[:20]
        if not tokens.refreshable(account)
    ]
    expiring_consents = consents.filter(
        revoked_at__isnull=True, expires_at__gt=now, expires_at__lte=now + EXPIRING_WITHIN
    ).order_by("expires_at")[:20]
    # Due within a day and not yet approved: it will not go out on time.
    due_unapproved = posts.filter(
        status__in=[
            Post.Status.DRAFT,
            Post.Status.AGENCY_REVIEW,
            Post.Status.IN_REVIEW,
            Post.Status.CHANGES_REQUESTED,
        ],
        scheduled_at__gte=now,
        scheduled_at__lt=now + timedelta(days=1),
    ).order_by("scheduled_at")[:20]
    # Drafts, posts waiting for a review, posts sent back and posts whose
    # approval expired: the 15 latest of each, in one query.
    latest = Window(RowNumber(), partition_by=F("status"), order_by=F("updated_at").desc())
    open_posts = list(
        posts.filter(
            status__in=[
                Post.Status.DRAFT,
                Post.Status.AGENCY_REVIEW,
                Post.Status.IN_REVIEW,
                Post.Status.CHANGES_REQUESTED,
                Post.Status.APPROVAL_EXPIRED,
            ]
        )
        .annotate(rank=latest)
        .filter(rank__lte=15)
    )
    by_status: dict[str, list[Post]] = {}
    for post in open_posts:
        by_status.setdefault(post.status, []).append(post)
    far = now + timedelta(days=3650)
    return render(
        request,
        "agency/dashboard.html",
        {
            "chosen": chosen,
            # `make run` keeps e-mail in the demo mailbox: the lead reads it there.
            "demo_mailbox": request.user.is_agency_lead
            and settings.MAILERS["default"]["BACKEND"] == mailbox.BACKEND,
            # The filter lists every practice, also while one is shown.
            "all_practices": (
                sorted(practice_rows, key=lambda p: p.name)
                if chosen is None
                else access.practices_visible_to(request.user).order_by("name")
            ),
            "practices": practice_rows,
            "failed_posts": list(failed_posts.values()),
            "takedowns": takedowns,
            "accounts_needing_reconnect": accounts_needing_reconnect,
            "expiring_accounts": expiring_accounts,
            "expiring_consents": expiring_consents,
            "due_unapproved": due_unapproved,
            "drafts": by_status.get(Post.Status.DRAFT, []),
            "waiting_for_doctor": sorted(
                by_status.get(Post.Status.IN_REVIEW, []),
                key=lambda post: (post.scheduled_at or far, post.updated_at),
            ),
            "upcoming": posts.filter(week, status=Post.Status.SCHEDULED).order_by("scheduled_at")[
                :30
            ],
            "changes_requested": by_status.get(Post.Status.CHANGES_REQUESTED, []),
            "agency_review": by_status.get(Post.Status.AGENCY_REVIEW, []),
            "approval_expired": by_status.get(Post.Status.APPROVAL_EXPIRED, []),
            # Work to do: slots of the coming week that no post holds yet.
            "empty_slots": slots.empty_in_week(practice_rows)[:30],
        },
    )


@require_GET
@login_required
def practice_detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """A practice's overview: its latest posts and its platform accounts."""
    practice = access.get_practice_for_user(request.user, slug)
    posts = (
        access.posts_visible_to(request.user)
        .filter(practice=practice)
        .annotate(target_count=Count("targets"))
        .order_by("-updated_at")[:50]
    )
    return render(
        request,
        "practices/practice_detail.html",
        {
            "practice": practice,
            "posts": posts,
            "accounts": list_rows.account_rows(
                connect.account_list_values(access.accounts_visible_to(request.user)).filter(
                    practice=practice
                ),
            ),
            "platforms": Platform.choices,
            "can_connect": request.user.is_agency_lead,
            "approval_link_days": settings.APPROVAL_LINK_DAYS,
            "statuses": Post.Status,
            "slots": practice.slots.all(),
            "slot_form": SlotForm(),
            "calendar_url": settings.SITE_URL.rstrip("/")
            + reverse("calendar_feed", args=[practice.calendar_token]),
        },
    )
