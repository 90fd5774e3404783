"""The tip link's guard: the one way into the practice's secret tip link.

Anyone holding the link can post to it, so before the tip view runs,
`guarded` counts the attempt and checks the announced size, and only then
the CSRF token: CsrfViewMiddleware would read the whole body (uploads and
all, to disk) to find the token before any view ran, so the view is exempt
from the middleware and the same check is asked here, after the counting.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from core import ratelimit
from core.http import limited_address
from posts import access
from practices.models import Practice
from practices.services import MAX_CONSENT_DOCUMENT_BYTES

TipLinkView = Callable[[HttpRequest, Practice], HttpResponse]


def tip_request_limit() -> int:
    """The largest tip request taken: its photos, a video, a signed form, and a megabyte
    for the rest.

    The TLS proxy in front must let at least this much through (docs/deploy.md),
    or a large tip meets the proxy's bare 413 instead of the form's own message.
    """
    return (
        settings.MAX_TIP_BYTES + settings.MAX_VIDEO_BYTES + MAX_CONSENT_DOCUMENT_BYTES + 1024 * 1024
    )


def body_too_large(request: HttpRequest) -> bool:
    """More than a tip's photos and a signed form can add up to, by the request's own count."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > tip_request_limit()


def guarded(view: TipLinkView) -> Callable[[HttpRequest, str], HttpResponse]:
    """The view of the link `token`, given its practice, once an attempt may go on."""

    @csrf_exempt
    @wraps(view)
    def guarded_view(request: HttpRequest, token: str) -> HttpResponse:
        practice = access.get_practice_for_tip_link(token)
        if request.method == "POST":
            refused = _refusal(request, practice)
            if refused is not None:
                return refused
        return view(request, practice)

    return guarded_view


# What the CSRF check is asked through: the middleware's own code, with a
# stand-in for the view it guards (it skips views marked exempt).
_CSRF = CsrfViewMiddleware(lambda request: HttpResponse())


def _checked_view(request: HttpRequest) -> HttpResponse:
    """What _CSRF.process_view is told it guards; never run."""
    raise NotImplementedError


def _refusal(request: HttpRequest, practice: Practice) -> HttpResponse | None:
    """The page refusing this tip-link attempt, or None if it may go on.

    Anyone holding the link can post to it, so attempts are counted: per
    client address and per link before the body is read, the address first
    (an address over its own limit stops using up the link's, which the
    practice's other staff share), then per e-mail address once it is. When
    Redis cannot count, nothing is taken: a leaked link must not become
    unlimited for as long as Redis is away.
    """
    window = settings.TIP_LINK_WINDOW
    address = f"{practice.pk}:{limited_address(request)}"
    try:
        for name, value, limit in (
            ("tipaddr", address, settings.TIP_LINK_LIMIT_PER_ADDRESS),
            ("tiplink", practice.tip_link_token, settings.TIP_LINK_LIMIT_PER_LINK),
        ):
            verdict = ratelimit.count(name, value, limit=limit, window=window)
            if not verdict.allowed:
                return _tip_link_limited(request, practice, verdict)
        if body_too_large(request):
            return None  # the form says so; nothing of the body is read
        # Now the CSRF check the middleware was told to leave to this view
        # (it reads the body); None when the token is right.
        rejected = _CSRF.process_view(request, _checked_view, (), {})
        if rejected is not None:
            return rejected
        # Keyed as the form stores the address (trimmed), and case-folded:
        # " Sam@Clinic.example" draws on sam@clinic.example's budget.
        email = request.POST.get("submitter_email", "").strip().casefold()
        if email:
            verdict = ratelimit.count(
                "tipmail",
                f"{practice.pk}:{email}",
                limit=settings.TIP_LINK_LIMIT_PER_EMAIL,
                window=window,
            )
            if not verdict.allowed:
                return _tip_link_limited(request, practice, verdict)
    except ratelimit.Unavailable:
        response = render(
            request, "posts/tip_link_unavailable.html", {"practice": practice}, status=503
        )
        response["Retry-After"] = "60"
        return response
    return None


def _tip_link_limited(
    request: HttpRequest, practice: Practice, verdict: ratelimit.Verdict
) -> HttpResponse:
    response = render(
        request,
        "posts/tip_link_limited.html",
        {"practice": practice, "minutes": max(1, round(verdict.retry_after / 60))},
        status=429,
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response
