"""Encrypted file storage for signed consent forms (compliance rules, section 6).

A signed authorization names a patient and often shows their signature and
date of birth. The bytes are encrypted with Fernet (core.fields) before they
leave the process, for the local folder and for object storage alike, and
decrypted only when a person with access opens them; a copy of the media
folder, of the bucket or of a backup holds nothing readable.

Which backend holds them follows the media's (settings.STORAGES
"consent_documents", set beside "default" by MEDIA_STORAGE): the field's
storage is `consent_document_storage`, a stand-in that asks the STORAGES
setting at each use, so that tests can switch backends, and the migrations
that name it (practices 0002) stay as they are.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject, empty

from core.fields import decrypt_bytes, encrypt_bytes
from core.storage import PrivateS3Storage

ALIAS = "consent_documents"


class EncryptedStorageMixin:
    """Keeps every file as one Fernet token, over whichever storage it is mixed into.

    Documents are small (a PDF or a photo of a paper form, a few megabytes at
    most), so the whole file is encrypted and decrypted in memory.
    """

    # _save and _open are the hooks Django documents for a custom storage, but
    # django-stubs leaves these private methods out of Storage: hence the ignores.

    def _save(self, name: str, content: File[bytes]) -> str:
        content.seek(0)
        stored: str = super()._save(name, ContentFile(encrypt_bytes(content.read())))  # type: ignore[misc]
        return stored

    def _open(self, name: str, mode: str = "rb") -> ContentFile[bytes]:
        if "w" in mode or "a" in mode:
            raise ValueError(
                "encrypted documents are written with save(), never opened for writing"
            )
        return ContentFile(decrypt_bytes(self.read_stored(name)), name=name)

    def size(self, name: str) -> int:
        # The decrypted size: what a download sends.
        with self._open(name) as document:
            return document.size

    def read_stored(self, name: str) -> bytes:
        """The bytes as stored: the Fernet token, never the document."""
        with super()._open(name, "rb") as stored:  # type: ignore[misc]
            data: bytes = stored.read()
            return data

    def reencrypt(self, name: str) -> bool:
        """Write the file again under the current key (any configured key opens it).

        False when there is no such file. The new token replaces the old one
        whole: a reader sees one or the other, never half of each.
        """
        try:
            token = self.read_stored(name)
        except FileNotFoundError:
            return False
        self._replace_stored(name, encrypt_bytes(decrypt_bytes(token)))
        return True

    def _replace_stored(self, name: str, token: bytes) -> None:
        raise NotImplementedError


@deconstructible(path="practices.storage.EncryptedFileSystemStorage")
class EncryptedFileSystemStorage(EncryptedStorageMixin, FileSystemStorage):
    """Consent documents in the media folder (MEDIA_STORAGE=filesystem)."""

    def _replace_stored(self, name: str, token: bytes) -> None:
        path = Path(self.path(name))
        # A new file beside it, then renamed over it: never half written.
        handle, temporary = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(token)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)


@deconstructible(path="practices.storage.EncryptedS3Storage")
class EncryptedS3Storage(EncryptedStorageMixin, PrivateS3Storage):
    """Consent documents in the media bucket (MEDIA_STORAGE=s3), encrypted before they go."""

    def _replace_stored(self, name: str, token: bytes) -> None:
        # One PUT replaces an object whole.
        self.put_object(name, token)


if TYPE_CHECKING:
    _LazyStorage = LazyObject[Storage]
else:  # LazyObject is generic in django-stubs only
    _LazyStorage = LazyObject


class _ConsentDocumentStorage(_LazyStorage):
    """The storage STORAGES["consent_documents"] names, looked up again when STORAGES changes."""

    def _setup(self) -> None:
        self._wrapped = storages[ALIAS]


_storage = _ConsentDocumentStorage()


def _storages_changed(*, setting: str, **kwargs: Any) -> None:
    # Django forgets its own backends on this signal (django.test.signals); so does this.
    if setting == "STORAGES":
        _storage._wrapped = empty  # type: ignore[assignment]  # LazyObject's own marker


setting_changed.connect(_storages_changed)


def consent_document_storage() -> Storage:
    """The consent documents' storage: the field calls this once, when the model is defined.

    What it returns asks settings.STORAGES for the backend when first used
    (MEDIA_ROOT too is read when a file is used: tests change both).
    """
    return cast(Storage, _storage)
