"""Hiding and deleting: someone's comment on our post, or our own reply. Audited.

These are a person's own actions, done at once (the platform answers in a
moment) rather than queued: the page says what happened, or why it did not.
Where a platform cannot do it (LinkedIn hides nothing; X deletes nobody
else's post; Google's reviews stay), the button is not offered and the
refusal says so.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.models import AuditEvent, User
from engagement.models import InboxItem, Reply
from engagement.sending import as_conversation
from engagement.sync import engagement_client
from platforms.errors import PlatformError
from practices.platform_clients import account_for


class ModerationRefused(Exception):
    """Not done; the message says why, in plain words."""


def can_hide(item: InboxItem) -> bool:
    client = engagement_client(item.account.platform)
    return item.kind == InboxItem.Kind.COMMENT and client.can_hide and not item.is_deleted


def can_delete(item: InboxItem) -> bool:
    client = engagement_client(item.account.platform)
    return (
        item.kind == InboxItem.Kind.COMMENT and client.can_delete_comments and not item.is_deleted
    )


def hide(item: InboxItem, *, hidden: bool, by: User) -> None:
    label = item.account.get_platform_display()
    if not can_hide(item):
        raise ModerationRefused(f"{label} does not let the page hide this.")
    client = engagement_client(item.account.platform)
    try:
        client.hide(account_for(item.account), as_conversation(item), hidden)
    except PlatformError as error:
        raise ModerationRefused(f"{label}: {error.message}") from error
    with transaction.atomic():
        InboxItem.objects.filter(pk=item.pk).update(hidden=hidden, changed_at=timezone.now())
        AuditEvent.record(
            "comment_hidden" if hidden else "comment_shown",
            actor=by,
            practice=item.practice,
            obj=item,
            detail={"item": item.pk, "platform": item.account.platform},
        )


def delete_comment(item: InboxItem, *, by: User) -> None:
    label = item.account.get_platform_display()
    if not can_delete(item):
        raise ModerationRefused(f"{label} does not let the page delete this.")
    client = engagement_client(item.account.platform)
    try:
        client.delete_comment(account_for(item.account), as_conversation(item))
    except PlatformError as error:
        raise ModerationRefused(f"{label}: {error.message}") from error
    with transaction.atomic():
        InboxItem.objects.filter(pk=item.pk).update(
            deleted_at=timezone.now(), state=InboxItem.State.DONE, changed_at=timezone.now()
        )
        AuditEvent.record(
            "comment_deleted",
            actor=by,
            practice=item.practice,
            obj=item,
            detail={"item": item.pk, "platform": item.account.platform},
        )


def delete_reply(reply: Reply, *, by: User) -> None:
    """Take our own reply down from the platform."""
    item = reply.item
    label = item.account.get_platform_display()
    if reply.status != Reply.Status.SENT or not reply.platform_reply_id:
        raise ModerationRefused("Only a reply that went out can be deleted.")
    client = engagement_client(item.account.platform)
    try:
        client.delete_reply(
            account_for(item.account), as_conversation(item), reply.platform_reply_id
        )
    except PlatformError as error:
        raise ModerationRefused(f"{label}: {error.message}") from error
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.DELETED)
        AuditEvent.record(
            "reply_deleted",
            actor=by,
            practice=item.practice,
            obj=reply,
            detail={"item": item.pk, "platform": item.account.platform},
        )
