"""The one interface every platform client implements, and the plain data it speaks.

Nothing here knows about Django: the Django side builds a ClientConfig from
settings and Accounts from its rows, and stores what comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Protocol

from platforms.errors import (
    AmbiguousOutcome,
    ContentRejected,
    DeleteUnsupported,
    DuplicateContent,
    PlatformError,
    ReconnectNeeded,
    ThrottledError,
    TransientError,
)

__all__ = [
    "HOST_ROLES",
    "PLATFORMS",
    "Account",
    "AmbiguousOutcome",
    "ClientConfig",
    "ContentRejected",
    "DeleteUnsupported",
    "DuplicateContent",
    "MediaItem",
    "Metrics",
    "PlatformClient",
    "PlatformError",
    "PublishRequest",
    "PublishResult",
    "ReconnectNeeded",
    "RemotePost",
    "Target",
    "ThrottledError",
    "TokenSet",
    "TransientError",
]

PLATFORMS = ("facebook", "instagram", "linkedin", "x", "google_business")

# The host roles a ClientConfig must name (the keys of settings.PLATFORM_HOSTS).
HOST_ROLES = (
    "graph",
    "graph_video",
    "facebook_www",
    "instagram_graph",
    "instagram_api",
    "instagram_www",
    "linkedin_api",
    "linkedin_www",
    "x_api",
    "x_www",
    "google_business",
    "google_accounts",
    "google_info",
    "google_oauth",
    "google_www",
)


@dataclass(frozen=True)
class ClientConfig:
    hosts: dict[str, str]
    graph_version: str
    linkedin_version: str
    connect_timeout: float
    read_timeout: float
    client_id: str
    client_secret: str
    # Instagram containers and LinkedIn images are processed asynchronously.
    # A client polls this many times, this far apart, then gives up with a
    # TransientError carrying resumable state rather than holding a worker.
    poll_interval: float = 2.0
    poll_attempts: int = 15
    # Bytes per part where we choose the part size of a video upload (X's
    # APPEND): under X's 5 MB a segment. The chaos test makes parts small.
    upload_chunk_bytes: int = 4 * 1024 * 1024

    def host(self, role: str) -> str:
        return self.hosts[role].rstrip("/")


@dataclass(frozen=True)
class Account:
    """One connected page or profile.

    external_id: Facebook page id, Instagram user id, "urn:li:organization:N",
    X user id, or Google "accounts/A/locations/L".
    """

    external_id: str
    access_token: str


@dataclass(frozen=True)
class MediaItem:
    """One photo or one video of a post, as the platform is to receive it.

    A photo comes with its bytes (`data`), or None to fetch from `url`. A
    video is never held whole: `open` gives a fresh binary file on a local
    disk, opened once per upload, to seek in and read one part at a time;
    `size` is its length in bytes, and `url` is where platforms that fetch by
    URL take it.
    `cover_url`: the poster frame (a JPEG), for platforms that take a cover.
    """

    url: str
    data: bytes | None = None
    content_type: str = "image/jpeg"
    alt_text: str = ""
    open: Callable[[], BinaryIO] | None = None
    size: int = 0
    duration: float = 0.0  # seconds, a video's
    width: int = 0
    height: int = 0
    cover_url: str = ""

    @property
    def is_video(self) -> bool:
        return self.content_type.startswith("video/")


@dataclass(frozen=True)
class PublishRequest:
    text: str
    media: tuple[MediaItem, ...] = ()
    link: str | None = None
    # Progress saved by on_progress during an earlier attempt, handed back so
    # a retry resumes (reuses uploads, never republishes a published container).
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishResult:
    platform_id: str
    permalink: str
    published_at: datetime | None


@dataclass(frozen=True)
class RemotePost:
    platform_id: str
    text: str
    created_at: datetime | None
    permalink: str


@dataclass(frozen=True)
class Metrics:
    reach: int | None = None
    impressions: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    clicks: int | None = None


@dataclass(frozen=True)
class AccountMetrics:
    """An account's own figures on one day; None where the platform gives none."""

    followers: int | None = None
    reach: int | None = None  # people reached that day (the page's or profile's reach)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scopes: str = ""


@dataclass(frozen=True)
class Target:
    """A page, Instagram account, organization or location the user may pick."""

    external_id: str
    name: str
    access_token: str | None = None


class PlatformClient(Protocol):
    platform: str
    can_delete: bool
    # Whether account_metrics() asks the platform anything (followers, reach).
    has_account_metrics: bool

    def publish(
        self,
        account: Account,
        request: PublishRequest,
        *,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> PublishResult: ...

    def read_back(self, account: Account, platform_id: str) -> RemotePost | None: ...

    def find_recent(self, account: Account, text: str, *, since: datetime) -> RemotePost | None: ...

    def delete(self, account: Account, platform_id: str) -> None: ...

    def metrics(self, account: Account, platform_id: str) -> Metrics: ...

    def metrics_many(self, account: Account, platform_ids: list[str]) -> dict[str, Metrics]: ...

    def account_metrics(self, account: Account) -> AccountMetrics: ...

    def refresh(self, tokens: TokenSet) -> TokenSet: ...

    def authorize_url(
        self, *, redirect_uri: str, state: str, code_challenge: str | None
    ) -> str: ...

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str | None
    ) -> TokenSet: ...

    def list_targets(self, tokens: TokenSet) -> list[Target]: ...

    def prepare_text(self, text: str) -> str: ...

    def check_text(self, text: str) -> list[str]: ...


def metrics_each(
    client: PlatformClient, account: Account, platform_ids: list[str]
) -> dict[str, Metrics]:
    """One call per post, for platforms without a batch: a post the platform will not
    report on (deleted there) is left out; a reconnect or a throttle stops the batch."""
    from platforms.errors import PlatformError

    found: dict[str, Metrics] = {}
    for platform_id in platform_ids:
        try:
            found[platform_id] = client.metrics(account, platform_id)
        except PlatformError as error:
            if error.kind in ("reconnect", "throttled"):
                raise
    return found
