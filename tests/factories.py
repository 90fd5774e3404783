"""Small helpers that make rows for tests. Plain functions, explicit arguments."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

from django.utils import timezone
from django_otp.oath import TOTP

from core.models import Assignment, AuthenticatorApp, User
from posts.models import Post, Tip
from practices.models import Membership, PatientConsent, Platform, Practice, SocialAccount

_seq = itertools.count(1)


def make_practice(name: str | None = None, **fields) -> Practice:
    n = next(_seq)
    name = name or f"Practice {n}"
    defaults = {
        "slug": f"practice-{n}",
        "specialty": Practice.Specialty.FAMILY_MEDICINE,
        "time_zone": "America/Chicago",
        "city": "Springfield",
        "state": "IL",
    }
    defaults.update(fields)
    return Practice.objects.create(name=name, **defaults)


def make_user(
    username: str | None = None,
    *,
    agency_role: str = "",
    two_factor: bool | None = None,
    **fields,
) -> User:
    """A person; one who must sign in with two factors (the agency, admin users) gets
    an authenticator app unless `two_factor=False` (see give_app)."""
    n = next(_seq)
    username = username or f"user{n}"
    user = User.objects.create_user(
        username=username,
        email=fields.pop("email", f"{username}@example.test"),
        password=fields.pop("password", "correct horse battery staple"),
        agency_role=agency_role,
        **fields,
    )
    if two_factor is None:
        two_factor = bool(agency_role) or user.is_staff
    if two_factor:
        give_app(user)
    return user


def give_app(user: User) -> AuthenticatorApp:
    """A confirmed authenticator app for this person.

    It is also kept on the object as `user.otp_device`, as django-otp's own
    login forms do with the device that verified a person: the test client's
    force_login (tests/conftest.py) then signs in with both factors, through
    django_otp.login() on this real device.
    """
    device = AuthenticatorApp.objects.create(user=user, name="Authenticator app", confirmed=True)
    user.otp_device = device
    return device


def totp_code(device: AuthenticatorApp) -> str:
    """The code the app shows now, or the next one when this one was used already
    (django-otp accepts each step once, and one step ahead)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += (device.last_t + 1 - totp.t()) * device.step
    return f"{totp.token():0{device.digits}d}"


def make_strategist(*practices: Practice, username: str | None = None) -> User:
    user = make_user(username, agency_role=User.AgencyRole.STRATEGIST)
    for practice in practices:
        Assignment.objects.create(strategist=user, practice=practice)
    return user


def make_member(practice: Practice, role: str, username: str | None = None) -> User:
    user = make_user(username)
    Membership.objects.create(user=user, practice=practice, role=role)
    return user


def make_account(practice: Practice, platform: str = Platform.FACEBOOK, **fields) -> SocialAccount:
    n = next(_seq)
    defaults = {
        "external_id": f"{platform}-{n}",
        "display_name": f"{practice.name} on {platform}",
        "access_token": f"token-{platform}-{n}",
    }
    defaults.update(fields)
    return SocialAccount.objects.create(practice=practice, platform=platform, **defaults)


def make_consent(practice: Practice, **fields) -> PatientConsent:
    now = timezone.now()
    defaults = {
        "patient_label": "Maria G.",
        "signer_name": "Maria Garcia",
        "uses": ["photo", "story"],
        "platforms": ["facebook", "instagram"],
        "expires_at": now + timedelta(days=730),
        "method": PatientConsent.Method.ESIGNATURE,
        "signed_at": now,
        "typed_signature": "Maria Garcia",
        "statements_acknowledged": True,
    }
    defaults.update(fields)
    return PatientConsent.objects.create(practice=practice, **defaults)


def make_tip(practice: Practice, submitted_by: User | None = None, **fields) -> Tip:
    defaults = {"kind": Tip.Kind.TEAM, "text": "Nurse Jo celebrates ten years with us."}
    defaults.update(fields)
    return Tip.objects.create(practice=practice, submitted_by=submitted_by, **defaults)


def make_post(practice: Practice, *, author: User | None = None, targets=(), **fields) -> Post:
    defaults = {"caption": "Congratulations to Nurse Jo on ten years of care!"}
    defaults.update(fields)
    post = Post.objects.create(practice=practice, author=author, **defaults)
    if targets:
        post.targets.set(targets)
    return post
