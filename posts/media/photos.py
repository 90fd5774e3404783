"""Photos, the Django side: storing cleaned uploads, rendering variants, signed URLs.

The one entry point for storing a photo and for its variants.

`imaging` does the pixel work without Django; this module decides what
is written where. The rules it keeps (compliance rules, section 3):

- An upload is read in bounded chunks and cleaned (metadata stripped) before
  a single byte of it is written to MEDIA_ROOT; only the cleaned bytes are
  ever stored.
- The same cleaned photo uploaded twice to one practice is stored once.
- Files written inside a transaction that then fails are removed again
  (`files_removed_on_failure`): a rejected tip leaves no orphan on disk.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from PIL import Image

import imaging
from core import files
from core.models import User
from imaging import CleanedImage, ImageRejected
from posts.models import MediaAsset, MediaVariant, Post, Tip
from practices.models import PatientConsent, Practice

logger = logging.getLogger(__name__)

MAX_PHOTOS_PER_TIP = 10
CHUNK_BYTES = 256 * 1024
# Not a platform frame: the small picture lists and forms show.
THUMBNAIL = "thumbnail"
THUMBNAIL_SIZE = (480, 480)
ORIGINAL = "original"
_SIGNING_SALT = "posts.media.photos.signed-url"


def known_spec(spec: str) -> bool:
    return spec in imaging.VARIANT_SPECS or spec == THUMBNAIL


def signable(spec: str) -> bool:
    """What a signed URL may name: a photo's original or renderings, a video's X file or
    its cover."""
    return spec in (ORIGINAL, MediaVariant.FOR_X, MediaVariant.COVER) or known_spec(spec)


def clean_upload(
    upload: UploadedFile[bytes], *, budget: files.UploadBudget | None = None
) -> CleanedImage:
    """Read and clean one uploaded photo, in memory. Nothing is written."""
    data = files.read_upload(upload, max_bytes=settings.MAX_PHOTO_BYTES, budget=budget)
    return imaging.clean_image(
        data,
        filename=getattr(upload, "name", "") or "",
        max_bytes=settings.MAX_PHOTO_BYTES,
        max_pixels=settings.MAX_PHOTO_PIXELS,
    )


# -- storing ----------------------------------------------------------------


def store_cleaned(
    *, practice: Practice, cleaned: CleanedImage, by: User | None = None
) -> MediaAsset:
    """Store a cleaned photo for a practice, or return the one already stored."""
    existing = MediaAsset.objects.filter(practice=practice, sha256=cleaned.sha256).first()
    if existing is not None:
        return existing
    asset = MediaAsset(
        practice=practice,
        content_type=cleaned.content_type,
        width=cleaned.width,
        height=cleaned.height,
        size_bytes=len(cleaned.data),
        sha256=cleaned.sha256,
        uploaded_by=by if by is not None and by.is_authenticated else None,
    )
    name = files.save_file(asset.file, f"{cleaned.sha256[:20]}.{cleaned.extension}", cleaned.data)
    asset.file.name = name
    try:
        # A savepoint: two people sending the same photo at once both reach
        # here; the unique (practice, sha256) constraint lets one row win.
        with transaction.atomic():
            asset.save()
    except IntegrityError:
        files.delete_quietly(asset.file.storage, name)
        winner = MediaAsset.objects.filter(practice=practice, sha256=cleaned.sha256).first()
        if winner is None:
            raise
        return winner
    return asset


def store_photo(
    *,
    practice: Practice,
    upload: UploadedFile[bytes],
    by: User | None,
    budget: files.UploadBudget | None = None,
) -> MediaAsset:
    """Clean one uploaded photo and store it; ImageRejected says why it cannot be.

    Cleaning happens entirely in memory before anything is written, so a
    rejected upload leaves nothing behind.
    """
    cleaned = clean_upload(upload, budget=budget)
    with files.files_removed_on_failure():
        return store_cleaned(practice=practice, cleaned=cleaned, by=by)


def clean_uploads(
    uploads: Iterable[UploadedFile[bytes]],
) -> tuple[list[CleanedImage], list[str]]:
    """Clean every photo of one tip; return the cleaned photos and the problems.

    All photos are checked before any is stored, so a tip whose third photo
    is bad stores nothing, and the person hears about every bad file at once.
    """
    budget = files.UploadBudget.for_tip()
    cleaned, problems = [], []
    for upload in uploads:
        try:
            cleaned.append(clean_upload(upload, budget=budget))
        except ImageRejected as rejected:
            problems.append(rejected.message)
    return cleaned, problems


# -- variants ---------------------------------------------------------------


def _render(asset: MediaAsset, spec: str) -> tuple[bytes, int, int, str]:
    with asset.file.open("rb") as source:
        data = source.read()
    if spec == THUMBNAIL:
        with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as im:
            im.draft("RGB", THUMBNAIL_SIZE)
            im.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            fmt = "PNG" if im.mode == "RGBA" else "JPEG"
            im.save(out, fmt, **({"quality": 82} if fmt == "JPEG" else {}))
            return out.getvalue(), im.width, im.height, fmt.lower().replace("jpeg", "jpg")
    rendered = imaging.render_variant(data, spec, focal_x=asset.focal_x, focal_y=asset.focal_y)
    extension = "png" if rendered.content_type == "image/png" else "jpg"
    return rendered.data, rendered.width, rendered.height, extension


def variant_for(asset: MediaAsset, spec: str) -> MediaVariant:
    """The asset rendered for one frame, rendered now or taken from the cache.

    A cached variant made for another focal point is rendered again.
    """
    if not known_spec(spec):
        raise ValueError(f"unknown variant spec {spec!r}")
    current = MediaVariant.objects.filter(asset=asset, spec=spec).first()
    if (
        current is not None
        and current.focal_x == asset.focal_x
        and current.focal_y == asset.focal_y
        and current.file.storage.exists(files.stored_name(current.file))
    ):
        return current
    data, width, height, extension = _render(asset, spec)
    with files.files_removed_on_failure(), transaction.atomic():
        # Lock the asset row: two requests rendering the same variant at once
        # take turns, and the second finds the first one's work.
        locked = MediaAsset.objects.select_for_update().get(pk=asset.pk)
        current = MediaVariant.objects.filter(asset=locked, spec=spec).first()
        if (
            current is not None
            and current.focal_x == locked.focal_x
            and current.focal_y == locked.focal_y
            and current.file.storage.exists(files.stored_name(current.file))
        ):
            return current
        if (locked.focal_x, locked.focal_y) != (asset.focal_x, asset.focal_y):
            asset.focal_x, asset.focal_y = locked.focal_x, locked.focal_y
            data, width, height, extension = _render(asset, spec)
        variant = current or MediaVariant(asset=locked, spec=spec)
        old_name = variant.file.name if current is not None else ""
        variant.file.name = files.save_file(
            variant.file, f"{locked.sha256[:20]}-{spec}.{extension}", data
        )
        variant.focal_x, variant.focal_y = locked.focal_x, locked.focal_y
        variant.width, variant.height, variant.size_bytes = width, height, len(data)
        variant.save()
        if old_name:
            files.delete_on_commit(variant.file.storage, old_name)
    return variant


def drop_variants(asset: MediaAsset) -> None:
    """Forget the cached renderings (their files go once the transaction commits)."""
    for variant in list(asset.variants.all()):
        files.delete_on_commit(variant.file.storage, files.stored_name(variant.file))
        variant.delete()


def variant_content_type(name: str) -> str:
    return "image/png" if name.lower().endswith(".png") else "image/jpeg"


# -- signed URLs for the platforms -------------------------------------------


class MediaLinkExpired(Exception):
    pass


class MediaLinkWithdrawn(MediaLinkExpired):
    """Signed and in date, but no post needs the photo public any more (410 all the same)."""


class MediaLinkInvalid(Exception):
    pass


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SIGNING_SALT)


def signed_variant_url(
    variant: MediaVariant | None = None, *, asset: MediaAsset | None = None, spec: str = ""
) -> str:
    """An absolute URL that Instagram and Google can fetch without logging in.

    Valid for settings.MEDIA_URL_MAX_AGE seconds. Pass a variant, or an asset
    and a spec name (a key of imaging.VARIANT_SPECS, or "original" for
    the cleaned photo itself); the variant is rendered when first fetched.
    """
    if variant is not None:
        asset_id, spec = variant.asset_id, variant.spec
    elif asset is not None and spec:
        asset_id = asset.pk
    else:
        raise TypeError("signed_variant_url needs a variant, or an asset and a spec")
    if not signable(spec):
        raise ValueError(f"unknown variant spec {spec!r}")
    token = _signer().sign(f"{asset_id}.{spec}")
    return settings.SITE_URL.rstrip("/") + reverse("media_signed", args=[token])


def resolve_signed(token: str) -> tuple[int, str]:
    """The (asset id, spec) a signed token names; raises MediaLinkInvalid/Expired."""
    try:
        value = _signer().unsign(token, max_age=settings.MEDIA_URL_MAX_AGE)
    except signing.SignatureExpired:
        raise MediaLinkExpired from None
    except signing.BadSignature:
        raise MediaLinkInvalid from None
    asset_id, _, spec = value.partition(".")
    if not asset_id.isdigit() or not signable(spec):
        raise MediaLinkInvalid
    return int(asset_id), spec


def needed_publicly(asset: MediaAsset, *, at: datetime | None = None) -> bool:
    """Whether the platforms may still fetch this photo at a signed URL.

    They fetch it while a post goes out (outgoing.media_items signs the URL at that
    moment, and Instagram and Google download it then), so it is served while
    at least one post using it is not cancelled and relies on no patient
    authorization that is revoked or expired: the authorizations the post
    relies on are `Post.relied_consents` (attached to it, or its tip's), read
    the other way by `Post.relying_on_any`, the rule a revocation's takedown
    follows. A URL signed before a revocation or a cancellation stops working
    at once, not when its signature runs out a day later; a photo used by no
    post (a tip's photo, or one taken off its post) is never public.
    """
    at = at or timezone.now()
    lapsed = PatientConsent.objects.filter(Q(revoked_at__isnull=False) | Q(expires_at__lte=at))
    # The photo came with a patient's authorization that no longer holds:
    # whatever post it is in now, drafted from that tip or not, it is not served.
    came_with_lapsed = Tip.objects.filter(photos=OuterRef("pk"), consent__in=lapsed)
    going_out = Post.objects.filter(media=OuterRef("pk"), status__in=GOING_OUT).exclude(
        pk__in=Post.relying_on_any(lapsed).values("pk")
    )
    # One query: the platforms fetch a photo per post that goes out.
    return (
        MediaAsset.objects.filter(pk=asset.pk)
        .filter(~Exists(came_with_lapsed), Exists(going_out))
        .exists()
    )


# Posts whose photos a platform may fetch: on their way out, or to be tried
# again. A draft or a post in review is shown to people logged in, never at a
# signed URL.
GOING_OUT = (
    Post.Status.SCHEDULED,
    Post.Status.PUBLISHING,
    Post.Status.PARTIALLY_FAILED,
    Post.Status.FAILED,
)
