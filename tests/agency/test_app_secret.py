"""The secret behind a person's codes is encrypted where it is stored, and apps set up before
that were moved to it (and back, for a migration undone)."""

from __future__ import annotations

from django.urls import reverse

from core.models import AuthenticatorApp
from tests.agency.support import VERIFY, password_step
from tests.factories import totp_code


def stored_key(device: AuthenticatorApp) -> str:
    """The key column as the database holds it (not through the model's field)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM agency_authenticatorapp WHERE id = %s", [device.pk])
        return str(cursor.fetchone()[0])


def test_the_apps_secret_is_encrypted_in_the_database(client, lead):
    from core.fields import decrypt

    device = AuthenticatorApp.objects.get(user=lead)
    held = stored_key(device)
    assert device.key not in held and len(device.key) == 40  # 20 bytes, hex
    assert decrypt(held) == device.key
    # And the app's codes still sign in.
    password_step(client, "lead")
    client.post(VERIFY, {"code": totp_code(device)})
    assert client.get(reverse("dashboard")).status_code == 200


def test_apps_enrolled_before_are_moved_to_the_encrypted_device(lead):
    import importlib

    from django.apps import apps
    from django_otp.plugins.otp_totp.models import TOTPDevice

    migration = importlib.import_module("core.migrations.0010_move_authenticator_apps")
    AuthenticatorApp.objects.filter(user=lead).delete()
    old = TOTPDevice.objects.create(user=lead, name="Authenticator app", confirmed=True, last_t=7)
    TOTPDevice.objects.filter(pk=old.pk).update(created_at="2025-01-02T03:04:05Z")
    migration.encrypt_apps(apps, None)
    assert not TOTPDevice.objects.exists()
    moved = AuthenticatorApp.objects.get(user=lead)
    assert (moved.key, moved.name, moved.confirmed, moved.last_t) == (old.key, old.name, True, 7)
    assert moved.created_at.year == 2025
    assert old.key not in stored_key(moved)
    # Back again, for a migration undone.
    migration.decrypt_apps(apps, None)
    assert TOTPDevice.objects.get(user=lead).key == old.key
    assert not AuthenticatorApp.objects.exists()
