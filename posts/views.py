from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agency import access
from posts.models import Post


@require_GET
@login_required
def post_detail(request, pk):
    post = access.get_post_for_user(request.user, pk)
    return render(
        request,
        "posts/post_detail.html",
        {
            "post": post,
            "publications": post.publications.select_related("account"),
            "approvals": post.approvals.select_related("reviewer"),
            "targets": post.targets.all(),
        },
    )


@require_GET
@login_required
def approvals(request):
    """The doctor's list: posts of their practices waiting for a decision."""
    roles = access.practice_roles(request.user)
    if roles is not None and access.DOCTOR not in roles.values() and not request.user.is_agency:
        raise PermissionDenied("Approvals are for the practice's doctors.")
    waiting = (
        access.posts_visible_to(request.user)
        .filter(status=Post.Status.IN_REVIEW)
        .order_by("scheduled_at", "created_at")
    )
    recent = (
        access.posts_visible_to(request.user)
        .exclude(status__in=[Post.Status.IN_REVIEW, Post.Status.DRAFT])
        .order_by("-updated_at")[:20]
    )
    return render(request, "posts/approvals.html", {"waiting": waiting, "recent": recent})


@require_GET
@login_required
def staff_home(request):
    """Where staff land: send a tip, and see what became of the ones sent."""
    roles = access.practice_roles(request.user) or {}
    practices = access.practices_visible_to(request.user).filter(
        id__in=[pid for pid, role in roles.items() if role == access.STAFF]
    )
    if not practices:
        raise PermissionDenied("This page is for practice staff.")
    tips = access.tips_visible_to(request.user).filter(submitted_by=request.user)[:50]
    return render(request, "posts/staff_home.html", {"practices": practices, "tips": tips})


@require_GET
@login_required
def tip_detail(request, pk):
    tip = access.get_tip_for_user(request.user, pk)
    return render(
        request,
        "posts/tip_detail.html",
        {"tip": tip, "photos": tip.photos.all(), "posts": tip.posts.all()},
    )
