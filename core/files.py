"""Files the apps write: uploads read within limits, and files that vanish with a failed
transaction.

Photos (posts.media) and signed authorization forms (practices.services) both
use these.
"""

from __future__ import annotations

import contextvars
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile

from imaging import ImageRejected

logger = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024


# -- files written in a transaction -----------------------------------------

_written: contextvars.ContextVar[list[tuple[Storage, str]] | None] = contextvars.ContextVar(
    "files_written", default=None
)


@contextmanager
def files_removed_on_failure() -> Iterator[None]:
    """Remove the files written inside this block if the block raises.

    Django has no hook for a rolled-back transaction, so the workflow that
    owns the transaction wraps it in this: rows roll back, files are deleted.

        with files.files_removed_on_failure(), transaction.atomic():
            ...
    """
    outer = _written.get()
    written: list[tuple[Storage, str]] = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        for storage, name in written:
            delete_quietly(storage, name)
        raise
    finally:
        _written.reset(token)
        if outer is not None:
            # A nested block that succeeded: its files are the outer block's
            # to remove if the outer one fails.
            outer.extend(written)


def save_file(field_file: FieldFile, name: str, data: bytes) -> str:
    """Write bytes through a FileField's storage; removed again if the block fails."""
    storage = field_file.storage
    stored = storage.save(
        field_file.field.generate_filename(field_file.instance, name), ContentFile(data)
    )
    ledger = _written.get()
    if ledger is not None:
        ledger.append((storage, stored))
    return stored


def stored_name(field_file: FieldFile) -> str:
    """The name of a file that was stored: only a new row's file field has none."""
    if field_file.name is None:
        raise ValueError(f"{field_file.instance!r} has no stored {field_file.field.name}")
    return field_file.name


def delete_quietly(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.warning("could not delete media file %s", name)


def delete_on_commit(storage: Storage, name: str) -> None:
    transaction.on_commit(lambda: delete_quietly(storage, name))


# -- reading and cleaning uploads -----------------------------------------


@dataclass
class UploadBudget:
    """Bytes left for the photos of one tip (settings.MAX_TIP_BYTES)."""

    remaining: int

    @classmethod
    def for_tip(cls) -> UploadBudget:
        return cls(remaining=settings.MAX_TIP_BYTES)


def read_upload(
    upload: UploadedFile[bytes], *, max_bytes: int, budget: UploadBudget | None = None
) -> bytes:
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
