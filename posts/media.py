"""Photos, the Django side: storing cleaned uploads, rendering variants, signed URLs.

`posts.images` does the pixel work without Django; this module decides what
is written where. The rules it keeps (compliance rules, section 3):

- An upload is read in bounded chunks and cleaned (metadata stripped) before
  a single byte of it is written to MEDIA_ROOT; only the cleaned bytes are
  ever stored.
- The same cleaned photo uploaded twice to one practice is stored once.
- Files written inside a transaction that then fails are removed again
  (`files_removed_on_failure`): a rejected tip leaves no orphan on disk.
"""

from __future__ import annotations

import contextvars
import io
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.urls import reverse
from PIL import Image

from posts import images
from posts.images import CleanedImage, ImageRejected
from posts.models import IllegalTransition, MediaAsset, MediaVariant, Post

logger = logging.getLogger(__name__)

MAX_PHOTOS_PER_TIP = 10
CHUNK_BYTES = 256 * 1024
# Not a platform frame: the small picture lists and forms show.
THUMBNAIL = "thumbnail"
THUMBNAIL_SIZE = (480, 480)
ORIGINAL = "original"
_SIGNING_SALT = "posts.media.signed-url"


def known_spec(spec: str) -> bool:
    return spec in images.VARIANT_SPECS or spec == THUMBNAIL


# -- files written in a transaction -----------------------------------------

_written: contextvars.ContextVar[list[tuple[Storage, str]] | None] = contextvars.ContextVar(
    "posts_media_written", default=None
)


@contextmanager
def files_removed_on_failure() -> Iterator[None]:
    """Remove the files written inside this block if the block raises.

    Django has no hook for a rolled-back transaction, so the workflow that
    owns the transaction wraps it in this: rows roll back, files are deleted.

        with media.files_removed_on_failure(), transaction.atomic():
            ...
    """
    outer = _written.get()
    written: list[tuple[Storage, str]] = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        for storage, name in written:
            _delete_quietly(storage, name)
        raise
    finally:
        _written.reset(token)
        if outer is not None:
            # A nested block that succeeded: its files are the outer block's
            # to remove if the outer one fails.
            outer.extend(written)


def save_file(field_file, name: str, data: bytes) -> str:
    """Write bytes through a FileField's storage; removed again if the block fails."""
    storage = field_file.storage
    stored = storage.save(
        field_file.field.generate_filename(field_file.instance, name), ContentFile(data)
    )
    ledger = _written.get()
    if ledger is not None:
        ledger.append((storage, stored))
    return stored


