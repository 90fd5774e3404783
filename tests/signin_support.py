"""Signing people in for tests: a test client that passes the second step too, and the
codes an authenticator app would show (tests.factories.give_app makes the app)."""

from __future__ import annotations

import django_otp
from django.http import HttpRequest
from django.test import Client


class SignInClient(Client):
    """Django's test client, whose force_login also passes the second step of sign-in
    for a person that tests.factories gave an authenticator app (`user.otp_device`):
    through django_otp.login(), on that real device, as the code page does.

    Everyone else (staff, doctors, `two_factor=False` people) is signed in
    with the password step only, exactly as force_login always did.
    """

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        device = getattr(user, "otp_device", None)
        if device is not None:
            session = self.session
            request = HttpRequest()
            request.session = session
            request.user = user
            django_otp.login(request, device)
            session.save()
