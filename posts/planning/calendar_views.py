"""The content calendar: a month or a week of posts, for one practice or all; moving one."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.http import AuthenticatedHttpRequest, optional_int, safe_next
from posts import access
from posts.models import IllegalTransition, Post
from posts.planning import calendar as content_calendar


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return timezone.localdate()


@require_GET
@login_required
def calendar_page(request: AuthenticatedHttpRequest, slug: str = "") -> HttpResponse:
    access.require_agency(request.user)
    if not slug and request.GET.get("practice"):
        # The filter on the calendar of every practice: that practice's own calendar.
        chosen = access.get_practice_for_user(request.user, request.GET["practice"])
        query = request.GET.copy()
        query.pop("practice")
        return redirect(reverse("practice_calendar", args=[chosen.slug]) + "?" + query.urlencode())
    practice = access.get_practice_for_user(request.user, slug) if slug else None
    posts = access.posts_visible_to(request.user)
    if practice is not None:
        posts = posts.filter(practice=practice)
    view = "week" if request.GET.get("view") == "week" else "month"
    shown = _day(request.GET.get("date", ""))
    if view == "week":
        days = content_calendar.week_days(shown)
        in_range = (days[0], days[-1])
        previous, following = days[0] - timedelta(days=7), days[0] + timedelta(days=7)
        title = f"Week of {days[0]:%-d %B %Y}"
    else:
        first = shown.replace(day=1)
        days = content_calendar.month_days(first)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        in_range = (first, last)
        previous = (first - timedelta(days=1)).replace(day=1)
        following = last + timedelta(days=1)
        title = f"{first:%B %Y}"
    here = reverse("practice_calendar", args=[practice.slug]) if practice else reverse("calendar")
    return render(
        request,
        "posts/calendar.html",
        {
            "practice": practice,
            "view": view,
            "title": title,
            "days": content_calendar.days_with_posts(
                posts,
                days,
                in_range=in_range,
                limit=content_calendar.MONTH_CHIPS_PER_DAY if view == "month" else None,
            ),
            "next_url": request.get_full_path(),
            "practices": []
            if practice
            else access.practices_visible_to(request.user).order_by("name").only("slug", "name"),
            "here": here,
            "shown": shown,
            "previous": previous,
            "following": following,
        },
    )


@require_POST
@login_required
def post_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseRedirect:
    """Move a post to another day (the calendar's drag, or its form), same time of day."""
    post = access.get_post_for_user(request.user, pk, roles=access.AGENCY)
    version = optional_int(request.POST.get("version", ""))
    next_url = safe_next(request, request.POST.get("next", ""), reverse("calendar"))
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        messages.error(request, "Not moved: give the day as a date.")
        return redirect(next_url)
    try:
        moved: Post = content_calendar.move(post=post, day=day, version=version, by=request.user)
    except IllegalTransition as refused:
        messages.error(request, f"Not moved: {refused}.")
    else:
        assert moved.scheduled_at is not None
        when = moved.practice.local(moved.scheduled_at)
        messages.success(request, f"Moved “{moved}” to {when:%A %-d %B, %H:%M %Z}.")
    return redirect(next_url)
