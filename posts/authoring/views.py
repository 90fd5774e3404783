"""The post editor: new (blank or from a tip), edit, the live checks, and its actions."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

import imaging
import video
from core import files
from core.http import AuthenticatedHttpRequest, optional_int
from platforms.base import PLATFORMS
from posts import access
from posts.authoring import editor
from posts.authoring.form import PostEditorForm, initial_for
from posts.content import Content, content_from_tip, content_of
from posts.media import photos as media
from posts.media import videos
from posts.models import CaptionTemplate, IllegalTransition, MediaAsset, Post, Tip
from posts.rules import best_times, compliance, previews
from practices.models import Practice

# The photo picker shows the practice's newest photos first, this many.
LIBRARY_SIZE = 60
# Where "add to queue" is offered: it schedules an approved post, and sets
# the time of one still being written or reviewed.
QUEUEABLE = [status.value for status in editor.EDITABLE]
# The frames the platforms get (one each), for the crops beside the focal point.
CROP_SPECS = [
    imaging.VARIANT_SPECS[name] for name in sorted(set(imaging.PLATFORM_VARIANT.values()))
]


def _library(practice: Practice, content: Content) -> list[MediaAsset]:
    """The practice's photos to choose from: the post's own first, then the newest."""
    chosen = {asset.pk for asset in content.photos}
    newest = list(
        MediaAsset.objects.filter(practice=practice)
        .exclude(pk__in=chosen)
        .order_by("-created_at", "-pk")[:LIBRARY_SIZE]
    )
    return [*content.photos, *newest]


def _photo_rows(
    library: list[MediaAsset], content: Content, platforms: list[str]
) -> list[dict[str, Any]]:
    position = {asset.pk: i for i, asset in enumerate(content.photos)}
    rows = []
    for asset in library:
        used = asset.pk in position
        rows.append(
            {
                "asset": asset,
                "used": used,
                "position": position[asset.pk] + 1 if used else "",
                "alt": content.alt_texts.get(asset.pk, asset.alt_text),
                "goes_to": [
                    (
                        platform,
                        used
                        and (
                            platform not in content.photo_choices
                            or asset.pk in content.photo_choices[platform]
                        ),
                    )
                    for platform in platforms
                ],
            }
        )
    return rows


def _page(
    request: AuthenticatedHttpRequest,
    *,
    practice: Practice,
    post: Post | None,
    tip: Tip | None,
    form: PostEditorForm,
    content: Content,
    confirm: str = "",
    status: int = 200,
) -> HttpResponse:
    platforms = sorted({account.platform for account in content.targets})
    checks = editor.check(practice=practice, content=content, post=post, tip=tip)
    return render(
        request,
        "posts/editor.html",
        {
            "practice": practice,
            "post": post,
            "tip": tip,
            "form": form,
            "content": content,
            "photo_rows": _photo_rows(form.library, content, list(PLATFORMS)),
            "target_platforms": platforms,
            "previews": previews.for_content(content),
            "checks": checks,
            "confirm": confirm,
            "comments": post.comments.select_related("author") if post else [],
            "needs_doctor": post.needs_doctor_approval() if post else None,
            # The agency's second look is by the lead or another strategist.
            "can_pass_review": post is not None
            and (request.user.is_agency_lead or post.author_id != request.user.pk),
            "can_cancel": post is not None and post.can("cancel"),
            "queueable": QUEUEABLE,
            "caption_templates": CaptionTemplate.for_practice(practice),
            "has_identifiers": any(f.kind == compliance.IDENTIFIER for f in checks.findings),
            "post_photos": [a for a in content.photos if not a.is_video] if post else [],
            "post_videos": [a for a in content.photos if a.is_video] if post else [],
            "video_accept": videos.VIDEO_ACCEPT,
            **videos.limits_in_words(),
            "crop_specs": [
                imaging.VARIANT_SPECS[spec]
                for spec in sorted(set(imaging.PLATFORM_VARIANT.values()))
            ],
            "own_zone": _own_zone(request, practice),
            "blocked": request.session.pop(_blocked_key(post.pk), None) if post else None,
        },
        status=status,
    )


def _blocked_key(pk: int) -> str:
    """Where a refused send leaves its reasons and note, until the editor shows them."""
    return f"send-blocked:{pk}"


def _own_zone(request: AuthenticatedHttpRequest, practice: Practice) -> str:
    """The person's own zone, when it is not the practice's (shown beside its times)."""
    zone = request.user.time_zone
    return zone if zone and zone != practice.time_zone else ""


def _start(
    request: AuthenticatedHttpRequest,
) -> tuple[Practice, Tip | None]:
    """A new post's practice, from ?tip= (its practice) or ?practice=<slug>."""
    tip_id = optional_int(request.GET.get("tip", "") or request.POST.get("tip", ""))
    if tip_id is not None:
        tip = access.get_tip_for_user(request.user, tip_id, roles=access.AGENCY)
        return tip.practice, tip
    slug = request.GET.get("practice", "") or request.POST.get("practice", "")
    if not slug:
        # A garbled tip id: the person's only practice, if they have one.
        access.require_agency(request.user)
        only = list(access.practices_visible_to(request.user)[:2])
        if len(only) == 1:
            return only[0], None
        raise Http404("Choose a practice to write for.")
    return access.get_practice_for_user(request.user, slug, roles=access.AGENCY), None


