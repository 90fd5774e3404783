"""Platform accounts: their health, connecting one through OAuth, disconnecting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.http import AuthenticatedHttpRequest
from platforms.errors import PlatformError
from practices import access, connect, list_rows
from practices.models import Platform, SocialAccount

ACCOUNTS_PER_PAGE = 50

# -- platform accounts ---------------------------------------------------------


@require_GET
@login_required
def accounts_overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Account health across the practices this person sees."""
    access.require_agency(request.user)
    accounts = connect.account_list_values(access.accounts_visible_to(request.user)).order_by(
        "practice__name", "platform", "pk"
    )
    status = request.GET.get("status", "")
    if status in SocialAccount.Status.values:
        accounts = accounts.filter(status=status)
    else:
        status = ""
    page = Paginator(accounts, ACCOUNTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "practices/accounts.html",
        {
            "rows": list_rows.account_rows(page),
            "page": page,
            "status": status,
            "status_label": SocialAccount.Status(status).label if status else "",
            "statuses": SocialAccount.Status.choices,
            "platforms": Platform.choices,
            "can_connect": request.user.is_agency_lead,
        },
    )


@require_POST
@login_required
def connect_start(request: AuthenticatedHttpRequest, slug: str, platform: str) -> HttpResponse:
    practice = access.get_practice_for_user(request.user, slug, roles={access.LEAD})
    if platform not in Platform.values:
        raise Http404("No such platform.")
    try:
        url = connect.start(request.session, practice=practice, platform=platform)
    except PlatformError as exc:
        messages.error(request, f"Could not start connecting {Platform(platform).label}: {exc}")
        return redirect(practice)
    return redirect(url)


@require_GET
@login_required
def connect_callback(request: AuthenticatedHttpRequest, platform: str) -> HttpResponse:
    access.require_agency_lead(request.user)
    if platform not in Platform.values:
        raise Http404("No such platform.")
    label = Platform(platform).label
    if request.GET.get("error"):
        reason = request.GET.get("error_description") or request.GET["error"]
        return _connect_failed(request, f"{label} did not grant access: {reason}.")
    state, code = request.GET.get("state", ""), request.GET.get("code", "")
    if not state or not code:
        return _connect_failed(request, f"{label} sent us back without an authorization code.")
    try:
        flow, targets = connect.finish(request.session, platform=platform, state=state, code=code)
    except connect.ConnectFailed as exc:
        return _connect_failed(request, str(exc))
    except PlatformError as exc:
        return _connect_failed(request, f"{label} refused the connection: {exc.message}")
    practice = access.get_practice_for_user(request.user, flow["practice_slug"])
    return render(
        request,
        "practices/connect_choose.html",
        {"practice": practice, "platform_label": label, "targets": targets, "state": state},
    )


@require_POST
@login_required
def connect_choose(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require_agency_lead(request.user)
    try:
        account = connect.choose(
            request.session,
            state=request.POST.get("state", ""),
            external_id=request.POST.get("external_id", ""),
            by=request.user,
        )
    except connect.ConnectFailed as exc:
        return _connect_failed(request, str(exc))
    messages.success(request, f"{account} is connected.")
    return redirect(account.practice)


@require_POST
@login_required
def account_disconnect(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = access.get_account_for_user(request.user, pk, roles={access.LEAD})
    connect.disconnect(account=account, by=request.user)
    messages.success(request, f"{account} is disconnected; its tokens are erased.")
    return redirect(account.practice)


def _connect_failed(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "practices/connect_failed.html", {"message": message}, status=400)
