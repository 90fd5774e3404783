"""Sign-in pages: the password, the second step, enrolling an app, the security page,
and the password-reset request (HIPAA 164.312(a) and (d)).

The workflow is in core.signin (throttling, the session clock) and
core.two_factor (devices); who must use two factors is
practices.access.requires_two_factor, enforced on every page by
agency.middleware.TwoFactorMiddleware. These views parse, call and render.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from core import signin, two_factor
from core.forms import AppCodeForm, CodeForm, TimeZoneForm
from core.http import AuthenticatedHttpRequest, client_ip, safe_next
from core.models import AuthenticatorApp
from practices import access

logger = logging.getLogger(__name__)

STEP_URLS = {two_factor.VERIFY: "two_factor_verify", two_factor.SETUP: "two_factor_setup"}
# Fewer recovery codes than this left: the person is told to make new ones.
FEW_RECOVERY_CODES = 3


def _next(request: HttpRequest) -> str:
    """Where to go afterwards: a page of this site, or nowhere in particular."""
    return safe_next(request, request.POST.get("next") or request.GET.get("next") or "")


def _with_next(url_name: str, next_url: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _locked(request: HttpRequest, lock: signin.Lock, template: str) -> HttpResponse:
    response = render(request, template, {"lock": lock}, status=429)
    response["Retry-After"] = str(lock.retry_after)
    return response


def _unavailable(request: HttpRequest) -> HttpResponse:
    # Fail closed: without a count, guesses would be unlimited.
    logger.error("sign-in refused: the attempt counter (Redis) is unavailable")
    response = render(request, "registration/signin_unavailable.html", status=503)
    response["Retry-After"] = "60"
    return response


# -- the password ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    """Username (or e-mail) and password; then the second step, when it is due."""
    next_url = _next(request)
    if request.user.is_authenticated:
        # TwoFactorMiddleware sends a half-signed-in person to their second step.
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if request.method != "POST":
        return render(
            request,
            "registration/login.html",
            {"form": AuthenticationForm(request), "next": next_url},
        )
    form = AuthenticationForm(request, data=request.POST)
    identifier = request.POST.get("username", "")
    if not identifier.strip():
        return render(request, "registration/login.html", {"form": form, "next": next_url})
    # The backend counts and enforces (core.backends); asked first here, a
    # locked attempt gets a page that says until when.
    throttle = signin.LoginThrottle.for_request(request, identifier)
    try:
        lock = throttle.lock()
    except signin.Unavailable:
        return _unavailable(request)
    if lock is not None:
        return _locked(request, lock, "registration/login_locked.html")
    if form.is_valid():
        user = form.get_user()
        auth_login(request, user)
        step = two_factor.pending_step(user) if access.requires_two_factor(user) else None
        if step is not None:
            return redirect(_with_next(STEP_URLS[step], next_url))
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if throttle.unavailable:
        return _unavailable(request)
    if throttle.started is not None:
        return _locked(request, throttle.started, "registration/login_locked.html")
    return render(request, "registration/login.html", {"form": form, "next": next_url})


@require_http_methods(["GET", "POST"])
@csrf_protect
def password_reset(request: HttpRequest) -> HttpResponseBase:
    """Django's reset form, counted per address and per e-mail address entered."""
    if request.method == "POST":
        try:
            lock = signin.password_reset_lock(request, request.POST.get("email", ""))
        except signin.Unavailable:
            return _unavailable(request)
        if lock is not None:
            return _locked(request, lock, "registration/password_reset_limited.html")
    return _password_reset_form(request)


_password_reset_form = auth_views.PasswordResetView.as_view()


