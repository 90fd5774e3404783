"""Who may see which part of the conversation: one helper per kind of object.

The agency sees the inboxes of its practices (the lead all of them); a
practice's doctors see their own practice's, to approve replies to reviews;
staff see none. Nobody sees another practice's: an item of a practice the
person has no role at is a 404, as everywhere (practices.access).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from core.models import User
from engagement.models import InboxItem, Reply, SavedReply
from practices.access import AGENCY, DOCTOR, LEAD, STRATEGIST, require_role, scope

READERS = frozenset({LEAD, STRATEGIST, DOCTOR})


def items_visible_to(user: User) -> QuerySet[InboxItem]:
    return scope(
        InboxItem.objects.select_related("account", "practice", "assigned_to"),
        user,
        set(READERS),
    )


def get_item_for_user(
    user: User, pk: int, *, roles: frozenset[str] | set[str] = AGENCY
) -> InboxItem:
    item = (
        InboxItem.objects.select_related("account", "practice", "assigned_to", "publication__post")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404("No such conversation.")
    require_role(user, item.practice_id, roles)
    return item


def get_reply_for_user(user: User, pk: int, *, roles: frozenset[str] | set[str] = AGENCY) -> Reply:
    reply = Reply.objects.select_related("item__practice", "item__account").filter(pk=pk).first()
    if reply is None:
        raise Http404("No such reply.")
    require_role(user, reply.item.practice_id, roles)
    return reply


def get_saved_reply_for_user(user: User, pk: int) -> SavedReply:
    saved = SavedReply.objects.select_related("practice").filter(pk=pk).first()
    if saved is None:
        raise Http404("No such saved reply.")
    require_role(user, saved.practice_id, AGENCY)
    return saved
