"""What the access and two-factor tests share: the roles, what a person gets from a page or
an access check, and the steps of signing in with a code computed as the person's app would."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from core.models import AuthenticatorApp
from tests.factories import totp_code

# -- access ----------------------------------------------------------------------------

ROLES = [
    "lead",
    "strategist",
    "other_strategist",
    "staff",
    "other_staff",
    "doctor",
    "other_doctor",
    "outsider",
]


def page_status(client, user, url):
    client.force_login(user)
    return client.get(url).status_code


def outcome(function, *args):
    try:
        function(*args)
    except Http404:
        return 404
    except PermissionDenied:
        return 403
    return "ok"


# -- two-factor sign-in ------------------------------------------------------------

PASSWORD = "correct horse battery staple"
VERIFY = reverse("two_factor_verify")
SETUP = reverse("two_factor_setup")


def password_step(client, username, password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def recovery_codes(page: str) -> list[str]:
    return re.findall(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>", page)


def enrol(client, user) -> list[str]:
    """Through the real pages: password, the setup page, a code from the new app."""
    password_step(client, user.username)
    client.get(SETUP)
    device = AuthenticatorApp.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": totp_code(device)})
    assert response.status_code == 200
    return recovery_codes(response.text)
