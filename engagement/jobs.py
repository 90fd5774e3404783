"""RQ jobs and cron entry points of the conversation: syncing accounts, sending replies."""

from __future__ import annotations

import django_rq
from django.db import close_old_connections, connection

from engagement import sending, sync
from practices.models import SocialAccount

SYNC_QUEUE = "metrics"


def _usable_connection() -> None:
    # As posts.jobs: single-process workers keep their connection between jobs.
    if not connection.in_atomic_block:
        close_old_connections()


def sync_account(account_id: int) -> int:
    """One account's comments, mentions or reviews; returns how many were new."""
    _usable_connection()
    account = SocialAccount.objects.select_related("practice").filter(pk=account_id).first()
    if account is None:
        return 0
    return len(sync.sync_account(account).new)


def send_reply(reply_id: int) -> str:
    _usable_connection()
    return sending.attempt(reply_id)


# -- cron ---------------------------------------------------------------------------


def sync_due() -> int:
    """Every few minutes: a job per account whose conversation is due a fetch."""
    due = sync.due_accounts()
    queue = django_rq.get_queue(SYNC_QUEUE)
    for pk in due:
        queue.enqueue(sync_account, pk, job_id=f"sync-account-{pk}", result_ttl=0, failure_ttl=3600)
    return len(due)


def dispatch_replies() -> int:
    """Every few seconds: replies due to go out (and ones whose worker died)."""
    return len(sending.dispatch_due())
