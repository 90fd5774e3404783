"""A video's cover: a frame the strategist picks, or a photo they upload."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from core import files
from core.http import AuthenticatedHttpRequest, safe_next
from imaging import ImageRejected
from posts import access
from posts.media import editing, videos
from posts.media import photos as media
from posts.models import IllegalTransition


@require_POST
@login_required
def media_cover(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    clip = access.get_media_for_user(request.user, pk, roles=access.AGENCY)
    next_url = safe_next(request, request.POST.get("next", ""), reverse("home"))
    if not clip.is_video or not clip.is_ready:
        messages.error(request, "Cover not changed: the video is not ready yet.")
        return redirect(next_url)
    upload = request.FILES.get("photo")
    if upload is not None:
        try:
            with files.files_removed_on_failure():
                photo = media.store_photo(practice=clip.practice, upload=upload, by=request.user)
                reopened = editing.set_cover(clip, photo, at=None)
        except ImageRejected as rejected:
            messages.error(request, f"Cover not changed: {rejected.message}")
            return redirect(next_url)
        except IllegalTransition as refused:
            messages.error(request, f"Cover not changed: {refused}.")
            return redirect(next_url)
        messages.success(request, "The photo is the video's cover now.")
        if reopened:
            messages.warning(
                request,
                f"{len(reopened)} post{'s' if len(reopened) > 1 else ''} using this video went "
                "back to draft: the approval covered the old cover.",
            )
        return redirect(next_url)
    try:
        at = float(request.POST.get("at", ""))
    except ValueError:
        at = -1.0
    duration = clip.duration or 0.0
    if not 0 <= at <= duration:
        messages.error(
            request, f"Cover not changed: give a moment between 0 and {duration:.1f} seconds."
        )
        return redirect(next_url)
    videos.queue_cover(clip, at)
    messages.success(
        request,
        f"The frame at {at:.1f} s is being taken for the cover; it shows here in a moment. "
        "Approved posts using this video go back to draft when it does.",
    )
    return redirect(next_url)
