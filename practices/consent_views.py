"""The consent registry: a practice's patient authorizations, for its strategists and the lead.

Every view of an authorization and every opening of its signed form is an
audit event (compliance rules, section 1 and 6).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from agency import access
from agency.http import client_ip
from posts import takedown
from posts.models import Post
from practices import services
from practices.forms import ConsentFilterForm, RevokeForm

EXPIRING_DAYS = 30


def _consent(request, slug, pk):
    consent = access.get_consent_for_user(request.user, pk)
    if consent.practice.slug != slug:
        raise Http404("No such authorization.")
    return consent


@require_GET
@login_required
def consent_list(request, slug):
    practice = access.get_practice_for_user(request.user, slug)
    filters = ConsentFilterForm(request.GET)
    consents = access.consents_visible_to(request.user).filter(practice=practice)
    now = timezone.now()
    if filters.is_valid():
        q = filters.cleaned_data["q"].strip()
        if q:
            consents = consents.filter(Q(patient_label__icontains=q) | Q(signer_name__icontains=q))
        state = filters.cleaned_data["state"]
        if state == "active":
            consents = consents.active(now)
        elif state == "expiring":
            consents = consents.active(now).filter(expires_at__lte=now + timedelta(EXPIRING_DAYS))
        elif state == "expired":
            consents = consents.filter(revoked_at__isnull=True, expires_at__lte=now)
        elif state == "revoked":
            consents = consents.filter(revoked_at__isnull=False)
    page = Paginator(consents.order_by("patient_label", "-signed_at"), 50).get_page(
        request.GET.get("page")
    )
    services.record_consents_listed(
        practice=practice,
        consent_ids=[consent.pk for consent in page],
        state=filters.cleaned_data.get("state", "") if filters.is_valid() else "",
        by=request.user,
        ip_address=client_ip(request),
    )
    return render(
        request,
        "practices/consent_list.html",
        {
            "practice": practice,
            "filters": filters,
            "page": page,
            "now": now,
            "soon": now + timedelta(EXPIRING_DAYS),
        },
    )


@require_GET
@login_required
@never_cache
def consent_detail(request, slug, pk):
    consent = _consent(request, slug, pk)
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


@require_GET
@login_required
def consent_document(request, slug, pk):
    """The signed form, decrypted for this one response; `?inline=1` to view it in the browser."""
    consent = _consent(request, slug, pk)
    if not consent.document:
        raise Http404("This authorization has no signed form.")
    inline = request.GET.get("inline") == "1"
    stream = services.open_consent_document(
        consent=consent, by=request.user, ip_address=client_ip(request), inline=inline
    )
    extension = "pdf" if consent.document_content_type == "application/pdf" else "jpg"
    if consent.document_content_type == "image/png":
        extension = "png"
    response = FileResponse(
        stream,
        content_type=consent.document_content_type or "application/octet-stream",
        as_attachment=not inline,
        filename=f"authorization-{consent.pk}.{extension}",
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def consent_revoke(request, slug, pk):
    consent = _consent(request, slug, pk)
    form = RevokeForm(request.POST, consent=consent)
    if not form.is_valid():
        messages.error(
            request,
            "Not revoked: " + " ".join(e for errors in form.errors.values() for e in errors),
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
