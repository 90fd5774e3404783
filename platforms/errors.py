"""Classified platform failures.

Every client turns whatever went wrong into one of these, so the publishing
engine decides what to do from `kind` alone: retry soon, retry after
`retry_after` seconds, ask a person to reconnect, ask a person to fix the
content, or read back first because the post may already exist.
"""

from __future__ import annotations


class PlatformError(Exception):
    """A failure reported by (or on the way to) a platform.

    `message` is meant for a person: plain words plus the platform's own
    message, so the strategist can act on it without reading logs.
    """

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        platform: str = "",
        platform_code: str | int | None = None,
        retry_after: float | None = None,
        existing_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform
        self.platform_code = None if platform_code is None else str(platform_code)
        self.retry_after = retry_after
        self.existing_id = existing_id

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, platform={self.platform!r}, "
            f"platform_code={self.platform_code!r}, retry_after={self.retry_after!r}, "
            f"existing_id={self.existing_id!r})"
        )


class TransientError(PlatformError):
    """Nothing was created; trying again soon is expected to work."""

    kind = "transient"


class ThrottledError(PlatformError):
    """A rate limit or quota; try again after `retry_after` seconds (None: unknown)."""

    kind = "throttled"


class ReconnectNeeded(PlatformError):
    """The token is expired, revoked or lacks a permission: a person must reconnect."""

    kind = "reconnect"


class ContentRejected(PlatformError):
    """The platform refused this content; retrying the same content will not help."""

    kind = "rejected"


class DuplicateContent(PlatformError):
    """The platform says this post already exists.

    `existing_id` is set when the platform names the existing post (LinkedIn
    does); otherwise the caller should look for it with find_recent.
    """

    kind = "duplicate"


class AmbiguousOutcome(PlatformError):
    """A create request was sent but no clear answer came back.

    The post may exist: read back (find_recent) before trying again.
    """

    kind = "ambiguous"


class DeleteUnsupported(PlatformError):
    """The platform will not delete this post through the API; remove it by hand."""

    kind = "delete_unsupported"


class ConfigurationError(PlatformError):
    """Our setup is wrong (a retired API version, an app not enrolled): fix settings."""

    kind = "config"


# The usual ways an answer fails, as no_clear_answer's `what`.
SERVER_ERROR = "it reported a temporary error"
NO_ID = "its answer did not include the new id"


def no_clear_answer(
    label: str,
    what: str,
    *,
    create: bool,
    platform: str,
    quoted: str = "",
    platform_code: str | None = None,
) -> PlatformError:
    """A request reached the platform, but no clear answer came back.

    Exactly-once rests on this rule, so it lives only here: after the request
    that creates the post, the post may exist and must be read back before
    any retry (AmbiguousOutcome); after any other request nothing was
    published, and retrying is safe (TransientError).

    what: how the answer failed, e.g. "it did not answer in time".
    """
    if create:
        return AmbiguousOutcome(
            f"{label} may or may not have published the post: {what}.{quoted}",
            platform=platform,
            platform_code=platform_code,
        )
    return TransientError(
        f"{label} did not complete the request: {what}.{quoted}",
        platform=platform,
        platform_code=platform_code,
    )


def said(label: str, platform_message: str | None) -> str:
    """The platform's own words, quoted, for the end of a message."""
    platform_message = (platform_message or "").strip()
    return f' {label} said: "{platform_message}"' if platform_message else ""
