"""A patient authorization's page and its revocation.

The rest of the consent registry (the list, the signed form) is in
practices.consent_views. These two live on the post side because the page
lists the posts relying on the authorization and revoking it takes them down
(posts.publishing.takedown).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.http import AuthenticatedHttpRequest, client_ip
from posts import access
from posts.models import Post
from posts.publishing import takedown
from practices import services
from practices.forms import RevokeForm


@require_GET
@login_required
@never_cache
def consent_detail(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    consent = access.get_practice_consent_for_user(request.user, slug, pk)
    services.record_consent_viewed(consent=consent, by=request.user, ip_address=client_ip(request))
    today = consent.practice.local(timezone.now()).date()
    return render(
        request,
        "practices/consent_detail.html",
        {
            "consent": consent,
            "practice": consent.practice,
            # Posts relying on it directly or through the tip they were drafted from:
            # the same rule revocation uses.
            "posts": Post.relying_on(consent).select_related("practice").order_by("-created_at"),
            "tips": consent.tips.select_related("submitted_by").order_by("-created_at"),
            "revoke_form": RevokeForm(consent=consent, initial={"received_on": today})
            if consent.revoked_at is None
            else None,
            "now": timezone.now(),
        },
    )


@require_POST
@login_required
def consent_revoke(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    consent = access.get_practice_consent_for_user(request.user, slug, pk)
    form = RevokeForm(request.POST, consent=consent)
    if not form.is_valid():
        messages.error(
            request,
            "Not revoked: " + " ".join(str(e) for errors in form.errors.values() for e in errors),
        )
        return redirect("consent_detail", slug=slug, pk=pk)
    report = takedown.revoke_consent(
        consent=consent,
        received_at=form.received_at(),
        note=form.cleaned_data["note"],
        by=request.user,
    )
    if report.already_revoked:
        messages.error(request, "This authorization had already been revoked.")
        return redirect("consent_detail", slug=slug, pk=pk)
    summary = ["Authorization revoked."]
    if report.cancelled_posts:
        summary.append(f"{len(report.cancelled_posts)} post(s) relying on it were cancelled.")
    if report.deleting:
        summary.append(f"{len(report.deleting)} live post(s) are being deleted.")
    if report.manual:
        summary.append(
            f"{len(report.manual)} live post(s) must be removed by hand: see the dashboard."
        )
    if report.in_flight:
        summary.append(f"{len(report.in_flight)} post(s) being published will be taken down.")
    if report.maybe_live:
        summary.append(
            f"{len(report.maybe_live)} post(s) may have gone out: they are checked on the "
            "platform and taken down if found (see the dashboard)."
        )
    messages.success(request, " ".join(summary))
    return redirect("consent_detail", slug=slug, pk=pk)
