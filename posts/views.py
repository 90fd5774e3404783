from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agency import access
from agency.http import client_ip
from agency.models import AuditEvent
from posts import media, ratelimit
from posts.forms import DeclineForm, FocalPointForm, TipFilterForm, TipForm
from posts.images import VARIANT_SPECS
from posts.models import IllegalTransition, Post, Tip, TipPhoto
from posts.tips import outcome, submit_tip, with_outcomes
from practices.forms import ConsentForm
from practices.services import MAX_CONSENT_DOCUMENT_BYTES


@require_GET
@login_required
def post_detail(request, pk):
    post = access.get_post_for_user(request.user, pk)
    return render(
        request,
        "posts/post_detail.html",
        {
            "post": post,
            "publications": post.publications.select_related("account").order_by(
                "account__platform"
            ),
            "approvals": post.approvals.select_related("reviewer"),
            "targets": post.targets.all(),
        },
    )


@require_GET
@login_required
def approvals(request):
    """The doctor's list: posts of their practices waiting for a decision."""
    roles = access.practice_roles(request.user)
    if roles is not None and access.DOCTOR not in roles.values() and not request.user.is_agency:
        raise PermissionDenied("Approvals are for the practice's doctors.")
    waiting = (
        access.posts_visible_to(request.user)
        .filter(status=Post.Status.IN_REVIEW)
        .order_by("scheduled_at", "created_at")
    )
    recent = (
        access.posts_visible_to(request.user)
        .exclude(status__in=[Post.Status.IN_REVIEW, Post.Status.DRAFT])
        .order_by("-updated_at")[:20]
    )
    return render(request, "posts/approvals.html", {"waiting": waiting, "recent": recent})


# -- tips: sending one --------------------------------------------------------


