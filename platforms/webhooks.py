"""Meta's webhook deliveries (Facebook Pages, Instagram): is it Meta's, and what to fetch.

A delivery is a POST of JSON signed with the app secret:
- X-Hub-Signature-256: "sha256=" + the hex HMAC-SHA256 of the raw body, keyed with
  the app secret (the older X-Hub-Signature is SHA-1 and not read here). Verify the
  bytes as received: parsing and serializing again changes them.
- {"object": "page" | "instagram", "entry": [{"id": Page or Instagram account id,
  "time": epoch, "changes": [{"field", "value"}]}]}, several entries and changes
  per delivery (Meta batches up to 1,000).
- Page fields: "feed" (value {item: "comment" | "post" | "reaction" | ..., verb:
  "add" | "edited" | "remove" | "hide" | "unhide", post_id, comment_id, parent_id,
  from, message, created_time}) and "mention" (value {item: "post" | "comment",
  verb, post_id, comment_id?}). Instagram fields: "comments" and "live_comments"
  (value {id, text, from {id, username}, media {id}, parent_id?}) and "mentions"
  (value {media_id, comment_id?}).
- Meta retries a delivery that is not answered 200 (for up to 36 hours, unconfirmed),
  so the same body can come more than once.

A delivery only says what to look at: the text in it is unverified input, and the
inbox fetches the item itself (EngagementClient) before it shows or stores anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SIGNATURE_HEADER = "X-Hub-Signature-256"
PLATFORM_OF = {"page": "facebook", "instagram": "instagram"}
# What each (object, field) asks the inbox to fetch; other fields ask nothing of it.
KIND_OF = {
    ("page", "feed"): "comment",  # when value.item is "comment" (see kind below)
    ("page", "mention"): "mention",
    ("instagram", "comments"): "comment",
    ("instagram", "live_comments"): "comment",
    ("instagram", "mentions"): "mention",
}


class WebhookError(ValueError):
    """A body that is not a Meta delivery (not JSON, no object or entries)."""


@dataclass(frozen=True)
class MetaChange:
    """One change a delivery announces.

    platform: "facebook" or "instagram"; account_id: the Page's or the Instagram
    account's id (entry.id), to find our account by; field: Meta's field name;
    kind: what to fetch, "comment" or "mention", or "" for a change the inbox does
    not read (a reaction, a Page's own post); verb: "add", "edited", "remove",
    "hide", "unhide" ("" when not said); post_id and comment_id where the value names
    them (the media id on Instagram).
    """

    platform: str
    account_id: str
    field: str
    kind: str
    verb: str = ""
    post_id: str | None = None
    comment_id: str | None = None
    time: datetime | None = None


def verify_meta_signature(app_secret: str, body: bytes, header: str) -> bool:
    """Whether X-Hub-Signature-256 (`header`) is Meta's signature of `body` with this app
    secret. Constant time; False for a missing or malformed header or an empty secret."""
    if not app_secret or not header:
        return False
    scheme, _, digest = header.strip().partition("=")
    if scheme.strip().lower() != "sha256" or not digest:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), digest.strip().lower().encode())


def sign_meta(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends with this body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def parse_meta_delivery(body: bytes) -> list[MetaChange]:
    """The changes a delivery announces, in order. Verify the signature first.

    Raises WebhookError for a body that is not a delivery; an object other than
    "page" or "instagram" (Meta sends others to the same app) gives [].
    """
    try:
        delivery: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookError("the body is not JSON") from exc
    if not isinstance(delivery, dict) or not isinstance(delivery.get("entry"), list):
        raise WebhookError("the body has no entry list")
    meta_object = str(delivery.get("object", ""))
    platform = PLATFORM_OF.get(meta_object)
    if platform is None:
        return []
    changes: list[MetaChange] = []
    for entry in delivery["entry"]:
        if not isinstance(entry, dict) or not entry.get("id"):
            continue
        when = _time(entry.get("time"))
        for change in entry.get("changes") or []:
            if not isinstance(change, dict):
                continue
            field = str(change.get("field", ""))
            raw = change.get("value")
            value: dict[str, Any] = raw if isinstance(raw, dict) else {}
            changes.append(
                MetaChange(
                    platform=platform,
                    account_id=str(entry["id"]),
                    field=field,
                    kind=_kind(meta_object, field, value),
                    verb=str(value.get("verb", "")),
                    post_id=_id(value.get("post_id") or value.get("media_id"))
                    or _id((value.get("media") or {}).get("id")),
                    comment_id=_comment_id(meta_object, field, value),
                    time=when,
                )
            )
    return changes


def _kind(meta_object: str, field: str, value: dict[str, Any]) -> str:
    kind = KIND_OF.get((meta_object, field), "")
    if (meta_object, field) == ("page", "feed") and value.get("item") != "comment":
        return ""  # a post, a reaction, a share: not conversation the inbox reads
    return kind


def _comment_id(meta_object: str, field: str, value: dict[str, Any]) -> str | None:
    if meta_object == "instagram" and field in ("comments", "live_comments"):
        return _id(value.get("id"))
    return _id(value.get("comment_id"))


def _id(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value) else None


def _time(value: Any) -> datetime | None:
    if isinstance(value, int | float) and value > 0:
        # Meta writes entry.time in seconds, some fields in milliseconds.
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, UTC)
    return None
