"""The project's own pages: where each person lands, the agency's dashboard, a practice's
overview (they bring the apps together), and the health check."""

from __future__ import annotations

from datetime import timedelta

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.http import AuthenticatedHttpRequest
from posts import access, slots
from posts.models import Post, Publication, Tip
from practices import connect
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


@require_GET
@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The strategist's day: what failed, what waits for them, what goes out next."""
    access.require_agency(request.user)
    practices = access.practices_visible_to(request.user).annotate(
        new_tips=_count_per_practice(Tip.objects.filter(status=Tip.Status.NEW)),
        in_review=_count_per_practice(Post.objects.filter(status=Post.Status.IN_REVIEW)),
        scheduled=_count_per_practice(Post.objects.filter(status=Post.Status.SCHEDULED)),
    )
    # Any failed publication needs a person, also while the post's other
    # publications are still going out (or held for a reconnect); a cancelled
    # post's failures, or month-old ones, no longer do.
    failures = (
        access.publications_visible_to(request.user)
        .filter(
            status=Publication.Status.FAILED,
            updated_at__gte=timezone.now() - timedelta(days=30),
        )
        .exclude(post__status=Post.Status.CANCELLED)
        .order_by("-updated_at")[:20]
    )
    # Posts whose patient authorization was revoked, not yet taken down: the
    # live ones, and those that may be live (a request may have gone through
    # and no read-back has settled it: unknown, or failed while unsure).
    takedowns = (
        access.publications_visible_to(request.user)
        .filter(takedown_requested_at__isnull=False, takedown_done_at__isnull=True)
        .filter(Q(status=Publication.Status.PUBLISHED) | Q(read_back_first=True))
        .order_by("takedown_requested_at")[:20]
    )
    # A disconnected account still holding publications strands them too.
    waiting = Publication.objects.filter(
        account=OuterRef("pk"),
        status__in=[Publication.Status.PENDING, Publication.Status.UNKNOWN],
    )
    accounts_needing_reconnect = (
        access.accounts_visible_to(request.user)
        .filter(
            Q(status=SocialAccount.Status.NEEDS_RECONNECT)
            | Q(status=SocialAccount.Status.DISCONNECTED) & Exists(waiting)
        )
        .order_by("practice__name", "platform")
    )
    upcoming = (
        access.posts_visible_to(request.user)
        .filter(status=Post.Status.SCHEDULED)
        .order_by("scheduled_at")[:15]
    )
    changes_requested = access.posts_visible_to(request.user).filter(
        status=Post.Status.CHANGES_REQUESTED
    )[:15]
    return render(
        request,
        "agency/dashboard.html",
        {
            "practices": practices,
            "failures": failures,
            "takedowns": takedowns,
            "accounts_needing_reconnect": accounts_needing_reconnect,
            "upcoming": upcoming,
            "changes_requested": changes_requested,
            # Work to do: slots of the coming week that no post holds yet.
            "empty_slots": slots.empty_in_week(list(access.practices_visible_to(request.user)))[
                :30
            ],
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
            "accounts": [
                connect.health_row(account)
                for account in access.accounts_visible_to(request.user).filter(practice=practice)
            ],
            "platforms": Platform.choices,
            "can_connect": request.user.is_agency_lead,
            "statuses": Post.Status,
            "slots": practice.slots.all(),
            "slot_form": SlotForm(),
            "calendar_url": settings.SITE_URL.rstrip("/")
            + reverse("calendar_feed", args=[practice.calendar_token]),
        },
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and Redis reachability, for the load balancer and compose."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        client = redis.Redis.from_url(
            settings.RQ_QUEUES["default"]["URL"], socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"unreachable: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", **checks}, status=200 if healthy else 503
    )
