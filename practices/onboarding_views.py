"""A practice made and changed without the admin (the lead; its strategists change its
details), and its logo. Its people are practices.people_views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.http import AuthenticatedHttpRequest, client_ip
from practices import access, onboarding
from practices.forms import PracticeForm
from practices.models import Practice


@require_http_methods(["GET", "POST"])
@login_required
def practice_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require_agency_lead(request.user)
    form = PracticeForm(request.POST or None, request.FILES or None, lead=True)
    if request.method == "POST" and form.is_valid():
        practice = onboarding.save_practice(
            form, by=request.user, lead=True, ip_address=client_ip(request)
        )
        messages.success(request, f"{practice} is set up. The list below says what is left.")
        return redirect(practice)
    return render(
        request,
        "practices/practice_form.html",
        {"form": form, "practice": None},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def practice_edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    practice = access.get_practice_for_user(request.user, slug)
    lead = request.user.is_agency_lead
    form = PracticeForm(request.POST or None, request.FILES or None, instance=practice, lead=lead)
    if request.method == "POST" and form.is_valid():
        onboarding.save_practice(form, by=request.user, lead=lead, ip_address=client_ip(request))
        messages.success(request, "The practice's details are saved.")
        return redirect(practice)
    # What the page shows stays what is saved while the form has errors.
    shown = Practice.objects.get(pk=practice.pk)
    return render(
        request,
        "practices/practice_form.html",
        {"form": form, "practice": shown},
        status=400 if form.is_bound else 200,
    )


@require_GET
@login_required
def practice_logo(request: AuthenticatedHttpRequest, slug: str) -> FileResponse:
    practice = access.get_practice_for_user(request.user, slug, roles=access.EVERYONE)
    if not practice.logo:
        raise Http404("This practice has no logo.")
    try:
        handle = practice.logo.open("rb")
    except FileNotFoundError:  # lost with the media folder, or restored without it
        raise Http404("This practice's logo is missing.") from None
    return FileResponse(handle, content_type="image/png")
