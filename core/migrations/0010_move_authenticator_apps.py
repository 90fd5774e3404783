"""Each app enrolled as django-otp's TOTPDevice (secret in clear) becomes an
AuthenticatorApp (secret encrypted), and the clear copy is deleted.

A session that passed its second step with a moved app is asked for a code
once more: the device it names no longer exists.
"""

from django.db import migrations

FIELDS = (
    "user_id",
    "name",
    "confirmed",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "last_used_at",
    "key",
    "step",
    "t0",
    "digits",
    "tolerance",
    "drift",
    "last_t",
)


def move(source, target):
    for device in source.objects.order_by("pk"):
        moved = target.objects.create(**{field: getattr(device, field) for field in FIELDS})
        # created_at is set on create (auto_now_add): the enrolment's own date back.
        target.objects.filter(pk=moved.pk).update(created_at=device.created_at)
    source.objects.all().delete()


def encrypt_apps(apps, schema_editor):
    move(apps.get_model("otp_totp", "TOTPDevice"), apps.get_model("agency", "AuthenticatorApp"))


def decrypt_apps(apps, schema_editor):
    move(apps.get_model("agency", "AuthenticatorApp"), apps.get_model("otp_totp", "TOTPDevice"))


class Migration(migrations.Migration):
    dependencies = [
        ("agency", "0009_authenticator_app"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(encrypt_apps, decrypt_apps)]
