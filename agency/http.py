"""Small helpers about the request itself."""

from __future__ import annotations


def client_ip(request) -> str | None:
    """The address the request came from, as recorded in audit events.

    Behind the production proxy this is the proxy's address unless the proxy
    sets REMOTE_ADDR (gunicorn's forwarded-allow-ips); good enough to tell
    sessions apart, never used for access decisions.
    """
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
