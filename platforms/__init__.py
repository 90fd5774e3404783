"""Platform clients: one module per platform behind one interface (base.PlatformClient).

    client = build_client("linkedin", config)
    result = client.publish(account, PublishRequest(text="..."))

No Django in here: the Django side builds the ClientConfig from settings.
"""

from __future__ import annotations

from collections.abc import Callable

from platforms.base import (
    PLATFORMS,
    Account,
    AccountMetrics,
    ClientConfig,
    Conversation,
    Conversations,
    EngagementClient,
    MediaItem,
    Metrics,
    PlatformClient,
    PublishRequest,
    PublishResult,
    RemotePost,
    SentReply,
    Target,
    TokenSet,
)
from platforms.errors import (
    AmbiguousOutcome,
    ConfigurationError,
    ContentRejected,
    DeleteUnsupported,
    DuplicateContent,
    PlatformError,
    ReconnectNeeded,
    ThrottledError,
    TransientError,
)

__all__ = [
    "PLATFORMS",
    "Account",
    "AccountMetrics",
    "AmbiguousOutcome",
    "ClientConfig",
    "ConfigurationError",
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
    "build_client",
    "build_engagement_client",
]


def build_client(platform: str, config: ClientConfig) -> PlatformClient:
    """The client for one of PLATFORMS: facebook, instagram, linkedin, x, google_business."""
    # Imported here so that importing the package stays cheap and free of cycles.
    from platforms.facebook import FacebookClient
    from platforms.google_business import GoogleBusinessClient
    from platforms.instagram import InstagramClient
    from platforms.linkedin import LinkedInClient
    from platforms.x import XClient

    classes: dict[str, Callable[[ClientConfig], PlatformClient]] = {
        "facebook": FacebookClient,
        "instagram": InstagramClient,
        "linkedin": LinkedInClient,
        "x": XClient,
        "google_business": GoogleBusinessClient,
    }
    try:
        return classes[platform](config)
    except KeyError:
        raise ValueError(f"unknown platform {platform!r}; expected one of {PLATFORMS}") from None


def build_engagement_client(platform: str, config: ClientConfig) -> EngagementClient:
    """The client for one of PLATFORMS, typed for the engagement inbox (EngagementClient).

    The table is typed, so mypy checks that every client implements the protocol.
    """
    from platforms.facebook import FacebookClient
    from platforms.google_business import GoogleBusinessClient
    from platforms.instagram import InstagramClient
    from platforms.linkedin import LinkedInClient
    from platforms.x import XClient

    classes: dict[str, Callable[[ClientConfig], EngagementClient]] = {
        "facebook": FacebookClient,
        "instagram": InstagramClient,
        "linkedin": LinkedInClient,
        "x": XClient,
        "google_business": GoogleBusinessClient,
    }
    try:
        return classes[platform](config)
    except KeyError:
        raise ValueError(f"unknown platform {platform!r}; expected one of {PLATFORMS}") from None
