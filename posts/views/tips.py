"""Tips: staff sending one (logged in, or through the practice's secret link),
and the agency's inbox."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import ratelimit
from core.http import AuthenticatedHttpRequest, client_ip, limited_address
from imaging import VARIANT_SPECS
from posts import access, list_rows, tip_outcomes
from posts.forms import DeclineForm, TipFilterForm, TipForms
from posts.models import IllegalTransition, Tip
from posts.tip_outcomes import outcome, with_outcomes
from posts.tips import TipSubmission, decline_tip, submit_tip
from practices import alerts
from practices.models import Practice
from practices.services import MAX_CONSENT_DOCUMENT_BYTES, rotate_tip_link

# -- sending one ---------------------------------------------------------------


def tip_request_limit() -> int:
    """The largest tip request taken: its photos, a signed form, and a megabyte for the rest.

    The TLS proxy in front must let at least this much through (docs/deploy.md),
    or a large tip meets the proxy's bare 413 instead of the form's own message.
    """
    return settings.MAX_TIP_BYTES + MAX_CONSENT_DOCUMENT_BYTES + 1024 * 1024


def _body_too_large(request: HttpRequest) -> bool:
    """More than a tip's photos and a signed form can add up to, by the request's own count."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > tip_request_limit()


def _tip_forms(
    request: HttpRequest, *, practice: Practice, via_link: bool, needs_policy: bool
) -> TipForms:
    if request.method != "POST" or _body_too_large(request):
        # Too large: refused before the body is read, nothing of it reaches the disk.
        return TipForms(
            practice=practice,
            via_link=via_link,
            needs_policy=needs_policy,
            too_large=request.method == "POST",
        )
    return TipForms(
        request.POST,
        request.FILES,
        practice=practice,
        via_link=via_link,
        needs_policy=needs_policy,
        signer_ip=client_ip(request),
    )


