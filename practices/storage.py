"""Encrypted file storage for signed consent forms (compliance rules, section 6).

A signed authorization names a patient and often shows their signature and
date of birth. The bytes are encrypted with Fernet (core.fields) before they
reach the disk and decrypted only when a person with access opens them; a copy
of MEDIA_ROOT or of a backup holds nothing readable.
"""

from __future__ import annotations

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

from core.fields import decrypt_bytes, encrypt_bytes


@deconstructible(path="practices.storage.EncryptedFileSystemStorage")
class EncryptedFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that keeps every file as one Fernet token.

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
        with super()._open(name, "rb") as stored:  # type: ignore[misc]
            return ContentFile(decrypt_bytes(stored.read()), name=name)

    def size(self, name: str) -> int:
        # The decrypted size: what a download sends.
        with self._open(name) as document:
            return document.size


def consent_document_storage() -> EncryptedFileSystemStorage:
    """A callable, so that MEDIA_ROOT is read when the file is used (tests change it)."""
    return EncryptedFileSystemStorage()