def _delete_quietly(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.warning("could not delete media file %s", name)


def _delete_on_commit(storage: Storage, name: str) -> None:
    transaction.on_commit(lambda: _delete_quietly(storage, name))


# -- reading and cleaning uploads -----------------------------------------


@dataclass
class UploadBudget:
    """Bytes left for the photos of one tip (settings.MAX_TIP_BYTES)."""

    remaining: int

    @classmethod
    def for_tip(cls) -> UploadBudget:
        return cls(remaining=settings.MAX_TIP_BYTES)


def read_upload(upload, *, max_bytes: int, budget: UploadBudget | None = None) -> bytes:
    """The upload's bytes, read in bounded chunks; ImageRejected past a limit.

    `upload.size` is what the client claimed; the count of bytes actually
    read is what is enforced.
    """
    name = getattr(upload, "name", "") or ""
    limit = max_bytes if budget is None else min(max_bytes, budget.remaining)
    claimed = getattr(upload, "size", None)
    if claimed is not None and claimed > limit:
        raise _too_large(name, claimed, max_bytes, budget)
    buffer = io.BytesIO()
    upload.seek(0)
    for chunk in upload.chunks(CHUNK_BYTES):
        if buffer.tell() + len(chunk) > limit:
            raise _too_large(name, buffer.tell() + len(chunk), max_bytes, budget)
        buffer.write(chunk)
    if budget is not None:
        budget.remaining -= buffer.tell()
    return buffer.getvalue()


def _too_large(name: str, size: int, max_bytes: int, budget: UploadBudget | None) -> ImageRejected:
    quoted = f"“{name}”" if name else "This file"
    if size > max_bytes or budget is None:
        return ImageRejected(
            f"{quoted} is {_mb(size)}; a photo can be at most {_mb(max_bytes)}.", code="too_large"
        )
    return ImageRejected(
        f"{quoted} goes over the {_mb(settings.MAX_TIP_BYTES)} a tip's photos can add up to. "
        "Please send fewer photos, or send the rest in a second tip.",
        code="tip_too_large",
    )


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def clean_upload(upload, *, budget: UploadBudget | None = None) -> CleanedImage:
    """Read and clean one uploaded photo, in memory. Nothing is written."""
    data = read_upload(upload, max_bytes=settings.MAX_PHOTO_BYTES, budget=budget)
    return images.clean_image(
        data,
        filename=getattr(upload, "name", "") or "",
        max_bytes=settings.MAX_PHOTO_BYTES,
        max_pixels=settings.MAX_PHOTO_PIXELS,
    )


# -- storing ----------------------------------------------------------------


def store_cleaned(*, practice, cleaned: CleanedImage, by=None) -> MediaAsset:
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
    name = save_file(asset.file, f"{cleaned.sha256[:20]}.{cleaned.extension}", cleaned.data)
    asset.file.name = name
    try:
        # A savepoint: two people sending the same photo at once both reach
        # here; the unique (practice, sha256) constraint lets one row win.
        with transaction.atomic():
            asset.save()
    except IntegrityError:
        _delete_quietly(asset.file.storage, name)
        winner = MediaAsset.objects.filter(practice=practice, sha256=cleaned.sha256).first()
        if winner is None:
            raise
        return winner
    return asset


def store_photo(*, practice, upload, by, budget: UploadBudget | None = None) -> MediaAsset:
    """Clean one uploaded photo and store it; ImageRejected says why it cannot be.

    Cleaning happens entirely in memory before anything is written, so a
    rejected upload leaves nothing behind.
    """
    cleaned = clean_upload(upload, budget=budget)
    with files_removed_on_failure():
        return store_cleaned(practice=practice, cleaned=cleaned, by=by)


def clean_uploads(uploads: Iterable) -> tuple[list[CleanedImage], list[str]]:
    """Clean every photo of one tip; return the cleaned photos and the problems.

    All photos are checked before any is stored, so a tip whose third photo
    is bad stores nothing, and the person hears about every bad file at once.
    """
    budget = UploadBudget.for_tip()
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
    rendered = images.render_variant(data, spec, focal_x=asset.focal_x, focal_y=asset.focal_y)
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
        and current.file.storage.exists(current.file.name)
    ):
        return current
    data, width, height, extension = _render(asset, spec)
    with files_removed_on_failure(), transaction.atomic():
        # Lock the asset row: two requests rendering the same variant at once
        # take turns, and the second finds the first one's work.
        locked = MediaAsset.objects.select_for_update().get(pk=asset.pk)
        current = MediaVariant.objects.filter(asset=locked, spec=spec).first()
        if (
            current is not None
            and current.focal_x == locked.focal_x
            and current.focal_y == locked.focal_y
            and current.file.storage.exists(current.file.name)
        ):
            return current
        if (locked.focal_x, locked.focal_y) != (asset.focal_x, asset.focal_y):
            asset.focal_x, asset.focal_y = locked.focal_x, locked.focal_y
            data, width, height, extension = _render(asset, spec)
        variant = current or MediaVariant(asset=locked, spec=spec)
        old_name = variant.file.name if current is not None else ""
        variant.file.name = save_file(
            variant.file, f"{locked.sha256[:20]}-{spec}.{extension}", data
        )
        variant.focal_x, variant.focal_y = locked.focal_x, locked.focal_y
        variant.width, variant.height, variant.size_bytes = width, height, len(data)
        variant.save()
        if old_name:
            _delete_on_commit(variant.file.storage, old_name)
    return variant


def set_focal_point(asset: MediaAsset, x: float, y: float) -> list[Post]:
    """Move the point every crop keeps in frame; cached variants are dropped.

    The crop is part of what a doctor approves, so posts using this photo that
    are in review, approved or scheduled go back to draft (their approval is
    void) and are returned; a post being published right now cannot change.
    """
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise ValueError("the focal point must lie within the photo (0 to 1 across and down)")
    with transaction.atomic():
        using = Post.objects.select_for_update().filter(media=asset).order_by("pk")
        if any(post.status == Post.Status.PUBLISHING for post in using):
            raise IllegalTransition(
                "a post using this photo is being published right now; try again in a minute"
            )
        reopened = [post for post in using if post.can("reopen")]
        asset.focal_x, asset.focal_y = float(x), float(y)
        asset.save(update_fields=["focal_x", "focal_y"])
        for variant in list(asset.variants.all()):
            _delete_on_commit(variant.file.storage, variant.file.name)
            variant.delete()
        for post in reopened:
            post.reopen()
    return reopened


def variant_content_type(name: str) -> str:
    return "image/png" if name.lower().endswith(".png") else "image/jpeg"


# -- signed URLs for the platforms -------------------------------------------


class MediaLinkExpired(Exception):
    pass


class MediaLinkInvalid(Exception):
    pass


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SIGNING_SALT)


def signed_variant_url(
    variant: MediaVariant | None = None, *, asset: MediaAsset | None = None, spec: str = ""
) -> str:
    """An absolute URL that Instagram and Google can fetch without logging in.

    Valid for settings.MEDIA_URL_MAX_AGE seconds. Pass a variant, or an asset
    and a spec name (a key of posts.images.VARIANT_SPECS, or "original" for
    the cleaned photo itself); the variant is rendered when first fetched.
    """
    if variant is not None:
        asset_id, spec = variant.asset_id, variant.spec
    elif asset is not None and spec:
        asset_id = asset.pk
    else:
        raise TypeError("signed_variant_url needs a variant, or an asset and a spec")
    if spec != ORIGINAL and not known_spec(spec):
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
    if not asset_id.isdigit() or not (spec == ORIGINAL or known_spec(spec)):
        raise MediaLinkInvalid
    return int(asset_id), spec
