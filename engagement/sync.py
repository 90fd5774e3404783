"""Bringing the conversation in: comments on our posts, mentions, Google reviews.

A worker syncs one account at a time (engagement.jobs). Each kind keeps where
its last fetch ended (SyncCursor): mentions come incrementally; comments are
fetched whole for our recent posts, and reviews whole, so that one we keep
and the platform no longer has is marked deleted and not shown as if it
still stood. Errors are the publishing engine's: a throttled account waits
(SocialAccount.throttled_until), a revoked one is marked for reconnecting
and its strategist told, anything else is kept on the cursor and tried at
the next round.

New complaints and bad reviews tell the practice's strategist at once
(engagement.alerts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from engagement import alerts
from engagement.complaints import is_complaint
from engagement.models import InboxItem, SyncCursor
from platforms.base import Conversation, Conversations, EngagementClient
from platforms.errors import PlatformError
from posts.models import Publication
from practices import alerts as account_alerts
from practices.models import SocialAccount
from practices.platform_clients import account_for, client_for

logger = logging.getLogger(__name__)

Kind = InboxItem.Kind
# Comments are looked for on the posts of the last month: older ones rarely
# get new ones, and each is a call.
COMMENT_WINDOW = timedelta(days=30)
# How often an account's conversation is fetched (cron enqueues the due ones).
SYNC_EVERY = timedelta(minutes=10)
# Pages of one full fetch in one round; the rest follows at the next.
MAX_PAGES = 40


@dataclass
class Synced:
    """What one account's sync did, for the job's result and the tests."""

    new: list[InboxItem] = field(default_factory=list)
    edited: int = 0
    deleted: int = 0
    errors: list[str] = field(default_factory=list)


def engagement_client(platform: str) -> EngagementClient:
    # Every platform client implements both interfaces (platforms.base).
    return cast(EngagementClient, client_for(platform))


def sync_account(account: SocialAccount, *, now: datetime | None = None) -> Synced:
    now = now or timezone.now()
    result = Synced()
    if account.status != SocialAccount.Status.CONNECTED:
        return result
    if account.throttled_until and account.throttled_until > now:
        return result
    client = engagement_client(account.platform)
    for kind in client.conversation_kinds:
        try:
            if kind == Kind.COMMENT:
                _comments(client, account, result, now)
            elif kind == Kind.MENTION:
                _mentions(client, account, result, now)
            elif kind == Kind.REVIEW:
                _reviews(client, account, result, now)
        except PlatformError as error:
            _failed(account, kind, error, now)
            result.errors.append(f"{kind}: {error.message}")
            if error.kind in ("reconnect", "throttled"):
                break
    for item in result.new:
        if item.complaint:
            alerts.complaint_arrived(item)
    return result


def _comments(
    client: EngagementClient, account: SocialAccount, result: Synced, now: datetime
) -> None:
    recent = dict(
        Publication.objects.filter(
            account=account,
            status=Publication.Status.PUBLISHED,
            published_at__gte=now - COMMENT_WINDOW,
        )
        .exclude(platform_post_id="")
        .values_list("platform_post_id", "pk")
    )
    if not recent:
        _done(account, Kind.COMMENT, "", now)
        return
    post_ids = sorted(recent)
    fetched = client.fetch_comments(account_for(account), post_ids)
    items = [c for c in fetched.items if c.kind == Kind.COMMENT]
    _keep(account, Kind.COMMENT, items, result, now, publications=recent)
    if fetched.complete:
        _mark_gone(
            account,
            Q(kind=Kind.COMMENT, post_external_id__in=post_ids),
            {c.external_id for c in fetched.items},
            result,
            now,
        )
    _done(account, Kind.COMMENT, fetched.cursor, now)


def _mentions(
    client: EngagementClient, account: SocialAccount, result: Synced, now: datetime
) -> None:
    cursor = _cursor(account, Kind.MENTION)
    fetched = client.fetch_mentions(account_for(account), cursor=cursor)
    _keep(account, Kind.MENTION, list(fetched.items), result, now)
    _done(account, Kind.MENTION, fetched.cursor or cursor, now)


def _reviews(
    client: EngagementClient, account: SocialAccount, result: Synced, now: datetime
) -> None:
    """Every review, page after page: the full list shows which were deleted."""
    cursor = ""
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        fetched: Conversations = client.fetch_reviews(account_for(account), cursor=cursor)
        _keep(account, Kind.REVIEW, list(fetched.items), result, now)
        seen |= {c.external_id for c in fetched.items}
        cursor = fetched.cursor
        if fetched.complete:
            _mark_gone(account, Q(kind=Kind.REVIEW), seen, result, now)
            break
        if not cursor:
            break
    _done(account, Kind.REVIEW, "", now)


def _keep(
    account: SocialAccount,
    kind: str,
    found: list[Conversation],
    result: Synced,
    now: datetime,
    *,
    publications: dict[str, int] | None = None,
) -> None:
    """New ones added, edited and deleted ones brought up to date; our own replies skipped
    (they are Reply rows)."""
    theirs = [c for c in found if not c.from_us]
    if not theirs:
        return
    kept = {
        item.external_id: item
        for item in InboxItem.objects.filter(
            account=account, external_id__in=[c.external_id for c in theirs]
        )
    }
    for conversation in theirs:
        item = kept.get(conversation.external_id)
        if item is None:
            created = _new(account, kind, conversation, now, publications)
            if created is not None:
                result.new.append(created)
            continue
        changed: list[str] = []
        if conversation.deleted and item.deleted_at is None:
            item.deleted_at = now
            changed.append("deleted_at")
            result.deleted += 1
        elif conversation.text != item.text and not conversation.deleted:
            item.text = conversation.text
            item.edited_at = conversation.updated_at or now
            changed += ["text", "edited_at"]
            result.edited += 1
        if conversation.rating is not None and conversation.rating != item.rating:
            item.rating = conversation.rating
            changed.append("rating")
        if conversation.hidden != item.hidden:
            item.hidden = conversation.hidden
            changed.append("hidden")
        if changed:
            item.save(update_fields=[*changed, "changed_at"])


def _new(
    account: SocialAccount,
    kind: str,
    conversation: Conversation,
    now: datetime,
    publications: dict[str, int] | None,
) -> InboxItem | None:
    post_id = conversation.post_id or ""
    item = InboxItem(
        practice_id=account.practice_id,
        account=account,
        kind=kind,
        external_id=conversation.external_id,
        publication_id=(publications or {}).get(post_id),
        post_external_id=post_id,
        parent_external_id=conversation.parent_id or "",
        author_name=conversation.author_name[:300],
        author_id=conversation.author_id[:300],
        text=conversation.text,
        rating=conversation.rating,
        permalink=conversation.permalink[:1000],
        posted_at=conversation.created_at or now,
        edited_at=conversation.updated_at
        if conversation.updated_at and conversation.updated_at != conversation.created_at
        else None,
        deleted_at=now if conversation.deleted else None,
        hidden=conversation.hidden,
        complaint=is_complaint(conversation.text, rating=conversation.rating),
    )
    try:
        # A savepoint: two syncs of one account at once both reach here; the
        # unique (account, external_id) lets one row win.
        with transaction.atomic():
            item.save()
    except IntegrityError:
        return None
    return item


def _mark_gone(
    account: SocialAccount, scope: Q, present: set[str], result: Synced, now: datetime
) -> None:
    gone = (
        InboxItem.objects.filter(scope, account=account, deleted_at__isnull=True)
        .exclude(external_id__in=present)
        .update(deleted_at=now, changed_at=now)
    )
    result.deleted += gone


def _cursor(account: SocialAccount, kind: str) -> str:
    found = SyncCursor.objects.filter(account=account, kind=kind).values_list("cursor", flat=True)
    return found.first() or ""


def _done(account: SocialAccount, kind: str, cursor: str, now: datetime) -> None:
    SyncCursor.objects.update_or_create(
        account=account,
        kind=kind,
        defaults={"cursor": cursor[:500], "synced_at": now, "last_error": ""},
    )


def _failed(account: SocialAccount, kind: str, error: PlatformError, now: datetime) -> None:
    SyncCursor.objects.update_or_create(
        account=account, kind=kind, defaults={"last_error": error.message[:500]}
    )
    if error.kind == "throttled":
        until = now + timedelta(seconds=float(error.retry_after or 60))
        SocialAccount.objects.filter(pk=account.pk).filter(
            Q(throttled_until__isnull=True) | Q(throttled_until__lt=until)
        ).update(throttled_until=until)
    elif error.kind == "reconnect":
        message = f"{account.get_platform_display()}: {error.message}"
        if account.mark_needs_reconnect(message):
            account_alerts.account_needs_reconnect(account)
    else:
        logger.warning(
            "engagement sync of account %s (%s) failed: %s", account.pk, kind, error.kind
        )


def due_accounts(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Connected accounts whose conversation was last fetched longer ago than SYNC_EVERY."""
    now = now or timezone.now()
    recently = SyncCursor.objects.filter(synced_at__gte=now - SYNC_EVERY).values("account_id")
    return list(
        SocialAccount.objects.filter(status=SocialAccount.Status.CONNECTED)
        .exclude(pk__in=recently)
        .exclude(throttled_until__gt=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