# -- the second step ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@sensitive_post_parameters("code")
def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A code from the app or a recovery code, after the password."""
    next_url = _next(request)
    user = request.user
    if two_factor.is_verified(user) or not two_factor.has_device(user):
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        check = two_factor.verify(
            user=user, code=form.cleaned_data["code"], ip_address=client_ip(request)
        )
        if check.device is not None:
            otp_login(request, check.device)
            # A new session key for the stronger sign-in.
            request.session.cycle_key()
            left = two_factor.recovery_codes_left(user)
            if left < FEW_RECOVERY_CODES:
                messages.warning(
                    request,
                    f"{left} recovery code{'' if left == 1 else 's'} left: make new ones "
                    "on your security page.",
                )
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        if check.wait_seconds:
            wait = check.wait_seconds
            form.add_error(
                "code",
                f"Too many wrong codes. Wait {wait} second{'' if wait == 1 else 's'}, then "
                "try the newest code.",
            )
        else:
            form.add_error("code", "That code did not work. Try the newest code from your app.")
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


# The unconfirmed app device this session is enrolling (core.two_factor.start_enrolment).
ENROLMENT_DEVICE_KEY = "two_factor_enrolment_device"


@require_http_methods(["GET", "POST"])
@login_required
@sensitive_post_parameters("code")
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan (or type) the secret, confirm with a code."""
    user = request.user
    next_url = _next(request)
    if not access.requires_two_factor(user):
        raise PermissionDenied("Two-factor sign-in is for the agency team.")
    if two_factor.has_device(user) and not two_factor.is_verified(user):
        # Replacing an app takes the old one (or a recovery code) first: a
        # password alone must never be enough to move someone's second factor.
        return redirect(_with_next("two_factor_verify", reverse("two_factor_setup")))
    enrolment = two_factor.start_enrolment(
        user, device_id=request.session.get(ENROLMENT_DEVICE_KEY)
    )
    request.session[ENROLMENT_DEVICE_KEY] = enrolment.device.pk
    form = AppCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm_enrolment(
            user=user,
            device=enrolment.device,
            code=form.cleaned_data["code"],
            ip_address=client_ip(request),
        )
        if codes is not None:
            otp_login(request, enrolment.device)
            request.session.cycle_key()
            # Shown once, in this response (never stored in clear to show later).
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": next_url or reverse(settings.LOGIN_REDIRECT_URL)},
            )
        form.add_error(
            "code",
            "That code did not match. Check that the phone's clock is right and enter "
            "the newest code.",
        )
    return render(
        request,
        "registration/two_factor_setup.html",
        {"enrolment": enrolment, "form": form, "next": next_url},
    )


# -- the security page ---------------------------------------------------------------


@require_GET
@login_required
def security(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Two-factor sign-in at a glance: the app, the recovery codes left, new codes."""
    user = request.user
    if not access.requires_two_factor(user):
        raise PermissionDenied("Two-factor sign-in is for the agency team.")
    app = AuthenticatorApp.objects.devices_for_user(user, confirmed=True).first()
    return render(
        request,
        "registration/security.html",
        {
            "app": app,
            "recovery_codes_left": two_factor.recovery_codes_left(user),
            "exempt": two_factor.is_exempt(user),
            "verified": two_factor.is_verified(user),
            "zone_form": TimeZoneForm(initial={"time_zone": user.time_zone}),
        },
    )


@require_POST
@login_required
def time_zone(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's own time zone (shown beside a practice's times in the editor)."""
    access.require_agency(request.user)
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not saved: choose a time zone from the list.")
        return redirect("security")
    request.user.time_zone = form.cleaned_data["time_zone"]
    request.user.save(update_fields=["time_zone"])
    messages.success(request, "Saved: your time zone.")
    return redirect("security")


@require_POST
@login_required
def recovery_codes_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not access.requires_two_factor(user):
        raise PermissionDenied("Two-factor sign-in is for the agency team.")
    if not two_factor.is_verified(user):
        messages.error(request, "Set up an authenticator app first: recovery codes go with it.")
        return redirect("security")
    codes = two_factor.regenerate_recovery_codes(user=user, ip_address=client_ip(request))
    return render(
        request, "registration/recovery_codes.html", {"codes": codes, "next": reverse("security")}
    )
