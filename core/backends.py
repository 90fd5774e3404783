from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from core import signin
from core.models import User


class EmailOrUsernameBackend(ModelBackend):
    """Log in with either the username or the e-mail address, throttled.

    The throttle (core.signin.LoginThrottle) sits here, not in a view, so that
    every way in that checks a password (our login page, the admin's own
    login page) is counted and locked alike. A locked account, or a count
    Redis cannot keep, stops authentication with PermissionDenied: no other
    backend is asked, and the right password gets nowhere.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        # Without a request (a shell, the test client's login()) there is no
        # one to throttle.
        throttle = None
        if request is not None and username:
            throttle = signin.LoginThrottle.for_request(request, username)
            if self._locked(throttle):
                raise PermissionDenied("sign-in is paused for this account or address")
        if username and "@" in username:
            found = User.objects.filter(email__iexact=username).first()
            if found is not None:
                username = found.get_username()
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if throttle is not None:
            try:
                if user is None:
                    throttle.failed()
                else:
                    throttle.succeeded()
            except signin.Unavailable:
                throttle.unavailable = True
                raise PermissionDenied("sign-in attempts cannot be counted") from None
        return user

    @staticmethod
    def _locked(throttle: signin.LoginThrottle) -> bool:
        """Locked, or not countable (fail closed: unlimited guesses are worse)."""
        try:
            return throttle.lock() is not None
        except signin.Unavailable:
            throttle.unavailable = True
            return True
