from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agency import access
from posts.models import Post


@require_GET
@login_required
def practice_detail(request, slug):
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
            "accounts": access.accounts_visible_to(request.user).filter(practice=practice),
            "statuses": Post.Status,
        },
    )