def _body_too_large(request) -> bool:
    """More than a tip's photos and a signed form can add up to, by the request's own count."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.MAX_TIP_BYTES + MAX_CONSENT_DOCUMENT_BYTES + 1024 * 1024


def _tip_forms(request, *, practice, via_link: bool, needs_policy: bool):
    """The tip form and the new-authorization form, bound on POST; a Tip once sent."""
    options = {
        "practice": practice,
        "via_link": via_link,
        "needs_policy": needs_policy,
        "show_existing": not via_link,
    }
    if request.method != "POST":
        return TipForm(**options), ConsentForm(practice=practice), None
    if _body_too_large(request):
        # Refused before the body is read: nothing of it reaches the disk.
        form = TipForm(**options)
        form.too_large = True
        return form, ConsentForm(practice=practice), None
    form = TipForm(request.POST, request.FILES, **options)
    # Bound (and so validated and shown with its errors) only when used.
    consent_form = (
        ConsentForm(request.POST, request.FILES, practice=practice)
        if form.wants_new_consent
        else ConsentForm(practice=practice)
    )
    valid = form.is_valid()
    new_consent = None
    if form.wants_new_consent:
        if consent_form.is_valid():
            new_consent = consent_form.build(signer_ip=client_ip(request))
            if valid:
                for problem in new_consent.problems_for(uses=form.needed_uses(), platforms=set()):
                    consent_form.add_error("uses", problem[0].upper() + problem[1:] + ".")
        valid = valid and not consent_form.errors
    photos = []
    if "photos" not in form.errors and form.cleaned_data.get("photos"):
        # Every photo is cleaned in memory before anything is stored, so that
        # one bad file stores nothing and the person hears about all of them.
        photos, problems = media.clean_uploads(form.cleaned_data["photos"])
        for problem in problems:
            form.add_error("photos", problem)
        valid = valid and not problems
    if not valid:
        return form, consent_form, None
    data = form.cleaned_data
    tip = submit_tip(
        practice=practice,
        kind=data["kind"],
        text=data["text"],
        photos=photos,
        features_patient=data["features_patient"],
        consent=data.get("consent") if not new_consent else None,
        new_consent=new_consent,
        new_consent_document=consent_form.signed_document if new_consent else None,
        by=None if via_link else request.user,
        submitter_name=data.get("submitter_name", ""),
        submitter_email=data.get("submitter_email", ""),
        policy_confirmed=bool(data.get("policy_confirmed")),
        ip_address=client_ip(request),
    )
    return form, consent_form, tip


@require_http_methods(["GET", "POST"])
@login_required
def staff_home(request):
    """Where staff land: send a tip, and see what became of the ones sent."""
    roles = access.practice_roles(request.user) or {}
    practices = list(
        access.practices_visible_to(request.user).filter(
            id__in=[pid for pid, role in roles.items() if role == access.STAFF]
        )
    )
    if not practices:
        raise PermissionDenied("This page is for practice staff.")
    wanted = request.GET.get("practice")
    practice = next((p for p in practices if p.slug == wanted), practices[0])
    membership = access.membership_for(request.user, practice)
    form, consent_form, tip = _tip_forms(
        request,
        practice=practice,
        via_link=False,
        needs_policy=membership.policy_confirmed_at is None,
    )
    if tip is not None:
        messages.success(request, "Thank you! Your tip is on its way to the agency.")
        return redirect(f"{reverse('staff_home')}?practice={practice.slug}#my-tips")
    tips = with_outcomes(
        access.tips_visible_to(request.user)
        .filter(submitted_by=request.user)
        .annotate(photo_count=Count("photos"))
    )[:50]
    return render(
        request,
        "posts/staff_home.html",
        {
            "practices": practices,
            "practice": practice,
            "form": form,
            "consent_form": consent_form,
            "rows": [(t, outcome(t)) for t in tips],
            "action": f"{reverse('staff_home')}?practice={practice.slug}",
            "max_photo_bytes": settings.MAX_PHOTO_BYTES,
        },
    )


@require_http_methods(["GET", "POST"])
def tip_link(request, token):
    """The practice's secret tip link: staff without an account send a tip."""
    practice = access.get_practice_for_tip_link(token)
    if request.method == "POST":
        # Per link before the body is read; per e-mail address once it is.
        verdict = ratelimit.hit(
            "tiplink",
            practice.tip_link_token,
            limit=settings.TIP_LINK_LIMIT_PER_LINK,
            window=settings.TIP_LINK_WINDOW,
        )
        if (
            verdict.allowed
            and not _body_too_large(request)
            and request.POST.get("submitter_email", "").strip()
        ):
            verdict = ratelimit.hit(
                "tipmail",
                f"{practice.pk}:{request.POST['submitter_email']}",
                limit=settings.TIP_LINK_LIMIT_PER_EMAIL,
                window=settings.TIP_LINK_WINDOW,
            )
        if not verdict.allowed:
            response = render(
                request,
                "posts/tip_link_limited.html",
                {"practice": practice, "minutes": max(1, round(verdict.retry_after / 60))},
                status=429,
            )
            response["Retry-After"] = str(verdict.retry_after)
            return response
    form, consent_form, tip = _tip_forms(
        request, practice=practice, via_link=True, needs_policy=True
    )
    if tip is not None:
        messages.success(request, "Thank you! Your tip is on its way to the agency.")
        return redirect("tip_link", token=token)
    response = render(
        request,
        "posts/tip_link.html",
        {
            "practice": practice,
            "form": form,
            "consent_form": consent_form,
            "action": reverse("tip_link", args=[token]),
            "max_photo_bytes": settings.MAX_PHOTO_BYTES,
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# -- tips: the agency's side ---------------------------------------------------


@require_GET
@login_required
def tip_detail(request, pk):
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
def tip_inbox(request, slug):
    """A practice's tips for its strategist: filter, decline, draft a post."""
    practice = access.get_practice_for_user(request.user, slug)
    filters = TipFilterForm(request.GET)
    tips = access.tips_visible_to(request.user).filter(practice=practice)
    if filters.is_valid():
        if filters.cleaned_data["kind"]:
            tips = tips.filter(kind=filters.cleaned_data["kind"])
        if filters.cleaned_data["status"]:
            tips = tips.filter(status=filters.cleaned_data["status"])
    tips = tips.order_by("-created_at").prefetch_related(
        Prefetch("tipphoto_set", queryset=TipPhoto.objects.select_related("asset"))
    )
    page = Paginator(tips, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "posts/tip_inbox.html",
        {
            "practice": practice,
            "filters": filters,
            "page": page,
            "tip_link": settings.SITE_URL.rstrip("/")
            + reverse("tip_link", args=[practice.tip_link_token]),
        },
    )


@require_POST
@login_required
def tip_decline(request, pk):
    tip = access.get_tip_for_user(request.user, pk, roles=access.AGENCY)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            tip.decline(reason=form.cleaned_data["reason"], by=request.user)
        except IllegalTransition as refused:
            messages.error(request, f"Not declined: {refused}.")
        else:
            AuditEvent.record("tip_declined", actor=request.user, practice=tip.practice, obj=tip)
            messages.success(request, "Tip declined; the person who sent it will see your reason.")
    else:
        messages.error(request, "Please say why the tip is declined.")
    return redirect(tip)


@require_POST
@login_required
def tip_link_rotate(request, slug):
    practice = access.get_practice_for_user(request.user, slug)
    practice.rotate_tip_link()
    AuditEvent.record(
        "tip_link_rotated",
        actor=request.user,
        practice=practice,
        obj=practice,
        ip_address=client_ip(request),
    )
    messages.success(request, "A new tip link is ready: the old one no longer works.")
    return redirect("tip_inbox", slug=practice.slug)


@require_GET
@login_required
def post_new(request):
    """Where "draft a post from this tip" leads until the post editor arrives."""
    if not request.user.is_agency:
        raise PermissionDenied("Posts are written by the agency.")
    tip = None
    tip_id = request.GET.get("tip", "")
    # isdecimal() alone admits digits of other scripts that int() refuses.
    if tip_id.isascii() and tip_id.isdecimal():
        tip = access.get_tip_for_user(request.user, int(tip_id), roles=access.AGENCY)
    return render(request, "posts/post_new.html", {"tip": tip})


# -- photos ------------------------------------------------------------------


def _file_response(field_file, content_type: str, *, cache: str) -> FileResponse:
    response = FileResponse(field_file.open("rb"), content_type=content_type)
    response["Cache-Control"] = cache
    response["Content-Disposition"] = "inline"
    return response


@require_GET
@login_required
def media_file(request, pk, spec):
    """A photo for someone logged in: the cleaned original, its thumbnail or a variant."""
    asset = access.get_media_for_user(request.user, pk)
    if spec == media.ORIGINAL:
        return _file_response(asset.file, asset.content_type, cache="private, max-age=3600")
    if not media.known_spec(spec):
        raise Http404("No such rendering.")
    variant = media.variant_for(asset, spec)
    return _file_response(
        variant.file, media.variant_content_type(variant.file.name), cache="private, max-age=3600"
    )


@require_GET
def media_signed(request, token):
    """A photo for the platforms (Instagram, Google fetch it): a signed, expiring URL."""
    try:
        asset_id, spec = media.resolve_signed(token)
    except media.MediaLinkExpired:
        return HttpResponse(status=410)
    except media.MediaLinkInvalid:
        return HttpResponse(status=404)
    asset = access.get_media_for_signed_link(asset_id)
    if spec == media.ORIGINAL:
        return _file_response(asset.file, asset.content_type, cache="public, max-age=300")
    variant = media.variant_for(asset, spec)
    return _file_response(
        variant.file, media.variant_content_type(variant.file.name), cache="public, max-age=300"
    )


@require_POST
@login_required
def media_focal_point(request, pk):
    asset = access.get_media_for_user(request.user, pk, roles=access.AGENCY)
    form = FocalPointForm(request.POST)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home")
    if form.is_valid():
        try:
            reopened = media.set_focal_point(asset, form.cleaned_data["x"], form.cleaned_data["y"])
        except IllegalTransition as refused:
            messages.error(request, f"Focal point not moved: {refused}.")
            return redirect(next_url)
        messages.success(request, "Focal point saved: crops keep it in frame.")
        if reopened:
            messages.warning(
                request,
                f"{len(reopened)} post{'s' if len(reopened) > 1 else ''} using this photo went "
                "back to draft: the approval covered the old crop.",
            )
    else:
        messages.error(request, "The focal point must lie within the photo (0 to 1 each way).")
    return redirect(next_url)
