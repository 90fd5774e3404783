"""Inbox items as the sync stores them, for the inbox's own tests."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from django.utils import timezone

from engagement.complaints import is_complaint
from engagement.models import InboxItem

_ids = count(1)


def make_item(account, *, kind="comment", text="Lovely team!", rating=None, **fields) -> InboxItem:
    n = next(_ids)
    defaults = {
        "practice": account.practice,
        "account": account,
        "kind": kind,
        "external_id": f"item-{n}",
        "author_name": f"Person {n}",
        "author_id": f"person-{n}",
        "text": text,
        "rating": rating,
        "posted_at": timezone.now() - timedelta(minutes=n),
        "complaint": is_complaint(text, rating=rating),
    }
    return InboxItem.objects.create(**{**defaults, **fields})
