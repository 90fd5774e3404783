"""The project's own pages: where each person lands, the agency's dashboard, a practice's
overview (they bring the apps together). The health check is agency/health.py."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from agency import checklist
from core import mailbox
from core.http import AuthenticatedHttpRequest
from engagement.summary import inbox_summary
from posts import access
from posts.models import Post
from posts.planning import dashboard as dashboard_selectors
from practices import connect, list_rows
from practices.models import Platform
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


@require_GET
@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The strategist's day: what needs them, what waits, what goes out next.

    Across the practices they may see, or one (?practice=<slug>).
    """
    access.require_agency(request.user)
    slug = request.GET.get("practice", "")
    chosen = access.get_practice_for_user(request.user, slug) if slug else None
    day = dashboard_selectors.strategist_day(request.user, practice=chosen)
    return render(
        request,
        "agency/dashboard.html",
        {
            "chosen": chosen,
            "day": day,
            "inbox": inbox_summary(request.user, practice=chosen),
            # `make run` keeps e-mail in the demo mailbox: the lead reads it there.
            "demo_mailbox": request.user.is_agency_lead
            and settings.MAILERS["default"]["BACKEND"] == mailbox.BACKEND,
            # The filter lists every practice, also while one is shown.
            "all_practices": (
                sorted(day.practices, key=lambda p: p.name)
                if chosen is None
                else access.practices_visible_to(request.user).order_by("name")
            ),
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
    setup = (
        checklist.steps(practice, lead=request.user.is_agency_lead)
        if request.user.is_agency
        else []
    )
    return render(
        request,
        "practices/practice_detail.html",
        {
            "practice": practice,
            # Shown until every step is done.
            "setup": setup if not all(step.done for step in setup) else [],
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
