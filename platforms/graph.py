"""What Facebook Pages and Instagram share: the Graph API's calls and error codes."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import requests

from platforms._http import (
    MAX_PAGES,
    Transport,
    bare_status_error,
    empty_answer_error,
    json_body,
    retry_after_header,
)
from platforms.base import Account, AccountMetrics, ClientConfig, MediaItem, PublishRequest
from platforms.errors import (
    NO_ID,
    SERVER_ERROR,
    ContentRejected,
    DuplicateContent,
    PlatformError,
    ReconnectNeeded,
    ThrottledError,
    TransientError,
    no_clear_answer,
    said,
)

# Error codes from the Graph API's error reference (see platforms.md).
THROTTLE_CODES = {4, 17, 32, 341, 613, 368}
TOKEN_CODES = {102, 104, 190}
PERMISSION_CODES = {3, 10} | set(range(200, 300))
TRANSIENT_CODES = {1, 2}
NOT_READY = (9007, 2207027)  # Instagram container not FINISHED yet
QUOTA_SUBCODE = 2207042  # Instagram: 50 API posts per 24 h
MISSING = (100, 33)  # object does not exist (or cannot be seen)
# Instagram subcodes worth a retry: the download timed out; the container
# expired (a new one is built on the next attempt).
TRANSIENT_SUBCODES = {2207003, 2207008}


class GraphError(Exception):
    """A Graph error body, before it is classified for the caller."""

    def __init__(
        self, resp: requests.Response, error: dict[str, Any], *, bare: bool = False
    ) -> None:
        super().__init__(error.get("message", ""))
        self.resp = resp
        self.error = error
        # The body was not Graph's error format (a proxy's page, nothing at all).
        self.bare = bare
        self.code = _int(error.get("code"))
        self.subcode = _int(error.get("error_subcode"))

    @property
    def missing(self) -> bool:
        return (self.code, self.subcode) == MISSING


def insight_values(body: dict[str, Any]) -> dict[str, Any]:
    """An insights answer as {metric: its newest value}; a metric Graph left out (not
    reported yet: Instagram's lag up to 48 hours) is simply not there."""
    return {
        row.get("name"): (row.get("values") or [{}])[-1].get("value")
        for row in body.get("data") or []
    }


def account_figures(graph: GraphAPI, account: Account, reach_metric: str) -> AccountMetrics:
    """A Facebook Page's or an Instagram account's followers (the node's
    followers_count) and its reach of the day (`reach_metric`, a daily insight)."""
    token = account.access_token
    node = graph.call("GET", f"/{account.external_id}", token, params={"fields": "followers_count"})
    insights = graph.call(
        "GET",
        f"/{account.external_id}/insights",
        token,
        params={"metric": reach_metric, "period": "day"},
    )
    return AccountMetrics(
        followers=_int(node.get("followers_count")),
        reach=_int(insight_values(insights).get(reach_metric)),
    )


def the_video(request: PublishRequest, *, label: str, platform: str) -> MediaItem | None:
    """The post's video, or None for a photo or text post.

    A post with a video carries that video alone (neither Page videos nor Reels
    take photos beside it); anything else is refused before any call.
    """
    videos = [item for item in request.media if item.is_video]
    if not videos:
        return None
    if len(request.media) > 1:
        raise ContentRejected(
            f"A {label} post with a video carries that one video only; this post has "
            f"{len(request.media)} media items.",
            platform=platform,
        )
    return videos[0]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class GraphAPI:
    """Calls to one Graph host with a version prefix, classified on failure."""

    def __init__(self, transport: Transport, config: ClientConfig, host_role: str) -> None:
        self.http = transport
        self.config = config
        self.base = f"{config.host(host_role)}/{config.graph_version}"

    def call(
        self, method: str, path: str, token: str, *, create: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        """JSON answer of a successful call; a failure raises the classified PlatformError.

        create: this call creates the post, so a temporary failure is ambiguous.
        """
        try:
            return self.request(method, path, token, create=create, **kwargs)
        except GraphError as exc:
            raise self.classify(exc, create=create) from exc

    def call_if_exists(
        self, method: str, path: str, token: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        """Like call, but None when the object does not exist (or the token cannot see it)."""
        try:
            return self.request(method, path, token, **kwargs)
        except GraphError as exc:
            if exc.missing:
                return None
            raise self.classify(exc) from exc

    def rows(self, path: str, token: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The rows of a Graph list, newest first, following its cursors for MAX_PAGES pages.

        Lazy: a caller that stops early asks for no further pages.
        """
        params = dict(params)
        for _ in range(MAX_PAGES):
            body = self.call("GET", path, token, params=params)
            yield from body.get("data") or []
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            params["after"] = after

    def new_id(self, body: dict[str, Any], *, create: bool) -> str:
        """The id a successful call that made something answered with.

        A success without one is no clear answer: we cannot tell what was made.
        """
        if body.get("id"):
            return str(body["id"])
        raise no_clear_answer(self.http.label, NO_ID, create=create, platform=self.http.platform)

    def request(
        self,
        method: str,
        path: str,
        token: str,
        *,
        create: bool = False,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """JSON answer of a successful call; a failure raises GraphError, unclassified.

        For the few callers that read the error themselves; the rest use call.
        """
        params = dict(params or {})
        # appsecret_proof ties the token to our app, as apps that "require app
        # secret" must send; it costs nothing where it is not required.
        params["appsecret_proof"] = hmac.new(
            self.config.client_secret.encode(), token.encode(), hashlib.sha256
        ).hexdigest()
        resp = self.http.request(
            method,
            self.base + path,
            create=create,
            params=params,
            data=data,
            files=files,
            headers={"Authorization": f"Bearer {token}"},
        )
        body = json_body(resp)
        if resp.ok and isinstance(body, dict):
            return body
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise GraphError(resp, body["error"])
        raise GraphError(resp, {"message": f"HTTP {resp.status_code} {resp.reason}"}, bare=True)

    def classify(self, exc: GraphError, *, create: bool = False) -> PlatformError:
        return classify(exc, platform=self.http.platform, label=self.http.label, create=create)


def classify(exc: GraphError, *, platform: str, label: str, create: bool) -> PlatformError:
    """Turn a Graph error into the kind the engine acts on (platforms.md's table)."""
    if exc.bare:
        if exc.resp.ok:
            return empty_answer_error(label=label, platform=platform, create=create)
        return bare_status_error(exc.resp, label=label, platform=platform, create=create)
    error, code, sub = exc.error, exc.code, exc.subcode
    words = error.get("error_user_msg") or error.get("message") or ""
    if error.get("error_user_title") and error.get("error_user_msg"):
        words = f"{error['error_user_title']}: {error['error_user_msg']}"
    quoted = said(label, words)
    kw: dict[str, Any] = {"platform": platform, "platform_code": _code(code, sub)}
    status = exc.resp.status_code

    if sub == QUOTA_SUBCODE:
        return ThrottledError(
            f"{label} allows 50 posts per account per 24 hours through the API and this "
            f"account has reached it.{quoted}",
            retry_after=retry_after_header(exc.resp),
            **kw,
        )
    if code in THROTTLE_CODES or (code is not None and 80000 <= code < 80100):
        return ThrottledError(
            f"{label} is limiting how many calls we can make for this account right now; "
            f"trying again later.{quoted}",
            retry_after=graph_retry_after(exc.resp),
            **kw,
        )
    if code in TOKEN_CODES:
        return ReconnectNeeded(
            f"The {label} connection has expired or was revoked; reconnect the account.{quoted}",
            **kw,
        )
    if code in PERMISSION_CODES:
        return ReconnectNeeded(
            f"{label} says we lack a permission for this account; reconnect it and approve "
            f"every permission asked for.{quoted}",
            **kw,
        )
    if code == 506:
        return DuplicateContent(
            f"{label} says this exact post was already published.{quoted}", **kw
        )
    if code == NOT_READY[0]:
        return TransientError(f"{label} is still processing the photo.{quoted}", **kw)
    if sub in TRANSIENT_SUBCODES:
        return TransientError(f"{label} could not finish preparing the post.{quoted}", **kw)
    if code in TRANSIENT_CODES or error.get("is_transient") or status >= 500:
        return no_clear_answer(label, SERVER_ERROR, create=create, quoted=quoted, **kw)
    return ContentRejected(f"{label} refused the post.{quoted}", **kw)


def _code(code: int | None, sub: int | None) -> str | None:
    if code is None:
        return None
    return f"{code}/{sub}" if sub is not None else str(code)


def graph_retry_after(resp: requests.Response) -> float | None:
    """Seconds to wait, from Graph's usage headers or Retry-After."""
    header = resp.headers.get("X-Business-Use-Case-Usage")
    if header:
        try:
            usage = json.loads(header)
        except ValueError:
            usage = {}
        minutes = [
            entry.get("estimated_time_to_regain_access") or 0
            for entries in (usage.values() if isinstance(usage, dict) else [])
            if isinstance(entries, list)
            for entry in entries
            if isinstance(entry, dict)
        ]
        if minutes and max(minutes) > 0:
            return float(max(minutes)) * 60
    return retry_after_header(resp)
