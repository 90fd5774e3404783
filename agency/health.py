"""/healthz: is this web process able to reach PostgreSQL and Redis?

Answered by a middleware at the head of the chain, before anything reads the
Host header: a load balancer or an orchestrator probes a container by its IP
address, which ALLOWED_HOSTS rightly does not list (every other path answers
such a request 400). This is safe because nothing in the answer comes from the
request: no URL is built from the host, no page, no cookie, only the two
states below. It is also answered over plain HTTP (the probe comes from inside
the network, not through the TLS proxy) and never cached.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

PATH = "/healthz"


def checks() -> dict[str, str]:
    """Each dependency's state: "ok" or "unreachable: <the error's type>"."""
    states = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        states["database"] = "ok"
    except Exception as exc:
        states["database"] = f"unreachable: {type(exc).__name__}"
    try:
        client = redis.Redis.from_url(
            settings.RQ_QUEUES["default"]["URL"], socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
        states["redis"] = "ok"
    except Exception as exc:
        states["redis"] = f"unreachable: {type(exc).__name__}"
    return states


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response: HttpResponse = HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        else:
            states = checks()
            healthy = all(state == "ok" for state in states.values())
            response = JsonResponse(
                {"status": "ok" if healthy else "unhealthy", **states},
                status=200 if healthy else 503,
            )
        add_never_cache_headers(response)
        return response
