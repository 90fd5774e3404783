"""RQ jobs and the cron entry points.

Jobs receive ids, reload their rows and claim them; the logic lives in the
models and in posts.publishing.attempt, posts.publishing.takedown, posts.publishing.metrics and
practices.tokens. `manage.py rqcron` calls the cron entry points below on a
schedule.
"""

from __future__ import annotations

import logging

from django.db import close_old_connections, connection
from rq import get_current_job

from posts.approval import requests as approval_requests
from posts.media import videos
from posts.publishing import attempt as publishing
from posts.publishing import dispatch, metrics, takedown
from practices import alerts, tokens

logger = logging.getLogger(__name__)

# -- jobs ------------------------------------------------------------------------


def _usable_connection() -> None:
    """Drop a broken or too old database connection before a job.

    Single-process workers (rq.worker.SimpleWorker, the recommended class for
    the publish queue) keep their connection from job to job, and no request
    cycle closes it: after a database restart every later job would fail.
    Skipped inside a transaction (a test running the job in-process).
    """
    if not connection.in_atomic_block:
        close_old_connections()


def publish_publications(publication_ids: list[int]) -> list[str]:
    """Attempt each publication in turn (posts.publishing.dispatch enqueues a few per job).

    One failing attempt does not stop the others; the job still fails
    afterwards, so the error is seen in the failed-job registry. A publication
    whose attempt broke off stays claimed until its lease runs out, and the
    dispatcher then takes it back, reading back first.
    """
    _usable_connection()
    outcomes: list[str] = []
    broken: Exception | None = None
    for publication_id in publication_ids:
        try:
            outcomes.append(publishing.attempt(publication_id=publication_id))
        except Exception as error:
            logger.exception("publication %s: the attempt broke off", publication_id)
            outcomes.append("error")
            broken = broken or error
    if broken is not None:
        raise broken
    return outcomes


def publish_publication(publication_id: int) -> str:
    """One publication: jobs enqueued before publish_publications existed."""
    _usable_connection()
    return publishing.attempt(publication_id=publication_id)


def delete_publication(publication_id: int) -> str:
    _usable_connection()
    job = get_current_job()
    last_try = job is None or not job.retries_left
    return takedown.delete_live_post(publication_id=publication_id, last_try=last_try)


def prepare_video(asset_id: int) -> str:
    """A video that came in: cleaned, rendered for X, its cover taken (queue media)."""
    _usable_connection()
    return videos.prepare(asset_id)


def take_video_cover(asset_id: int, at: float) -> str:
    _usable_connection()
    return videos.take_cover(asset_id, at)


def fetch_metrics(publication_ids: list[int]) -> int:
    _usable_connection()
    return metrics.fetch_metrics(publication_ids=publication_ids)


def fetch_account_metrics(account_ids: list[int]) -> int:
    _usable_connection()
    return metrics.fetch_account_metrics(account_ids=account_ids)


# -- cron entry points -------------------------------------------------------------


def dispatch_due() -> int:
    """Every few seconds: claim due publications and enqueue their jobs."""
    return dispatch.dispatch_due()


def requeue_stalled_videos() -> int:
    """Every few minutes: queue again videos whose cleaning job Redis lost."""
    return videos.requeue_stalled()


def requeue_lost_deletes() -> int:
    """Every few minutes: queue again takedown deletes whose job Redis lost."""
    return takedown.requeue_lost_deletes()


def refresh_expiring_tokens() -> int:
    return tokens.refresh_expiring_tokens()


def warn_expiring_accounts() -> int:
    return tokens.warn_expiring_accounts()


def collect_metrics() -> int:
    return metrics.collect_metrics()


def collect_account_metrics() -> int:
    """Every few hours: today's reading of each account that has none."""
    return metrics.collect_account_metrics()


def expire_unapproved() -> int:
    """Every minute: posts not approved by their time will not go out; the strategist told."""
    return approval_requests.expire_overdue()


def remind_doctors() -> int:
    """Every minute: reminders to the doctors before an unapproved post is due."""
    return approval_requests.send_reminders()


def warn_expiring_authorizations() -> int:
    return alerts.warn_expiring_authorizations()
