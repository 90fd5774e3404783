"""What of the conversation needs the strategist, for the dashboard: one query."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from core.models import User
from engagement import access
from engagement.models import InboxItem, Reply
from practices.models import Practice

OPEN = [InboxItem.State.NEW, InboxItem.State.NEEDS_REPLY]


@dataclass(frozen=True)
class InboxSummary:
    open: int
    complaints: int  # bad reviews and complaints waiting, not deleted
    failed_replies: int

    @property
    def needs_you(self) -> bool:
        return bool(self.complaints or self.failed_replies)


def inbox_summary(user: User, *, practice: Practice | None = None) -> InboxSummary:
    items = access.items_visible_to(user)
    if practice is not None:
        items = items.filter(practice=practice)
    # The open items only (a failed reply leaves its item open): as cheap however
    # long the practices' history (the partial index inbox_open_order).
    found = items.filter(state__in=OPEN).aggregate(
        open=Count("pk", distinct=True),
        complaints=Count("pk", filter=Q(complaint=True, deleted_at__isnull=True), distinct=True),
        failed=Count("replies", filter=Q(replies__status=Reply.Status.FAILED), distinct=True),
    )
    return InboxSummary(found["open"], found["complaints"], found["failed"])
