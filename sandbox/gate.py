"""The checks every sandboxed API call passes through: token, then fault knobs.

Platform modules describe their own error bodies (a Dialect); this module
decides *when* to fail, so every platform injects faults the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Protocol

from sandbox.core import Request, Response, html_response, json_response
from sandbox.state import Sandbox

# Error kinds a dialect renders besides the knob kinds in state.ERROR_KINDS:
# "unauthenticated" (no token at all) and "server_error" (a 5xx after the
# work was done, the second ambiguous variant).


@dataclass
class ErrorContext:
    account: str
    retry_after_s: float
    now: datetime
    retry_after_set: bool = False  # chosen by a knob, not the default
    existing_id: str | None = None


class Dialect(Protocol):
    platform: str
    # Kinds this platform reports inside a successful answer rather than as an
    # error (Google: a created post in state REJECTED). The handler reads
    # them from req.injected.
    in_band: frozenset[str]

    def error(self, kind: str, ctx: ErrorContext) -> Response | None:
        """The platform's answer for this failure, or None if it has no such failure."""
        ...


def context(sb: Sandbox, platform: str, account: str) -> ErrorContext:
    knobs = sb.knobs(platform, account)
    chosen = knobs["retry_after_s"]
    return ErrorContext(
        account=account,
        retry_after_s=60.0 if chosen is None else float(chosen),
        retry_after_set=chosen is not None,
        now=sb.now(),
    )


def gate(
    sb: Sandbox,
    req: Request,
    dialect: Dialect,
    account: str,
    *,
    content: bool = False,
    create: bool = False,
) -> Response | None:
    """None to go ahead, or the error response to send instead.

    content: the call carries content a platform could refuse (uploads too).
    create: the call creates the post itself (duplicates apply, and the
    ambiguous knob applies afterwards in finish_create).
    """
    req.scope = (dialect.platform, account)
    ctx = context(sb, dialect.platform, account)
    knobs = sb.knobs(dialect.platform, account)
    for kind, rate in knobs["bare_rates"].items():
        if kind != "empty_200" and sb.roll(rate):
            return bare_response(kind, ctx)
    token = req.bearer
    if not token:
        return dialect.error("unauthenticated", ctx)
    problem = sb.token_problem(token)
    if problem == "revoked":
        return dialect.error("permission_revoked", ctx)
    if problem == "expired":
        return dialect.error("token_expired", ctx)

    rates = knobs["error_rates"]
    kinds = ["token_expired", "permission_revoked", "throttled", "transient"]
    if content or create:
        kinds.append("rejected")
    if create:
        kinds.append("duplicate")
    for kind in kinds:
        if not sb.roll(rates.get(kind, 0.0)):
            continue
        if kind in dialect.in_band:
            req.injected.add(kind)
            continue
        if kind == "duplicate":
            recent = sb.recent_posts(dialect.platform, account)
            ctx.existing_id = recent[0].id if recent else None
        response = dialect.error(kind, ctx)
        if response is not None:
            return response
    return None


def finish_create(sb: Sandbox, req: Request, dialect: Dialect, response: Response) -> Response:
    """After a post was created: maybe lose the answer (the ambiguous fault)."""
    platform, account = req.scope or (dialect.platform, "")
    knobs = sb.knobs(platform, account)
    if sb.roll(knobs["bare_rates"].get("empty_200", 0.0)):
        return Response(status=200, body=b"", headers={"Content-Type": "text/plain"})
    if not sb.roll(knobs["ambiguous_rate"]):
        return response
    mode = knobs["ambiguous_mode"]
    if mode == "mixed":
        mode = sb.choice(("drop", "5xx"))
    if mode == "drop":
        return Response(status=0, drop=True)
    if mode == "no_id":
        # Success, but neither the body nor a header names the new post.
        return json_response(response.status, {})
    return dialect.error("server_error", context(sb, platform, account)) or response


def finish_upload(sb: Sandbox, req: Request, response: Response) -> Response:
    """After an upload was stored: maybe answer without its id (uploads_without_id)."""
    platform, account = req.scope or ("", "")
    if sb.knobs(platform, account)["uploads_without_id"]:
        return json_response(response.status, {})
    return response


_PAGE = (
    "<!DOCTYPE html><html><head><title>{status} {reason}</title></head>"
    "<body><h1>{status} {reason}</h1><hr><p>nginx</p></body></html>"
)


def bare_response(kind: str, ctx: ErrorContext) -> Response:
    """What a proxy or edge server in front of the platform answers: no platform error body."""
    if kind.startswith("429"):
        headers = {"Content-Type": "text/plain"}
        if kind == "429_retry_after":
            headers["Retry-After"] = str(round(ctx.retry_after_s))
        elif kind == "429_retry_after_date":
            when = ctx.now + timedelta(seconds=ctx.retry_after_s)
            headers["Retry-After"] = format_datetime(when, usegmt=True)
        return Response(status=429, body=b"Too Many Requests", headers=headers)
    status, reason = (502, "Bad Gateway") if kind == "502_html" else (503, "Service Unavailable")
    return html_response(status, _PAGE.format(status=status, reason=reason))
