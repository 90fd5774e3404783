"""What every signed-in request goes through, so that no page can forget it.

In settings.MIDDLEWARE, after AuthenticationMiddleware, MessageMiddleware and
django-otp's OTPMiddleware (which says whether this session passed the
second step):

- NoStoreMiddleware: nothing shown to a signed-in person is kept by a browser
  or a proxy cache (patients, authorizations, their documents and photos);
- SessionLimitsMiddleware: automatic logoff after inactivity, and an absolute
  lifetime (164.312(a)(2)(iii));
- TwoFactorMiddleware: the agency team reaches no page before its second step
  (164.312(d)).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from agency.signin import STEP_URLS
from core import signin, two_factor
from core.models import User
from practices import access

Handler = Callable[[HttpRequest], HttpResponse]


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response to a signed-in request.

    A view that asked for no-store already (with more, as never_cache does)
    keeps its header; anything weaker ("private, max-age=3600") is replaced.
    Pages for no one in particular (the login page, static files) cache as
    they like.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response


def idle_timeout(user: User) -> int:
    """Seconds without a request before a session ends.

    Staff get longer (SESSION_IDLE_TIMEOUT_STAFF, 8 hours by default): they
    write tips on their phones between patients, and a form typed over a
    morning must not meet a login page; all they can see is their own tips.
    Everyone who sees patients' authorizations, posts or approvals (the
    agency, doctors) gets the short one.
    """
    if access.is_staff_only(user):
        return int(settings.SESSION_IDLE_TIMEOUT_STAFF)
    return int(settings.SESSION_IDLE_TIMEOUT)


class SessionLimitsMiddleware:
    """End a session idle too long or older than SESSION_MAX_AGE; say why on the login page.

    A form sent after the end is not processed at all (nothing half-saved):
    the person lands on the login page, told why and that what they sent was
    not saved, and after signing in goes back to the page the form was on.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User):  # signed in (AnonymousUser otherwise)
            timeout = idle_timeout(user)
            reason = signin.session_expired(
                request.session, idle_timeout=timeout, max_age=settings.SESSION_MAX_AGE
            )
            if reason is not None:
                sentence = signin.end_session(request, user, reason=reason, idle_timeout=timeout)
                return _to_login(request, sentence)
            signin.touch(request.session)
        return self.get_response(request)


def _to_login(request: HttpRequest, sentence: str) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        back = request.get_full_path()
    else:
        sentence += " What you were sending was not saved: sign in, then send it again."
        back = _referring_page(request)
    messages.info(request, sentence)
    if not back or back == reverse("login"):
        return redirect("login")
    return redirect_to_login(back)


def _referring_page(request: HttpRequest) -> str:
    """The page a form was sent from, if it is one of ours (its path only)."""
    try:
        referer = urlsplit(request.headers.get("Referer", ""))
    except ValueError:  # not an address at all ("http://[x")
        return ""
    if referer.netloc != request.get_host():
        return ""
    return referer.path + (f"?{referer.query}" if referer.query else "")


class TwoFactorMiddleware:
    """Who must use two factors reaches only their second step (or logout) until done.

    The rule is practices.access.requires_two_factor; the step, enter a code
    or enrol an app first, is core.two_factor.pending_step.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            isinstance(user, User)
            and access.requires_two_factor(user)
            and not request.path_info.startswith(settings.STATIC_URL)
        ):
            step = two_factor.pending_step(user)
            if step is not None:
                target = reverse(STEP_URLS[step])
                if request.path_info not in (target, reverse("logout")):
                    back = request.get_full_path() if request.method in ("GET", "HEAD") else ""
                    if back == reverse("home"):
                        back = ""
                    return redirect_to_login(back, target) if back else redirect(target)
        return self.get_response(request)
