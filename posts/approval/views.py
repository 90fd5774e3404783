"""The doctor's approval page: signed in, or through an e-mailed link without a password.

Both ways show the same page and take the same decisions (posts.approval.decisions);
they differ in how the practice and the doctor are found, and in the URLs
the page links to. A link reaches this page, its photos and its forms, and
nothing else: it does not sign anyone in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import AuthenticatedHttpRequest, client_ip, limited_address, optional_int
from core.models import AuditEvent, User
from posts import access
from posts.approval import decisions as approvals
from posts.approval import links as approval_links
from posts.approval import requests as approval_requests
from posts.media import photos as media
from posts.media.views import serve_asset
from posts.models import Approval, ApprovalLink, IllegalTransition, Post
from practices.models import Practice


@dataclass
class Way:
    """How this page was reached: its URLs and who decides."""

    practice: Practice
    reviewer: approvals.Reviewer
    page_url: str
    action_url: Callable[[str], str]
    photo_url: Callable[[int, str], str]
    token: str = ""


def _signed_in(request: AuthenticatedHttpRequest, slug: str) -> Way:
    practice = access.get_practice_for_approvals(request.user, slug)
    return Way(
        practice=practice,
        reviewer=_reviewer(request, request.user, Approval.Via.LOGIN, None),
        page_url=reverse("approval_page", args=[slug]),
        action_url=lambda action: reverse(f"approval_{action}", args=[slug]),
        photo_url=lambda pk, spec: reverse("media_file", args=[pk, spec]),
    )


LinkView = Callable[..., HttpResponse | FileResponse]


def by_link(view: LinkView) -> LinkView:
    """An e-mailed link's view: the link is resolved first (the access helper), and
    every link that does not work gets the same refusal page."""

    @functools.wraps(view)
    def with_link(
        request: HttpRequest, token: str, *args: Any, **kwargs: Any
    ) -> HttpResponse | FileResponse:
        try:
            link = access.get_approval_link(token, request.user)
        except approval_links.LinkRefused:
            return refused_page(request)
        return view(request, link, token, *args, **kwargs)

    return with_link


def _by_link(request: HttpRequest, link: ApprovalLink, token: str) -> Way:
    return Way(
        practice=link.practice,
        reviewer=_reviewer(request, link.doctor, Approval.Via.LINK, link),
        page_url=reverse("approval_link", args=[token]),
        action_url=lambda action: reverse(f"approval_link_{action}", args=[token]),
        photo_url=lambda pk, spec: reverse("approval_link_photo", args=[token, pk, spec]),
        token=token,
    )


def _reviewer(
    request: HttpRequest, user: User, via: str, link: ApprovalLink | None
) -> approvals.Reviewer:
    return approvals.Reviewer(
        user=user,
        via=via,
        link=link,
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )


def refused_page(request: HttpRequest) -> HttpResponse:
    """One answer for every link that does not work, whatever the reason; it offers
    a new link by e-mail."""
    return render(
        request, "posts/approval_link_refused.html", {"form": LinkRequestForm()}, status=403
    )


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label="Your e-mail address", max_length=254)


# -- the page -----------------------------------------------------------------------


def _page(request: HttpRequest, way: Way) -> HttpResponse:
    reviews = approvals.reviews_of(approvals.pending_posts(way.practice))
    for review in reviews:
        review.photo_urls = [way.photo_url(pk, media.THUMBNAIL) for pk in review.photo_ids]
        for preview in review.previews:
            preview.photo_urls = [way.photo_url(pk, preview.spec) for pk in preview.photo_ids]
            if preview.video is not None:
                preview.video_url = way.photo_url(preview.video.pk, media.ORIGINAL)
                preview.poster_url = way.photo_url(preview.video.pk, preview.spec)
        if review.changes is not None:
            review.changes.photo_urls = {
                asset.pk: way.photo_url(asset.pk, media.THUMBNAIL)
                for asset in review.changes.photos_added + review.changes.photos_removed
            }
    return render(
        request,
        "posts/approval_page.html",
        {
            "practice": way.practice,
            "doctor": way.reviewer.user,
            "reviews": reviews,
            "holdable": approvals.holdable_posts(way.practice),
            "recent": approvals.recently_decided(way.practice),
            "way": way,
            "decide_url": way.action_url("decide"),
            "all_url": way.action_url("all"),
            "done_url": way.action_url("done") if way.token else "",
            "by_link": bool(way.token),
        },
    )


@require_GET
@login_required
def approval_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A signed-in doctor's approvals: the practice's page, or a choice of practices."""
    access.require_reviewer(request.user)
    practices = list(
        access.doctor_practices(request.user)
        .annotate(waiting=Count("posts", filter=Q(posts__status=Post.Status.IN_REVIEW)))
        .order_by("name")
    )
    if len(practices) == 1:
        return _page(request, _signed_in(request, practices[0].slug))
    return render(request, "posts/approvals.html", {"practices": practices})


@require_GET
@login_required
def approval_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _page(request, _signed_in(request, slug))


