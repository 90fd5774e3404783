"""Rotating FIELD_ENCRYPTION_KEY: the old key still read, `manage.py reencrypt`, then gone."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from core.models import AuditEvent, AuthenticatorApp
from practices.models import SocialAccount
from tests import factories
from tests import media_samples as samples
from tests.practices.test_consents import with_pdf

pytestmark = pytest.mark.django_db


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 (names of ours)
        return str(cursor.fetchone()[0])


def test_a_new_key_reads_the_old_values_and_reencrypt_writes_them_again(
    settings, practice, lead, media_storage
):
    # The signed form in the media folder, then in an S3 bucket (tests/media_storage.py).
    old_key = settings.FIELD_ENCRYPTION_KEY
    account = factories.make_account(practice, "x", access_token="secret-a", refresh_token="r-1")
    app = AuthenticatorApp.objects.get(user=lead)
    consent = with_pdf(practice)
    before = media_storage.read(consent.document.name)

    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = new_key
    settings.FIELD_ENCRYPTION_OLD_KEYS = [old_key]
    # Meanwhile both keys are read.
    assert SocialAccount.objects.get(pk=account.pk).access_token == "secret-a"
    assert consent.document.open().read() == samples.pdf_bytes()

    out = io.StringIO()
    call_command("reencrypt", stdout=out)
    assert "3 values, 1 files" in out.getvalue()

    # Everything now opens with the new key alone, and no longer with the old.
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    account = SocialAccount.objects.get(pk=account.pk)
    assert (account.access_token, account.refresh_token) == ("secret-a", "r-1")
    assert AuthenticatorApp.objects.get(pk=app.pk).key == app.key
    # Rewritten in place, under the same name, and only the new key opens it.
    after = media_storage.read(consent.document.name)
    assert after != before
    assert media_storage.names() == {consent.document.name}
    Fernet(new_key.encode()).decrypt(after)
    assert consent.document.open().read() == samples.pdf_bytes()
    stored = raw("practices_socialaccount", "access_token", account.pk)
    Fernet(new_key.encode()).decrypt(stored.encode())
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(stored.encode())
    event = AuditEvent.objects.get(verb="encryption_rewritten")
    assert event.detail == {"values": 3, "files": 1}  # two tokens, one app; one form


def test_without_the_old_key_an_old_value_says_which_key_is_missing(settings, practice):
    account = factories.make_account(practice, "x", access_token="secret-a")
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(ValueError, match="FIELD_ENCRYPTION_OLD_KEYS"):
        SocialAccount.objects.get(pk=account.pk)
