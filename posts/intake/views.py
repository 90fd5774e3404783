"""Tips: staff sending one (logged in, or through the practice's secret link),
and the agency's inbox."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import AuthenticatedHttpRequest, client_ip
from imaging import VARIANT_SPECS
from posts import access
from posts.intake import inbox
from posts.intake import link_guard as tip_link_guard
from posts.intake import outcomes as tip_outcomes
from posts.intake.forms import DeclineForm, TipFilterForm, TipForms
from posts.intake.outcomes import outcome, with_outcomes
from posts.intake.tips import TipSubmission, decline_tip, submit_tip
from posts.media import videos
from posts.models import IllegalTransition, Tip
from practices import alerts
from practices.models import Practice
from practices.services import rotate_tip_link

# My tips: a page of them, newest first (a phone scrolls, it does not search).
MY_TIPS_PER_PAGE = 10

# -- sending one ---------------------------------------------------------------


def _tip_forms(
    request: HttpRequest, *, practice: Practice, via_link: bool, needs_policy: bool
) -> TipForms:
    if request.method != "POST" or tip_link_guard.body_too_large(request):
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
    mine = with_outcomes(
        access.tips_visible_to(request.user)
        .filter(submitted_by=request.user)
        .annotate(photo_count=Count("photos"))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(mine, MY_TIPS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(t, outcome(t)) for t in page]
    # The figures are of the last months, whichever page of tips is shown.
    since = timezone.now() - timedelta(days=tip_outcomes.MONTHS_SHOWN * 31)
    recent = [(t, outcome(t)) for t in mine.filter(created_at__gte=since)]
    return render(
        request,
        "posts/staff_home.html",
        {
            "practices": practices,
            "practice": practice,
            "form": forms.tip,
            "consent_form": forms.consent,
            "rows": rows,
            "page": page,
            "months": tip_outcomes.by_month(recent, zone=practice.zone),
            "action": f"{reverse('staff_home')}?practice={practice.slug}",
            "max_photo_bytes": settings.MAX_PHOTO_BYTES,
            **videos.limits_in_words(),
        },
    )


@require_http_methods(["GET", "POST"])
@tip_link_guard.guarded
def tip_link(request: HttpRequest, practice: Practice) -> HttpResponse:
    """The practice's secret tip link: staff without an account send a tip."""
    token = practice.tip_link_token
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
            **videos.limits_in_words(),
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# -- the agency's side -----------------------------------------------------------


@require_GET
@login_required
def tip_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    tip = access.get_tip_for_user(request.user, pk)
    is_agency = access.role_in(request.user, tip.practice_id) in access.AGENCY
    tips = with_outcomes(Tip.objects.filter(pk=tip.pk).select_related("practice"))
    assets = [tp.asset for tp in tip.tipphoto_set.select_related("asset")]
    return render(
        request,
        "posts/tip_detail.html",
        {
            "tip": tip,
            "outcome": outcome(tips[0]),
            "photos": [asset for asset in assets if not asset.is_video],
            "videos": [asset for asset in assets if asset.is_video],
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
    tips = filters.filter(access.tips_visible_to(request.user).filter(practice=practice))
    tips = tips.order_by("-created_at").values(*inbox.TIP_CARD_FIELDS)
    page = Paginator(tips, 30).get_page(request.GET.get("page"))
    shown = list(page)
    return render(
        request,
        "posts/tip_inbox.html",
        {
            "practice": practice,
            "zone": practice.time_zone,
            "filters": filters,
            "page": page,
            "cards": inbox.tip_cards(shown, photos=inbox.photos_of(shown)),
            "tip_link": settings.SITE_URL.rstrip("/")
            + reverse("tip_link", args=[practice.tip_link_token]),
        },
    )


@require_GET
@login_required
def tip_inbox_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every practice's tips for the agency person: new ones first, then the newest."""
    access.require_agency(request.user)
    filters = TipFilterForm(
        request.GET, practices=access.practices_visible_to(request.user).order_by("name")
    )
    tips = filters.filter(access.tips_visible_to(request.user)).order_by(
        Case(When(status=Tip.Status.NEW, then=0), default=1), "-created_at", "-pk"
    )
    page = Paginator(tips.values(*inbox.TIP_CARD_FIELDS), 30).get_page(request.GET.get("page"))
    shown = list(page)
    return render(
        request,
        "posts/tip_inbox.html",
        {
            "practice": None,
            # Times across practices: on the person's own clock.
            "zone": request.user.own_zone(),
            "filters": filters,
            "page": page,
            "cards": inbox.tip_cards(shown, photos=inbox.photos_of(shown)),
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
