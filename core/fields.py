"""Model fields that encrypt their value at rest.

Platform tokens and authenticator apps' secrets are stored as Fernet tokens
(AES-128-CBC with HMAC-SHA256), so a database dump or a backup never holds a
credential in clear. The key is FIELD_ENCRYPTION_KEY. To rotate it: the new
key in FIELD_ENCRYPTION_KEY, the old one in FIELD_ENCRYPTION_OLD_KEYS (both
are read meanwhile), `manage.py reencrypt`, then the old key removed.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Combinable, Expression


@cache
def _keys(current: str, old: tuple[str, ...]) -> MultiFernet:
    # MultiFernet encrypts with the first key and decrypts with any.
    return MultiFernet([Fernet(key.encode()) for key in (current, *old)])


def _fernet() -> MultiFernet:
    return _keys(settings.FIELD_ENCRYPTION_KEY, tuple(settings.FIELD_ENCRYPTION_OLD_KEYS))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "an encrypted field could not be decrypted with FIELD_ENCRYPTION_KEY "
            "(or FIELD_ENCRYPTION_OLD_KEYS)"
        ) from None


def encrypt_bytes(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt_bytes(data: bytes) -> bytes:
    return _fernet().decrypt(data)


# django-stubs makes model fields generic over the values they take and give;
# Django's own TextField cannot be subscripted at runtime, so for mypy only.
if TYPE_CHECKING:
    _TextField = models.TextField[str | Combinable, str]
else:
    _TextField = models.TextField


class EncryptedTextField(_TextField):
    """A text value kept encrypted in the database; empty stays empty."""

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> str | None:
        if not value:  # None or ""
            return value
        return decrypt(value)

    def get_prep_value(self, value: object) -> str | None:
        # TextField's own preparation gives a str, or None.
        prepared: str | None = super().get_prep_value(value)
        if not prepared:  # None or ""
            return prepared
        return encrypt(prepared)