@never_cache
@require_GET
@by_link
def approval_link(request: HttpRequest, link: ApprovalLink, token: str) -> HttpResponse:
    # Kept by no browser cache (never_cache); and the link is never sent on to
    # another site: the referrer policy is "same-origin" everywhere. Not
    # "no-referrer": Chromium then sends "Origin: null" with the page's forms,
    # which the CSRF check rightly refuses.
    return _page(request, _by_link(request, link, token))


@require_GET
@by_link
def approval_link_photo(
    request: HttpRequest, link: ApprovalLink, token: str, pk: int, spec: str
) -> FileResponse:
    return serve_asset(access.get_media_for_approval_link(link, pk), spec)


# -- decisions ----------------------------------------------------------------------------


def _decide(request: HttpRequest, way: Way) -> HttpResponse:
    action = request.POST.get("action", "")
    pk = optional_int(request.POST.get("post", ""))
    shown_hash = request.POST.get("shown", "")
    if pk is None or action not in ("approve", "changes", "hold"):
        messages.error(request, "Choose a post and what to do with it.")
        return redirect(way.page_url)
    try:
        if action == "approve":
            post = approvals.approve(
                practice=way.practice, pk=pk, shown_hash=shown_hash, by=way.reviewer
            )
            done = f"Approved “{post}”."
            if post.status == Post.Status.SCHEDULED and post.scheduled_at:
                done += (
                    f" It goes out {way.practice.local(post.scheduled_at):%A %-d %B at %H:%M %Z}."
                )
        elif action == "changes":
            post = approvals.request_changes(
                practice=way.practice,
                pk=pk,
                shown_hash=shown_hash,
                comment=request.POST.get("comment", ""),
                by=way.reviewer,
            )
            done = f"Sent “{post}” back to the agency with your comment."
        else:
            post = approvals.hold(
                practice=way.practice,
                pk=pk,
                by=way.reviewer,
                reason=request.POST.get("comment", ""),
            )
            done = f"“{post}” is on hold: it will not be published until you approve it again."
    except IllegalTransition as refusal:
        messages.error(request, _sentence(str(refusal)))
        return redirect(f"{way.page_url}#post-{pk}")
    messages.success(request, done)
    return redirect(way.page_url)


def _decide_all(request: HttpRequest, way: Way) -> HttpResponse:
    shown: list[tuple[int, str]] = []
    for value in request.POST.getlist("shown"):
        number_text, _, content_hash = value.partition(":")
        number = optional_int(number_text)
        if number is not None and content_hash:
            shown.append((number, content_hash))
    if not shown:
        messages.error(request, "There was nothing to approve.")
        return redirect(way.page_url)
    batch = approvals.approve_all(practice=way.practice, shown=shown, by=way.reviewer)
    if batch.approved:
        messages.success(request, f"Approved {len(batch.approved)} of {len(shown)} posts.")
    for skipped, reason in batch.skipped:
        messages.error(request, f"Post #{skipped} not approved: {reason}.")
    return redirect(way.page_url)


@require_POST
@login_required
def approval_decide(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _decide(request, _signed_in(request, slug))


@require_POST
@login_required
def approval_all(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _decide_all(request, _signed_in(request, slug))


@require_POST
@by_link
def approval_link_decide(request: HttpRequest, link: ApprovalLink, token: str) -> HttpResponse:
    return _decide(request, _by_link(request, link, token))


@require_POST
@by_link
def approval_link_all(request: HttpRequest, link: ApprovalLink, token: str) -> HttpResponse:
    return _decide_all(request, _by_link(request, link, token))


@require_POST
@by_link
def approval_link_done(request: HttpRequest, link: ApprovalLink, token: str) -> HttpResponse:
    """The doctor is done: every link of theirs stops working, this one and the older
    ones still in their inbox (a new e-mail brings a new one)."""
    closed = approval_links.revoke_links_of(link.doctor, because="closed by the doctor")
    return render(
        request, "posts/approval_link_closed.html", {"practice": link.practice, "closed": closed}
    )


@require_http_methods(["GET", "POST"])
@never_cache
def approval_link_request(request: HttpRequest) -> HttpResponse:
    """A doctor whose link no longer works asks for a new one by e-mail address.

    The answer is the same whatever was typed, so that nobody learns who is a
    doctor; the links go only to the address on file, and the requests are
    limited per address typed and per client address.
    """
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approval_requests.new_links_on_request(
            form.cleaned_data["email"], client=limited_address(request), ip=client_ip(request)
        )
        return render(request, "posts/approval_link_requested.html")
    return render(request, "posts/approval_link_refused.html", {"form": form}, status=200)


@require_POST
@login_required
def approval_links_revoke(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The agency closes every e-mailed link of a practice (a lost phone, a leaked e-mail)."""
    practice = access.get_practice_for_user(request.user, slug)
    closed = approval_links.revoke(
        ApprovalLink.objects.filter(practice=practice), because=f"closed by {request.user}"
    )
    AuditEvent.record(
        "approval_links_revoked",
        actor=request.user,
        practice=practice,
        obj=practice,
        detail={"closed": closed},
    )
    messages.success(request, f"Closed {closed} link{'s' if closed != 1 else ''}.")
    return redirect(reverse("practice_detail", args=[slug]) + "#approval-links")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
