"""Small helpers about the request itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from core.models import User


def client_ip(request: HttpRequest | None) -> str | None:
    """The address the request came from, as recorded in audit events.

    Behind the production proxy this is the proxy's address unless the proxy
    sets REMOTE_ADDR (gunicorn's forwarded-allow-ips); good enough to tell
    sessions apart, never used for access decisions.
    """
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind login_required: its user is one of ours, never anonymous."""

    user: User