@require_http_methods(["GET", "POST"])
@login_required
def post_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new post for one practice, blank or drafted from a tip."""
    access.require_agency(request.user)
    if request.method == "GET" and not (request.GET.get("tip") or request.GET.get("practice")):
        return render(
            request,
            "posts/post_new.html",
            {"practices": access.practices_visible_to(request.user).order_by("name")},
        )
    practice, tip = _start(request)
    start = content_from_tip(tip) if tip else Content(caption="")
    return _edit(request, practice=practice, post=None, tip=tip, start=start)


@require_http_methods(["GET", "POST"])
@login_required
def post_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    post = access.get_post_for_user(request.user, pk, roles=access.AGENCY)
    return _edit(request, practice=post.practice, post=post, tip=post.tip, start=content_of(post))


def _edit(
    request: AuthenticatedHttpRequest,
    *,
    practice: Practice,
    post: Post | None,
    tip: Tip | None,
    start: Content,
) -> HttpResponse:
    library = _library(practice, start)
    if request.method == "GET":
        form = PostEditorForm(
            initial=initial_for(post, start, practice), practice=practice, library=library
        )
        return _page(request, practice=practice, post=post, tip=tip, form=form, content=start)

    form = PostEditorForm(request.POST, practice=practice, library=library)
    page = partial(_page, request, practice=practice, post=post, tip=tip, form=form)
    if not form.is_valid() or form.content is None:
        return page(content=start, status=400)
    content = form.content
    uploads = request.FILES.getlist("upload")
    cleaned, problems = media.clean_uploads(uploads) if uploads else ([], [])
    clip = None
    video_upload = request.FILES.get("upload_video")
    if video_upload and not problems:
        try:
            clip = videos.check_upload(video_upload)
        except video.VideoRejected as rejected:
            problems.append(rejected.message)
    for problem in problems:
        form.add_error(None, problem)
    if problems:
        return page(content=content, status=400)
    try:
        return _save(request, page, form, practice, post, tip, content, cleaned, clip)
    finally:
        if clip is not None:
            clip.discard()


def _save(
    request: AuthenticatedHttpRequest,
    page: partial[HttpResponse],
    form: PostEditorForm,
    practice: Practice,
    post: Post | None,
    tip: Tip | None,
    content: Content,
    cleaned: list[imaging.CleanedImage],
    clip: videos.CheckedVideo | None,
) -> HttpResponse:
    added: list[MediaAsset] = []
    try:
        # New photos and the save together: a refused save keeps no photo
        # (rows rolled back, files removed).
        with files.files_removed_on_failure(), transaction.atomic():
            for photo in cleaned:
                asset = media.store_cleaned(practice=practice, cleaned=photo, by=request.user)
                if asset not in content.photos:
                    content.photos.append(asset)
                    added.append(asset)
            if clip is not None:
                asset = videos.store_checked(practice=practice, checked=clip, by=request.user)
                if asset not in content.photos:
                    content.photos.append(asset)
                    added.append(asset)
            saved = editor.save(
                practice=practice,
                post=post,
                content=content,
                version=form.cleaned_data.get("version"),
                by=request.user,
                confirm_void=form.cleaned_data.get("confirm_void", False),
                tip=tip,
            )
    except editor.ConfirmVoid as warning:
        if cleaned or clip is not None:
            form.add_error(None, "Choose the new photos or video again when you save.")
        return page(content=_without(content, added), confirm=str(warning), status=409)
    except (IllegalTransition, ValueError) as refused:
        form.add_error(None, f"Not saved: {refused}.")
        return page(content=_without(content, added), status=409)
    if saved.others_reopened:
        names = ", ".join(str(other) for other in saved.others_reopened)
        messages.warning(
            request,
            f"The new alt text is part of other posts using the photo too; back to draft: {names}.",
        )
    if saved.voided:
        messages.warning(request, "Saved. The approval is void: send the post for approval again.")
    elif saved.rescheduled:
        messages.success(request, "Saved, and moved to the new time.")
    else:
        messages.success(request, "Saved.")
    if request.headers.get("X-Upload-Progress"):
        # Sent with a progress bar (static/js/editor.js): the page says where to
        # go, so that the message above waits for that page.
        return JsonResponse({"location": reverse("post_edit", args=[saved.post.pk])})
    return redirect("post_edit", pk=saved.post.pk)


def _without(content: Content, added: list[MediaAsset]) -> Content:
    """The content without the photos this request uploaded (a refused save kept none)."""
    content.photos = [asset for asset in content.photos if asset not in added]
    return content


@require_POST
@login_required
def post_checks(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The previews, counters and checks for the form as typed (htmx, at each pause)."""
    post = None
    post_id = optional_int(request.POST.get("post", ""))
    if post_id is not None:
        post = access.get_post_for_user(request.user, post_id, roles=access.AGENCY)
        practice, tip = post.practice, post.tip
        start = content_of(post)
    else:
        practice, tip = _start(request)
        start = content_from_tip(tip) if tip else Content(caption="")
    form = PostEditorForm(request.POST, practice=practice, library=_library(practice, start))
    form.is_valid()
    content = form.content or start
    checks = editor.check(practice=practice, content=content, post=post, tip=tip)
    return render(
        request,
        "posts/editor.html#live",
        {
            "practice": practice,
            "post": post,
            "previews": previews.for_content(content),
            "checks": checks,
            "form": form,
        },
    )


