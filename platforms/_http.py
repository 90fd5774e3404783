"""One requests Session per client, explicit timeouts, and failures before a reply.

Whether a failed request may have done its work decides between retrying
(TransientError) and reading back first (AmbiguousOutcome), so the line is
drawn here once: a request that never left (connect failure or connect
timeout) did nothing; a create request that left and got no answer may have
created the post.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError

from platforms.base import ClientConfig
from platforms.errors import (
    SERVER_ERROR,
    ContentRejected,
    PlatformError,
    ReconnectNeeded,
    ThrottledError,
    TransientError,
    no_clear_answer,
)

USER_AGENT = "Rounds/1.0 (+https://rounds.health)"
# find_recent reads at most this many pages of a timeline. A busy account can
# have more posts since `since` than one page holds, and missing our post
# there would post it twice.
MAX_PAGES = 10
# How often send_idempotent sends a request whose answer keeps getting lost.
RESENDS = 3


class Transport:
    def __init__(self, platform: str, label: str, config: ClientConfig) -> None:
        self.platform = platform
        self.label = label  # "Facebook", "LinkedIn": how messages name the platform
        self.config = config
        self.timeout = (float(config.connect_timeout), float(config.read_timeout))
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        # No automatic retries (a retried POST could post twice; the engine
        # decides), and a pool big enough for a process full of worker threads.
        adapter = HTTPAdapter(pool_connections=16, pool_maxsize=64, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def request(
        self, method: str, url: str, *, create: bool = False, **kwargs: Any
    ) -> requests.Response:
        """Send once (never retried here); connection trouble becomes a classified error.

        create: this request creates the post, so losing the answer is ambiguous.
        """
        kwargs.setdefault("timeout", self.timeout)
        try:
            return self.session.request(method, url, **kwargs)
        except requests.ConnectTimeout as exc:
            raise self._unreachable(exc) from exc
        except requests.ConnectionError as exc:
            if _never_sent(exc):
                raise self._unreachable(exc) from exc
            raise self._lost(exc, create, "the connection was dropped") from exc
        except requests.Timeout as exc:
            raise self._lost(exc, create, "it did not answer in time") from exc
        except requests.RequestException as exc:
            raise self._lost(exc, create, "the answer was cut off") from exc

    def call(
        self,
        method: str,
        url: str,
        token: str,
        *,
        on_error: Callable[..., PlatformError],
        create: bool = False,
        allow_404: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """A Bearer-token request; an HTTP error raises on_error(resp, create=create).

        allow_404: the caller reads a 404 itself (the object is gone).
        """
        headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        resp = self.request(method, url, create=create, headers=headers, **kwargs)
        if resp.status_code >= 400 and not (allow_404 and resp.status_code == 404):
            raise on_error(resp, create=create)
        return resp

    def _unreachable(self, exc: Exception) -> PlatformError:
        return TransientError(
            f"Could not reach {self.label} ({type(exc).__name__}); nothing was sent.",
            platform=self.platform,
        )

    def _lost(self, exc: Exception, create: bool, what: str) -> PlatformError:
        return no_clear_answer(self.label, what, create=create, platform=self.platform)

    def download(self, url: str) -> bytes:
        """Fetch media bytes we were only given a URL for (our own signed media URL)."""
        resp = self.request("GET", url)
        if resp.status_code != 200:
            raise TransientError(
                f"Could not fetch the photo to upload to {self.label} (HTTP {resp.status_code}).",
                platform=self.platform,
            )
        return resp.content


def send_idempotent(
    send: Callable[[], requests.Response], *, attempts: int = RESENDS
) -> requests.Response:
    """Send a request that does the same work however often it arrives (one part of
    an upload, put or appended by its number), and send it again at once when no
    answer came back.

    A connection dropped on such a request is no reason to fail the whole job and
    wait for a retry: sending the part again cannot store it twice. Any answer, even
    an error, is final here and classified as usual: a 502 from a proxy did answer.
    """
    attempt = 1
    while True:
        try:
            return send()
        except TransientError as error:
            # Transport.request raises these from the requests exception when no
            # answer came; errors made from an answer have no such cause.
            lost = isinstance(error.__cause__, requests.RequestException)
            if not lost or attempt >= attempts:
                raise
            attempt += 1


def bare_status_error(
    resp: requests.Response, *, label: str, platform: str, create: bool
) -> PlatformError:
    """A failed answer whose body is not the platform's own error format: the status decides.

    Proxies and edge servers in front of every platform answer like this (a
    plain "429 Too Many Requests", an HTML "502 Bad Gateway"), and so does a
    platform that drops its body. Every client calls this before reading the
    body as its own, so the rule is the same for all five:
    - 429 is throttling: wait as long as Retry-After says (seconds or an HTTP
      date), or, without it, let the caller back off;
    - 408 and 5xx are no clear answer (after the create request: the post may
      exist, read back first);
    - 401 is an expired or revoked connection;
    - anything else is a refusal we cannot explain further.
    The body is never quoted: an HTML page is not what the platform said.
    """
    status = resp.status_code
    answered = f"HTTP {status} {resp.reason}".strip() if resp.reason else f"HTTP {status}"
    kw: dict[str, Any] = {"platform": platform, "platform_code": str(status)}
    if status == 429:
        return ThrottledError(
            f"{label}, or a server in front of it, is limiting our calls ({answered}); "
            "trying again later.",
            retry_after=retry_after_header(resp),
            **kw,
        )
    if status == 408 or status >= 500:
        return no_clear_answer(label, f"{SERVER_ERROR} ({answered})", create=create, **kw)
    if status == 401:
        return ReconnectNeeded(
            f"{label} no longer accepts this connection ({answered}); reconnect the account.",
            **kw,
        )
    return ContentRejected(
        f"{label}, or a server in front of it, refused the request ({answered}) without "
        "saying why.",
        **kw,
    )


def empty_answer_error(*, label: str, platform: str, create: bool) -> PlatformError:
    """A success status whose body is empty or not what the platform sends: no clear answer."""
    return no_clear_answer(
        label, "its answer was empty or unreadable", create=create, platform=platform
    )


def _never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection was never established, so the request did nothing."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError | NameResolutionError):
            return True
        stack.extend([getattr(item, "reason", None), item.__cause__, item.__context__])
        stack.extend(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))
    return False


def json_body(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except (ValueError, json.JSONDecodeError):
        return None


def retry_after_header(resp: requests.Response) -> float | None:
    """Retry-After in seconds, from either of its two forms."""
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # "-0000" parses as naive; HTTP dates are always UTC (RFC 9110).
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def seconds_until_epoch(epoch: str | None) -> float | None:
    if not epoch or not epoch.strip().isdigit():
        return None
    return float(max(1, math.ceil(int(epoch) - time.time())))


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 in the platforms' flavours ("Z", "+0000", fractions), or epoch ms."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def text_matches(remote: str, text: str, prepared: str) -> bool:
    """Whether a platform's copy of a post is ours.

    Callers may hand find_recent the caption as given to publish or as
    prepare_text returned it; both are accepted.
    """
    remote = remote.strip()
    return remote in (text.strip(), prepared.strip())
