"""A post's page and the post list (the editor: posts.authoring.views; approvals: .approvals)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.http import AuthenticatedHttpRequest, client_ip
from posts import access
from posts.planning import filters as post_filters
from posts.planning import ical, post_rows
from practices import services


@require_GET
@login_required
def post_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = access.get_post_for_user(request.user, pk)
    return render(
        request,
        "posts/post_detail.html",
        {
            "post": post,
            "publications": post.publications.select_related("account").order_by(
                "account__platform"
            ),
            "approvals": post.approvals.select_related("reviewer"),
            "targets": post.targets.all(),
            "comments": post.comments.select_related("author"),
        },
    )


@require_GET
@login_required
def post_list(request: AuthenticatedHttpRequest, slug: str = "") -> HttpResponse:
    """Every post the agency person may see, or one practice's: search, filters, pages."""
    access.require_agency(request.user)
    practice = None
    posts = access.posts_visible_to(request.user)
    practices = access.practices_visible_to(request.user)
    if slug:
        practice = access.get_practice_for_user(request.user, slug)
        posts = posts.filter(practice=practice)
    zone = practice.zone if practice else _zone_of(request)
    form = post_filters.PostFilterForm(
        request.GET, practices=practices, one_practice=bool(practice)
    )
    found = post_filters.for_list(post_filters.filtered(posts, form, zone=zone))
    page = Paginator(found, post_filters.PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "posts/post_list.html",
        {
            "practice": practice,
            "form": form,
            "page": page,
            "rows": post_rows.post_rows(shown, platforms=post_filters.platforms_of(shown)),
            "query": query.urlencode(),
            "zone": zone.key,
        },
    )


def _zone_of(request: AuthenticatedHttpRequest) -> ZoneInfo:
    return ZoneInfo(request.user.time_zone or settings.TIME_ZONE)


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A practice's posts for a calendar app: no login, the secret address is the key."""
    practice = access.get_practice_for_calendar_link(token)
    response = HttpResponse(ical.feed(practice), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{practice.slug}-posts.ics"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def calendar_link_rotate(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseRedirect:
    practice = access.get_practice_for_user(request.user, slug)
    services.rotate_calendar_link(practice=practice, by=request.user, ip_address=client_ip(request))
    messages.success(
        request, "New calendar address: the old one stops working. Share the new one again."
    )
    return redirect(practice.get_absolute_url() + "#calendar")