@require_http_methods(["GET", "POST"])
@login_required
def staff_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where staff land: send a tip, and see what became of the ones sent."""
    practices = access.staff_practices(request.user)
    wanted = request.GET.get("practice")
    practice = next((p for p in practices if p.slug == wanted), practices[0])
    membership = access.membership_for(request.user, practice)
    forms = _tip_forms(
        request,
        practice=practice,
        via_link=False,
        needs_policy=membership.policy_confirmed_at is None,
    )
    if forms.is_valid():
        submission = forms.submission()
        tip = submit_tip(submission, by=request.user, ip_address=client_ip(request))
        messages.success(request, "Thank you! Your tip is on its way to the agency.")
        if _owes_printed_copy(submission):
            # The signer is owed a copy (45 CFR 164.508(c)(4)) and gave no address.
            return redirect("authorization_copy", pk=tip.pk)
        return redirect(f"{reverse('staff_home')}?practice={practice.slug}#my-tips")
    tips = with_outcomes(
        access.tips_visible_to(request.user)
        .filter(submitted_by=request.user)
        .annotate(photo_count=Count("photos"))
    )[:50]
    rows = [(t, outcome(t)) for t in tips]
    return render(
        request,
        "posts/staff_home.html",
        {
            "practices": practices,
            "practice": practice,
            "form": forms.tip,
            "consent_form": forms.consent,
            "rows": rows,
            "months": tip_outcomes.by_month(rows, zone=practice.zone),
            "action": f"{reverse('staff_home')}?practice={practice.slug}",
            "max_photo_bytes": settings.MAX_PHOTO_BYTES,
        },
    )


# CsrfViewMiddleware reads the whole body (uploads and all, to disk) to find
# the form's token before any view runs. The tip link is open to anyone who
# holds it, so its view counts attempts and checks the announced size first
# and asks for the same CSRF check only then (_tip_link_refusal).
_CSRF = CsrfViewMiddleware(lambda request: HttpResponse())


def _checked_view(request: HttpRequest) -> HttpResponse:
    """What _CSRF.process_view is told it guards (it skips views marked exempt); never run."""
    raise NotImplementedError


@csrf_exempt
@require_http_methods(["GET", "POST"])
def tip_link(request: HttpRequest, token: str) -> HttpResponse:
    """The practice's secret tip link: staff without an account send a tip."""
    practice = access.get_practice_for_tip_link(token)
    if request.method == "POST":
        refused = _tip_link_refusal(request, practice)
        if refused is not None:
            return refused
    forms = _tip_forms(request, practice=practice, via_link=True, needs_policy=True)
    if forms.is_valid():
        submission = forms.submission()
        tip = submit_tip(submission, by=None, ip_address=client_ip(request))
        if _owes_printed_copy(submission) and tip.consent is not None:
            # Shown once, here: without an account there is no page to come back to.
            return render(
                request,
                "posts/authorization_copy.html",
                {"consent": tip.consent, "copy": alerts.authorization_copy(tip.consent)},
            )
        messages.success(request, "Thank you! Your tip is on its way to the agency.")
        return redirect("tip_link", token=token)
    response = render(
        request,
        "posts/tip_link.html",
        {
            "practice": practice,
            "form": forms.tip,
            "consent_form": forms.consent,
            "action": reverse("tip_link", args=[token]),
            "max_photo_bytes": settings.MAX_PHOTO_BYTES,
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _tip_link_refusal(request: HttpRequest, practice: Practice) -> HttpResponse | None:
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
        if _body_too_large(request):
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


# -- the agency's side -----------------------------------------------------------


@require_GET
@login_required
def tip_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    tip = access.get_tip_for_user(request.user, pk)
    is_agency = access.role_in(request.user, tip.practice_id) in access.AGENCY
    tips = with_outcomes(Tip.objects.filter(pk=tip.pk).select_related("practice"))
    return render(
        request,
        "posts/tip_detail.html",
        {
            "tip": tip,
            "outcome": outcome(tips[0]),
            "photos": [tp.asset for tp in tip.tipphoto_set.select_related("asset")],
            "is_agency": is_agency,
            "decline_form": DeclineForm() if is_agency and tip.status == Tip.Status.NEW else None,
            "previews": [VARIANT_SPECS["instagram_square"], VARIANT_SPECS["facebook"]],
            "now": timezone.now(),
        },
    )


@require_GET
@login_required
def tip_inbox(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """A practice's tips for its strategist: filter, decline, draft a post."""
    practice = access.get_practice_for_user(request.user, slug)
    filters = TipFilterForm(request.GET)
    tips = access.tips_visible_to(request.user).filter(practice=practice)
    if filters.is_valid():
        if filters.cleaned_data["kind"]:
            tips = tips.filter(kind=filters.cleaned_data["kind"])
        if filters.cleaned_data["status"]:
            tips = tips.filter(status=filters.cleaned_data["status"])
    tips = tips.order_by("-created_at").values(*list_rows.TIP_CARD_FIELDS)
    page = Paginator(tips, 30).get_page(request.GET.get("page"))
    shown = list(page)
    return render(
        request,
        "posts/tip_inbox.html",
        {
            "practice": practice,
            "filters": filters,
            "page": page,
            "cards": list_rows.tip_cards(shown, photos=list_rows.photos_of(shown)),
            "tip_link": settings.SITE_URL.rstrip("/")
            + reverse("tip_link", args=[practice.tip_link_token]),
        },
    )


@require_POST
@login_required
def tip_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    tip = access.get_tip_for_user(request.user, pk, roles=access.AGENCY)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            decline_tip(tip, reason=form.cleaned_data["reason"], by=request.user)
        except IllegalTransition as refused:
            messages.error(request, f"Not declined: {refused}.")
        else:
            messages.success(request, "Tip declined; the person who sent it will see your reason.")
    else:
        messages.error(request, "Please say why the tip is declined.")
    return redirect(tip)


@require_POST
@login_required
def tip_link_rotate(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    practice = access.get_practice_for_user(request.user, slug)
    rotate_tip_link(practice, by=request.user, ip_address=client_ip(request))
    messages.success(request, "A new tip link is ready: the old one no longer works.")
    return redirect("tip_inbox", slug=practice.slug)


def _owes_printed_copy(submission: TipSubmission) -> bool:
    """An authorization signed with this tip, whose signer gave no address for their copy."""
    return submission.new_consent is not None and not submission.new_consent.signer_email


@require_GET
@login_required
def authorization_copy(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A printable copy of the authorization signed with a tip, for the signer."""
    tip = access.get_tip_for_user(request.user, pk)
    if tip.consent is None:
        raise Http404("This tip has no authorization.")
    return render(
        request,
        "posts/authorization_copy.html",
        {"consent": tip.consent, "copy": alerts.authorization_copy(tip.consent), "tip": tip},
    )