# -- actions -------------------------------------------------------------------------


@require_POST
@login_required
def post_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponseRedirect:
    """Send for approval, pass or send back an agency review, schedule, unschedule,
    queue or cancel (posts/urls.py names each)."""
    post = access.get_post_for_user(request.user, pk, roles=access.AGENCY)
    version = optional_int(request.POST.get("version", ""))
    try:
        if action == "send":
            post = editor.send_for_approval(
                post=post, version=version, by=request.user, note=request.POST.get("note", "")
            )
            if post.status == Post.Status.APPROVED:
                done = "Approved under the practice's policy: no doctor needs to see this post."
            elif post.status == Post.Status.AGENCY_REVIEW:
                done = "Sent for an agency review; the doctors see it once that is done."
            else:
                done = "Sent to the practice's doctors for approval: they get an e-mail now."
        elif action == "pass_review":
            editor.pass_agency_review(post=post, version=version, by=request.user)
            done = "Reviewed: sent to the practice's doctors for approval."
        elif action == "agency_changes":
            editor.agency_request_changes(
                post=post, version=version, by=request.user, comment=request.POST.get("comment", "")
            )
            done = "Sent back to its author with your comment."
        elif action == "schedule":
            post = editor.schedule(post=post, version=version, by=request.user)
            when = post.practice.local(post.scheduled_at) if post.scheduled_at else None
            done = f"Scheduled for {when:%A %-d %B, %H:%M %Z}." if when else "Scheduled."
        elif action == "queue":
            opening = editor.queue(post=post, version=version, by=request.user)
            when = post.practice.local(opening.at)
            done = (
                f"Queued for {when:%A %-d %B, %H:%M %Z}, "
                f"the next free {opening.platform_label} slot."
            )
        elif action == "unschedule":
            editor.unschedule(post=post, version=version, by=request.user)
            done = "Unscheduled: the post is approved and waits for a time."
        elif action == "cancel":
            reason = request.POST.get("reason", "")
            editor.cancel(post=post, version=version, by=request.user, reason=reason)
            done = "Cancelled."
        else:
            raise Http404("No such action.")
    except editor.NotReady as not_ready:
        if action == "send":
            # Shown as a list beside the send button on the editor's next load, with
            # the note for the doctor still in its box.
            request.session[_blocked_key(pk)] = {
                "reasons": not_ready.reasons,
                "note": request.POST.get("note", "")[:4000],
            }
        else:
            messages.error(request, "Not done: " + " ".join(not_ready.reasons))
    except IllegalTransition as refused:
        messages.error(request, f"Not done: {refused}.")
    else:
        messages.success(request, done)
    return redirect("post_edit", pk=pk)


@require_POST
@login_required
def post_duplicate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseRedirect:
    post = access.get_post_for_user(request.user, pk, roles=access.AGENCY)
    copy = editor.duplicate(post=post, by=request.user)
    messages.success(request, f"A copy of {post}, as a new draft.")
    return redirect("post_edit", pk=copy.pk)


@require_POST
@login_required
def post_comment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseRedirect:
    """Strategists and the practice's doctors talk about a post here."""
    post = access.get_post_for_user(request.user, pk)
    try:
        editor.comment(post=post, by=request.user, body=request.POST.get("body", ""))
    except ValueError as refused:
        messages.error(request, f"Not sent: {refused}.")
    if request.user.is_agency:
        return redirect(reverse("post_edit", args=[pk]) + "#comments")
    return redirect(post.get_absolute_url() + "#comments")


@require_POST
@login_required
def post_accept_identifiers(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseRedirect:
    post = access.get_post_for_user(request.user, pk, roles=access.AGENCY)
    try:
        accepted = compliance.accept_identifiers(
            post=post, reason=request.POST.get("reason", ""), by=request.user
        )
    except ValueError as refused:
        messages.error(request, f"Not recorded: {refused}.")
    else:
        messages.success(
            request,
            f"Recorded why {len(accepted)} finding(s) are fine; the doctor sees your reason.",
        )
    return redirect("post_edit", pk=pk)


@require_http_methods(["GET"])
@login_required
def best_time(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The editor's suggestion of the next good time, loaded after the page (htmx)."""
    practice = access.get_practice_for_user(request.user, slug)
    return render(
        request,
        "posts/_best_time.html",
        {"practice": practice, "suggestion": best_times.next_good_time(practice)},
    )
