"""Photos: for people logged in, for the platforms at signed URLs, and the focal point."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core import files
from core.http import AuthenticatedHttpRequest
from posts import access, editing, media
from posts.forms import FocalPointForm
from posts.models import IllegalTransition


def _file_response(field_file: FieldFile, content_type: str, *, cache: str) -> FileResponse:
    response = FileResponse(field_file.open("rb"), content_type=content_type)
    response["Cache-Control"] = cache
    response["Content-Disposition"] = "inline"
    return response


@require_GET
@login_required
def media_file(request: AuthenticatedHttpRequest, pk: int, spec: str) -> FileResponse:
    """A photo for someone logged in: the cleaned original, its thumbnail or a variant."""
    asset = access.get_media_for_user(request.user, pk)
    if spec == media.ORIGINAL:
        return _file_response(asset.file, asset.content_type, cache="private, max-age=3600")
    if not media.known_spec(spec):
        raise Http404("No such rendering.")
    variant = media.variant_for(asset, spec)
    return _file_response(
        variant.file,
        media.variant_content_type(files.stored_name(variant.file)),
        cache="private, max-age=3600",
    )


@require_GET
def media_signed(request: HttpRequest, token: str) -> HttpResponse | FileResponse:
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
        variant.file,
        media.variant_content_type(files.stored_name(variant.file)),
        cache="public, max-age=300",
    )


@require_POST
@login_required
def media_focal_point(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    asset = access.get_media_for_user(request.user, pk, roles=access.AGENCY)
    form = FocalPointForm(request.POST)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home")
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
