"""Logins and failed logins are audit events (HIPAA 164.312(b)); a login starts the
session's clock (idle timeout and absolute lifetime, core.signin)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from core import signin
from core.http import client_ip
from core.models import AuditEvent, User


@receiver(user_logged_in)
def record_login(sender: type[User], request: HttpRequest, user: User, **kwargs: Any) -> None:
    AuditEvent.record("login", actor=user, obj=user, ip_address=client_ip(request))


@receiver(user_logged_in)
def start_session_clock(
    sender: type[User], request: HttpRequest, user: User, **kwargs: Any
) -> None:
    signin.start_session_clock(request.session)


@receiver(user_login_failed)
def record_login_failure(
    sender: str, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The username tried is kept so that a brute-force attempt can be seen;
    # never the password.
    AuditEvent.record(
        "login_failed",
        actor_label=str(credentials.get("username", ""))[:200],
        ip_address=client_ip(request),
    )
