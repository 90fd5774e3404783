"""Photos: for people logged in, for the platforms at signed URLs, and the focal point."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core import files
from core.http import AuthenticatedHttpRequest, safe_next
from posts import access
from posts.media import editing
from posts.media import photos as media
from posts.media.forms import FocalPointForm
from posts.models import IllegalTransition, MediaAsset, MediaVariant


def _file_response(field_file: FieldFile, content_type: str, *, cache: str) -> FileResponse:
    """The stored file, streamed from its storage (the media folder or the bucket) in
    chunks as the client takes them: a video never sits whole in a web worker's memory.

    A file gone from the storage (lost with the media folder, a restore without
    it) is a 404, not an error page.
    """
    try:
        handle = field_file.storage.open(files.stored_name(field_file), "rb")
    except FileNotFoundError:
        raise Http404("This file is missing from the media storage.") from None
    response = FileResponse(handle, content_type=content_type)
    # FileResponse reads 4 KB at a time by default: a video would take thousands
    # of reads, each a write to the client.
    response.block_size = files.CHUNK_BYTES
    if not response.has_header("Content-Length"):
        # A bucket's object is read forward only, so FileResponse cannot measure
        # it; its size came with it.
        response["Content-Length"] = str(handle.size)
    response["Cache-Control"] = cache
    response["Content-Disposition"] = "inline"
    return response


@require_GET
@login_required
def media_file(request: AuthenticatedHttpRequest, pk: int, spec: str) -> FileResponse:
    """A photo for someone logged in: the cleaned original, its thumbnail or a variant."""
    return serve_asset(access.get_media_for_user(request.user, pk), spec)


def serve_asset(asset: MediaAsset, spec: str) -> FileResponse:
    """A photo the caller's access helper allowed: the original or a rendering.

    A patient's photo stays in no browser cache: the next person at a shared
    computer must not find it there (agency.middleware.NoStoreMiddleware
    holds every signed-in response to this too).
    """
    if asset.is_video:
        return _serve_video(asset, spec)
    if spec == media.ORIGINAL:
        return _file_response(asset.file, asset.content_type, cache="no-store")
    if not media.known_spec(spec):
        raise Http404("No such rendering.")
    variant = media.variant_for(asset, spec)
    return _file_response(
        variant.file,
        media.variant_content_type(files.stored_name(variant.file)),
        cache="no-store",
    )


def _serve_video(asset: MediaAsset, spec: str) -> FileResponse:
    """A video: the cleaned clip itself, or its cover in the photo sizes (lists show the
    cover where they show a photo). Nothing while it is still being prepared."""
    if not asset.is_ready:
        raise Http404("The video is not ready.")
    if spec == media.ORIGINAL:
        return _file_response(asset.file, asset.content_type, cache="no-store")
    if spec == MediaVariant.FOR_X:
        rendition = MediaVariant.objects.filter(asset=asset, spec=spec).first()
        if rendition is None:
            raise Http404("No such rendering.")
        return _file_response(rendition.file, "video/mp4", cache="no-store")
    if asset.poster is None:
        raise Http404("No such rendering.")
    if spec == MediaVariant.COVER:
        spec = media.ORIGINAL
    return serve_asset(asset.poster, spec)


# Signed photos: stored nowhere on the way. The platforms download the photo
# while a post goes out and keep their own copy, so a cache gains nothing, and
# a copy kept by any cache between us and them would go on serving a patient's
# photo after the authorization is revoked or the post cancelled, which this
# view refuses from that moment on.
#
# Streamed through us from whichever storage holds it, never a redirect to a
# pre-signed bucket URL, though that would spare a web worker: a pre-signed URL
# cannot be withdrawn, so the photo (or video) would stay fetchable until it
# expired, after the patient revoked the authorization that needed_publicly
# honours at once; and the bucket stays private, unknown to the platforms
# (docs/deploy.md, "Media storage").
_SIGNED_CACHE = "no-store"


@require_GET
def media_signed(request: HttpRequest, token: str) -> HttpResponse | FileResponse:
    """A photo for the platforms (Instagram, Google fetch it): a signed, expiring URL,
    answered while a post still needs the photo public (410 once none does)."""
    try:
        asset_id, spec = media.resolve_signed(token)
        asset = access.get_media_for_signed_link(asset_id)
    except media.MediaLinkExpired:  # out of date, or withdrawn
        return _empty(410)
    except media.MediaLinkInvalid:
        return _empty(404)
    try:
        if asset.is_video:
            return _serve_video(asset, spec)
        if spec == media.ORIGINAL:
            return _file_response(asset.file, asset.content_type, cache=_SIGNED_CACHE)
        variant = media.variant_for(asset, spec)
        return _file_response(
            variant.file,
            media.variant_content_type(files.stored_name(variant.file)),
            cache=_SIGNED_CACHE,
        )
    except Http404:  # the file is gone from the storage
        return _empty(404)


def _empty(status: int) -> HttpResponse:
    response = HttpResponse(status=status)
    response["Cache-Control"] = _SIGNED_CACHE
    return response


@require_POST
@login_required
def media_focal_point(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    asset = access.get_media_for_user(request.user, pk, roles=access.AGENCY)
    form = FocalPointForm(request.POST)
    next_url = safe_next(request, request.POST.get("next", ""), reverse("home"))
    if form.is_valid():
        try:
            reopened = editing.set_focal_point(
                asset, form.cleaned_data["x"], form.cleaned_data["y"]
            )
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
