"""A post's page and the doctor's approvals list (the editor is posts.views.editor)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.http import AuthenticatedHttpRequest
from posts import access
from posts.models import Post


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
def approvals(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The doctor's list: posts of their practices waiting for a decision."""
    access.require_reviewer(request.user)
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
