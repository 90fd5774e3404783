"""Files the apps write: uploads read within limits, and files that vanish with a failed
transaction.

Photos (posts.media.photos) and signed authorization forms (practices.services) both
use these. Everything goes through Django's storage API, never a local path: the
storage is the media folder or an S3 bucket (settings, MEDIA_STORAGE; core.storage).
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile, File
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


def save_stream(field_file: FieldFile, name: str, content: File[bytes]) -> str:
    """Write an open file through a FileField's storage in chunks (a video is never read
    whole); removed again if the block fails."""
    storage = field_file.storage
    stored = storage.save(field_file.field.generate_filename(field_file.instance, name), content)
    ledger = _written.get()
    if ledger is not None:
        ledger.append((storage, stored))
    return stored


def stored_name(field_file: FieldFile) -> str:
    """The name of a file that was stored: only a new row's file field has none."""
    if field_file.name is None:
        raise ValueError(f"{field_file.instance!r} has no stored {field_file.field.name}")
    return field_file.name


# What a storage's delete raises when the file stays: the folder's OSError, the
# bucket's refusal (ClientError) or no answer from it (BotoCoreError).
_DELETE_FAILED = (OSError, ClientError, BotoCoreError)


def delete_quietly(storage: Storage, name: str) -> None:
    """Delete a file that nothing needs any more; a failure leaves an orphan, logged.

    Called for clean-up (a failed block's files, a replaced variant), often
    after a commit, where raising would turn finished work into an error.
    """
    try:
        storage.delete(name)
    except _DELETE_FAILED as error:
        logger.warning("could not delete media file %s: %s", name, type(error).__name__)


def delete_on_commit(storage: Storage, name: str) -> None:
    transaction.on_commit(lambda: delete_quietly(storage, name))


# -- where large uploads wait to be cleaned -------------------------------

# Longer than any request lives (gunicorn's timeout is 60 s): such a file was
# left by a process killed mid-request.
STALE_UPLOAD_SECONDS = 60 * 60


def prepare_upload_dir(path: str | Path) -> Path:
    """Make the folder for uploads too large to keep in memory: private, and clean.

    Django writes an upload over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary
    file in settings.FILE_UPLOAD_TEMP_DIR as it arrives, before anything is
    cleaned: the photo's GPS position and camera serial are in it. Django
    deletes it when the request ends (the response's close() closes the
    request's files, after an error too); only a killed process leaves one,
    and the next start removes it. Called at start-up (core.apps).
    """
    folder = Path(path)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir's mode passes through the umask, and a folder made earlier
        # keeps the mode it had.
        folder.chmod(0o700)
    except OSError as error:
        raise ImproperlyConfigured(
            f"The upload folder {folder} cannot be made private: {error}"
        ) from error
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    for entry in folder.iterdir():
        # Another process starting at the same time may remove it first.
        with contextlib.suppress(OSError):
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
    return folder


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
