"""Request/response plumbing shared by the sandbox's platform modules."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, unquote


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


@dataclass
class Request:
    method: str
    role: str
    path: str  # raw (still percent-encoded) path after the role, starting with "/"
    raw_query: str
    headers: Message
    body: bytes
    base_url: str  # how the client reached us, for absolute URLs we hand out
    # (platform, account) once a platform module has identified them; the
    # server uses it to apply that scope's latency after answering.
    scope: tuple[str, str] | None = None
    injected: set[str] = field(default_factory=set)

    @cached_property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.raw_query, keep_blank_values=True).items()}

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default) or default

    @cached_property
    def form(self) -> dict[str, str]:
        if "application/x-www-form-urlencoded" not in self.header("Content-Type"):
            return {}
        pairs = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in pairs.items()}

    @cached_property
    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @cached_property
    def multipart(self) -> dict[str, Part]:
        ctype = self.header("Content-Type")
        if not ctype.startswith("multipart/"):
            return {}
        message = BytesParser(policy=policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + self.body
        )
        parts = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                parts[str(name)] = Part(
                    name=str(name),
                    filename=part.get_filename(),
                    content_type=part.get_content_type(),
                    data=part.get_payload(decode=True) or b"",
                )
        return parts

    @cached_property
    def params(self) -> dict[str, str]:
        """Query, form and multipart text fields merged (Graph accepts any of them)."""
        merged = dict(self.query)
        merged.update(self.form)
        for name, part in self.multipart.items():
            if part.filename is None:
                merged[name] = part.text
        return merged

    @cached_property
    def bearer(self) -> str:
        auth = self.header("Authorization")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return self.params.get("access_token", "").strip()


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Close the connection without answering: the "ambiguous" fault where the
    # platform did the work but the client never hears back.
    drop: bool = False


def json_response(
    status: int,
    payload: Any,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json; charset=UTF-8",
) -> Response:
    return Response(
        status=status,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": content_type, **(headers or {})},
    )


def html_response(status: int, html: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status=status,
        body=html.encode(),
        headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})},
    )


Handler = Callable[..., Response]


class Router:
    """Method + regex routes over the raw path; captured groups arrive unquoted."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern), handler))

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(method, pattern, handler)
            return handler

        return register

    def dispatch(self, sandbox: Any, req: Request) -> Response | None:
        path_matched = False
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(req.path)
            if not match:
                continue
            path_matched = True
            if method == req.method:
                sandbox.count_call(f"{method} {pattern.pattern}")
                return handler(sandbox, req, *(unquote(g) for g in match.groups()))
        if path_matched:
            return json_response(405, {"message": "Method not allowed"})
        return None


def cursor_page(items: list[Any], cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """One page of newest-first posts after an opaque cursor, and the next cursor.

    The cursor names the last post seen by its creation order, so posts
    created meanwhile never shift a later page (as offsets would).
    """
    before = None
    if cursor:
        try:
            before = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("seq:"))
        except (ValueError, UnicodeDecodeError):
            before = 0
    remaining = [p for p in items if before is None or p.seq < before]
    page = remaining[:limit]
    more = len(remaining) > limit and page
    next_cursor = (
        base64.urlsafe_b64encode(f"seq:{page[-1].seq}".encode()).decode() if more else None
    )
    return page, next_cursor


def iso(dt: datetime | None) -> str | None:
    """RFC 3339 with a Z, as Google and X write it."""
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def graph_time(dt: datetime) -> str:
    """Graph API time format: 2026-11-22T21:15:17+0000."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def epoch_ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)
