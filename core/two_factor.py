"""Two-factor sign-in (HIPAA 164.312(d), person authentication): an authenticator app
(TOTP, core.models.AuthenticatorApp, its secret encrypted at rest) and single-use
recovery codes (django-otp's static device), verified by django-otp.

Who must use it is the access rule's business (`practices.access.requires_two_factor`);
this module holds the devices: enrolment, verification at sign-in, recovery
codes, and the demo exemption. Each step that changes something writes its
own audit event, with ids only: never a code or a secret.

Recovery codes are stored as an HMAC under SECRET_KEY, not in clear (django-otp
keeps static tokens as given): a copy of the database does not hold codes that
work. Rotating SECRET_KEY voids them; people then make new ones from their
security page after signing in with their app.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp import user_has_device, verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from core.models import AuditEvent, AuthenticatorApp, User

RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
VERIFY = "verify"
SETUP = "setup"


def is_exempt(user: User) -> bool:
    """The demo accounts (set by `manage.py demo_data`, never by a form) skip two factors.

    Never in production: there the flag is ignored, whoever set it.
    """
    return user.two_factor_exempt and not settings.PRODUCTION


def is_verified(user: User) -> bool:
    """Whether this session passed the second step (django-otp's OTPMiddleware says)."""
    return getattr(user, "otp_device", None) is not None


def has_device(user: User) -> bool:
    """An authenticator app or recovery codes, confirmed: what the second step asks for."""
    return bool(user_has_device(user, confirmed=True))


def pending_step(user: User) -> str | None:
    """What a person who must use two factors still has to do in this session, if anything.

    VERIFY: enter a code; SETUP: enrol an app first. An exempt account that
    set up an app anyway is asked for its codes like anyone.
    """
    if is_verified(user):
        return None
    if has_device(user):
        return VERIFY
    if is_exempt(user):
        return None
    return SETUP


# -- enrolment -----------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    device: Any  # an unconfirmed AuthenticatorApp (django-otp has no type information)
    secret: str  # base32, in groups of four, for typing into an app by hand
    qr_svg: str  # the otpauth:// address as an inline SVG QR code


def _totp_devices(user: User, *, confirmed: bool) -> Any:
    return AuthenticatorApp.objects.devices_for_user(user, confirmed=confirmed)


def start_enrolment(user: User, *, device_id: int | None) -> Enrolment:
    """The app to enrol in this session: a new unconfirmed device, or this session's own.

    `device_id` is the unconfirmed device this session was shown before (the
    caller keeps it in the session): reloading the page shows the same secret,
    so a person who scanned it already is not left with a code that no longer
    matches. Another session never sees it: someone who has only the password
    must not be able to copy the secret the real person is about to scan.
    """
    device = None
    if device_id is not None:
        device = _totp_devices(user, confirmed=False).filter(pk=device_id).first()
    if device is None:
        device = AuthenticatorApp.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=5, dark="#1d2733", light="#fff", title="QR code for your app")
    return Enrolment(
        device=device,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        # The title names it for screen readers once it is an image.
        qr_svg=svg.replace("<svg ", '<svg role="img" ', 1),
    )


def confirm_enrolment(
    *, user: User, device: Any, code: str, ip_address: str | None
) -> list[str] | None:
    """Confirm the new app with a code from it: it replaces any earlier app, and a fresh
    set of recovery codes replaces any earlier set. Returns the codes (shown once),
    or None when the code is wrong."""
    with transaction.atomic():
        accepted = verify_token(user, device.persistent_id, _digits(code))
        if accepted is None:
            AuditEvent.record(
                "two_factor_failed",
                actor=user,
                obj=user,
                detail={"step": "enrolment"},
                ip_address=ip_address,
            )
            return None
        replaced = _totp_devices(user, confirmed=True).exclude(pk=device.pk)
        had_app = replaced.exists()
        replaced.delete()
        # Secrets other sessions were shown can never be confirmed now.
        _totp_devices(user, confirmed=False).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        AuditEvent.record(
            "two_factor_enrolled",
            actor=user,
            obj=user,
            detail={"device": device.persistent_id, "replaced_app": had_app},
            ip_address=ip_address,
        )
    return codes


# -- the second step at sign-in ---------------------------------------------------


@dataclass(frozen=True)
class Check:
    device: Any | None  # the device that accepted the code, None when refused
    wait_seconds: int = 0  # django-otp's throttling: retry after this long


def verify(*, user: User, code: str, ip_address: str | None) -> Check:
    """A code from the app, or one of the recovery codes (used up by this).

    django-otp throttles each device after a wrong code (1, 2, 4, 8... seconds),
    so codes cannot be guessed quickly even by someone who has the password.
    """
    cleaned = _digits(code)
    recovery = not cleaned.isdigit()
    model = StaticDevice if recovery else AuthenticatorApp
    method = "recovery_code" if recovery else "app"
    devices = list(model.objects.devices_for_user(user, confirmed=True))
    # Held back after wrong codes: the code is not even tried (the right one
    # neither), and the person is told how long to wait.
    wait = _wait_seconds(devices)
    token = _recovery_hash(cleaned) if recovery else cleaned
    accepted = None
    for device in devices if not wait else []:
        # verify_token locks the device row, so a code is never accepted twice.
        accepted = verify_token(user, device.persistent_id, token)
        if accepted is not None:
            break
    if accepted is None:
        AuditEvent.record(
            "two_factor_failed",
            actor=user,
            obj=user,
            detail={"step": "sign_in", "method": method, "held_back": bool(wait)},
            ip_address=ip_address,
        )
        return Check(device=None, wait_seconds=wait)
    detail: dict[str, Any] = {"method": method}
    if recovery:
        detail["recovery_codes_left"] = accepted.token_set.count()
    AuditEvent.record(
        "two_factor_verified", actor=user, obj=user, detail=detail, ip_address=ip_address
    )
    return Check(device=accepted)


def _wait_seconds(devices: list[Any]) -> int:
    """How long django-otp's throttling holds the next try (0: try now)."""
    waits = [0]
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if not allowed and info and info.get("locked_until"):
            waits.append(int((info["locked_until"] - timezone.now()).total_seconds()) + 1)
    return max(waits)


# -- recovery codes --------------------------------------------------------------


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def regenerate_recovery_codes(*, user: User, ip_address: str | None) -> list[str]:
    """A fresh set of codes; the old ones stop working. Shown once, never stored in clear."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        AuditEvent.record(
            "recovery_codes_regenerated",
            actor=user,
            obj=user,
            detail={"count": len(codes)},
            ip_address=ip_address,
        )
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    # 50 random bits each (ten base32 characters, no 0/1/8/9 to misread),
    # shown as two groups of five: easy to copy by hand, impossible to guess
    # within django-otp's throttling.
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=_recovery_hash(code)) for code in codes
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _recovery_hash(code: str) -> str:
    # StaticToken.token holds 16 characters: 64 bits of the HMAC are plenty
    # against guessing online, and useless without SECRET_KEY offline.
    return salted_hmac("rounds.recovery-code", code, algorithm="sha256").hexdigest()[:16]


def _digits(code: str) -> str:
    """What people type, as compared: no spaces or dashes, lower case."""
    return "".join(code.split()).replace("-", "").lower()
