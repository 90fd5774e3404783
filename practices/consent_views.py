"""The consent registry: a practice's patient authorizations, for its strategists and the lead.

An authorization's own page and its revocation, which reach the posts relying
on it, are in posts.publishing.consent_views.

Every view of an authorization and every opening of its signed form is an
audit event (compliance rules, section 1 and 6).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.http import AuthenticatedHttpRequest, client_ip
from practices import access, list_rows, services
from practices.forms import ConsentFilterForm

EXPIRING_DAYS = 30


@require_GET
@login_required
def consent_list(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
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
    ordered = consents.order_by("patient_label", "-signed_at").values(*list_rows.CONSENT_FIELDS)
    page = Paginator(ordered, 50).get_page(request.GET.get("page"))
    services.record_consents_listed(
        practice=practice,
        consent_ids=[consent["pk"] for consent in page],
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
            "rows": list_rows.consent_rows(
                page, practice=practice, now=now, soon=now + timedelta(EXPIRING_DAYS)
            ),
        },
    )


@require_GET
@login_required
def consent_document(request: AuthenticatedHttpRequest, slug: str, pk: int) -> FileResponse:
    """The signed form, decrypted for this one response; `?inline=1` to view it in the browser."""
    consent = access.get_practice_consent_for_user(request.user, slug, pk)
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
