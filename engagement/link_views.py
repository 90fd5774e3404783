"""Replies to reviews waiting for a doctor, through the e-mailed approval link.

The same link as the approval page (posts.approval.links): no password, the
same refusals, the same expiry; the doctor approves each reply as written.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from engagement import replies
from engagement.models import Reply
from posts import access as post_access
from posts.approval import links as approval_links
from posts.approval.views import refused_page


@require_GET
def replies_by_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = post_access.get_approval_link(token, request.user)
    except approval_links.LinkRefused:
        return refused_page(request)
    waiting = (
        Reply.objects.filter(item__practice=link.practice, status=Reply.Status.AWAITING_APPROVAL)
        .select_related("item__account", "author")
        .order_by("created_at")
    )
    return render(
        request,
        "engagement/replies_by_link.html",
        {"practice": link.practice, "doctor": link.doctor, "waiting": waiting, "token": token},
    )


@require_POST
@csrf_protect
def approve_by_link(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    try:
        link = post_access.get_approval_link(token, request.user)
    except approval_links.LinkRefused:
        return refused_page(request)
    reply = Reply.objects.filter(pk=pk, item__practice=link.practice).first()
    if reply is None:
        return refused_page(request)
    try:
        replies.approve(reply, by=link.doctor)
    except replies.ReplyRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Approved: the reply goes out now.")
    return redirect("replies_by_link", token=token)
