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
    "Conversation",
    "Conversations",
    "DeleteUnsupported",
    "DuplicateContent",
    "EngagementClient",
    "MediaItem",
    "Metrics",
    "PlatformClient",
    "PlatformError",
    "PublishRequest",
    "PublishResult",
    "ReconnectNeeded",
    "RemotePost",
    "SentReply",
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
class Conversation:
    """One comment, mention or review, as the platform reports it now.

    kind: "comment" (on one of our posts, or a reply in its thread), "mention"
    (a post or comment of someone else naming or tagging the account), or
    "review" (Google). post_id: the platform id of the post it belongs to (our
    post for a comment; the mentioning post for a mention); parent_id: the
    comment it answers, when it is a reply in a thread. from_us: written by the
    account itself (our own replies come back in the thread). A deleted one is
    reported with deleted=True where the platform says so; one that is simply
    gone is absent from a full fetch (Conversations.complete).
    """

    kind: str
    external_id: str
    text: str
    author_name: str
    author_id: str
    created_at: datetime | None
    updated_at: datetime | None = None
    post_id: str | None = None
    parent_id: str | None = None
    permalink: str = ""
    rating: int | None = None  # a review's stars, 1 to 5
    from_us: bool = False
    hidden: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class Conversations:
    """What one fetch brought, and where the next one starts.

    cursor: opaque, kept per account and kind and handed back next time ("" the
    first time). complete: True when `items` is everything the platform has in
    the fetched scope (every comment on the posts asked about, every review),
    so that one we kept and that is not among them was deleted there.
    """

    items: tuple[Conversation, ...]
    cursor: str = ""
    complete: bool = False


@dataclass(frozen=True)
class SentReply:
    platform_id: str  # the reply's own id there (to read back, to delete)
    permalink: str = ""


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


class EngagementClient(Protocol):
    """The conversation around an account: what the engagement inbox fetches and answers.

    Every platform client implements it (Google: reviews only; the others:
    comments on our posts and mentions). Errors are the PlatformErrors of
    publishing, classified the same way (throttled, transient, ambiguous,
    reconnect, rejected).
    """

    # What the platform lets us do: kinds fetched, and whether a comment can be
    # hidden (Facebook, Instagram, X's hide replies) or deleted by the account.
    conversation_kinds: tuple[str, ...]
    can_hide: bool
    can_delete_comments: bool

    def fetch_comments(
        self, account: Account, post_ids: list[str], *, cursor: str = ""
    ) -> Conversations:
        """Every comment (and reply in their threads) on these posts of ours.

        Complete for those posts: a kept comment that is absent was deleted.
        `cursor`: where an earlier fetch that was cut short (paging through
        many) stopped; "" starts over.
        """
        ...

    def fetch_mentions(self, account: Account, *, cursor: str = "") -> Conversations:
        """Mentions and tags of the account since `cursor` (new ones only)."""
        ...

    def fetch_reviews(self, account: Account, *, cursor: str = "") -> Conversations:
        """Every review, with its stars (Google); complete when it has paged to the end."""
        ...

    def reply(self, account: Account, item: Conversation, text: str) -> SentReply:
        """Answer a comment, mention or review in its thread, once.

        Ambiguous answers raise AmbiguousOutcome: the caller reads back with
        find_reply before sending again.
        """
        ...

    def find_reply(self, account: Account, item: Conversation, text: str) -> SentReply | None:
        """Our reply with this text in the item's thread, if it is there."""
        ...

    def delete_reply(self, account: Account, item: Conversation, reply_id: str) -> None: ...

    def hide(self, account: Account, item: Conversation, hidden: bool) -> None:
        """Hide (or show again) a comment on our post; DeleteUnsupported where it cannot."""
        ...

    def delete_comment(self, account: Account, item: Conversation) -> None:
        """Delete someone's comment on our post; DeleteUnsupported where it cannot."""
        ...


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
