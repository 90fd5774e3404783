"""A WSGI app that answers with what gunicorn told it: the scheme and the peer.

For tests/agency/test_client_ip.py, which runs gunicorn with agency/gunicorn.py's
configuration in front of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = f"{environ['wsgi.url_scheme']} {environ['REMOTE_ADDR']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
