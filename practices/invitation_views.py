"""The invited person's side: open the e-mailed link, set a password (or sign in with
the account the address has), and join the practice."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.http import client_ip
from core.models import User
from practices import invitations
from practices.forms import NewAccountForm

# Refused links: a forged one is not found; a used, withdrawn or expired one is gone.
REFUSED_STATUS = {"unknown": 404}


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = invitations.resolve(token)
    except invitations.InvitationProblem as problem:
        return _refused(request, problem)
    account = invitations.account_for(found)
    signed_in = request.user if isinstance(request.user, User) else None
    form = None
    if signed_in is None and account is None:
        form = NewAccountForm(request.POST or None, email=found.email)
    if request.method == "POST":
        try:
            if signed_in is not None:
                invitations.accept(token, user=signed_in, ip_address=client_ip(request))
                messages.success(request, f"You joined {found.practice}.")
                return redirect("home")
            if form is not None and form.is_valid():
                user = invitations.accept_as_new(
                    token,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    password=form.cleaned_data["password1"],
                    ip_address=client_ip(request),
                )
                login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
                messages.success(request, f"Welcome to {found.practice}.")
                return redirect("home")
            if account is not None:
                return redirect_to_login(request.get_full_path())
        except invitations.InvitationProblem as problem:
            return _refused(request, problem)
    return render(
        request,
        "practices/invitation.html",
        {
            "invitation": found,
            "form": form,
            "account": account,
            "signed_in": signed_in,
            "someone_else": signed_in is not None
            and signed_in.email.lower() != found.email.lower(),
            "agency": settings.AGENCY_NAME,
            "two_factor": found.role == found.Role.STRATEGIST,
        },
        status=400 if form is not None and form.is_bound else 200,
    )


def _refused(request: HttpRequest, problem: invitations.InvitationProblem) -> HttpResponse:
    return render(
        request,
        "practices/invitation_refused.html",
        {"message": problem.message},
        status=REFUSED_STATUS.get(
            problem.code, 410 if problem.code in invitations.REFUSALS else 400
        ),
    )
