"""Bringing the numbers back: metric fetches for recent publications."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import django_rq
from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from rq import Queue

from platforms.errors import PlatformError
from posts.models import MetricSnapshot, Publication
from practices import alerts as account_alerts
from practices.models import SocialAccount
from practices.platform_clients import account_for, client_for

logger = logging.getLogger(__name__)


METRICS_WINDOW = timedelta(days=30)
# Young posts change fast: hourly for two days, then daily.
METRICS_FRESH_AGE = timedelta(days=2)
METRICS_YOUNG_EVERY = timedelta(minutes=55)
METRICS_OLD_EVERY = timedelta(hours=23)
METRICS_MAX_PER_RUN = 2000
METRICS_CHUNK = 25


def collect_metrics(*, now: datetime | None = None) -> int:
    """Enqueue metric fetches for recent publications that are due; returns how many."""
    now = now or timezone.now()
    rows = (
        Publication.objects.filter(
            status=Publication.Status.PUBLISHED,
            published_at__gte=now - METRICS_WINDOW,
            account__status=SocialAccount.Status.CONNECTED,
        )
        .annotate(last_fetch=Max("metric_snapshots__fetched_at"))
        .filter(
            Q(last_fetch__isnull=True)
            | Q(published_at__gte=now - METRICS_FRESH_AGE, last_fetch__lt=now - METRICS_YOUNG_EVERY)
            | Q(published_at__lt=now - METRICS_FRESH_AGE, last_fetch__lt=now - METRICS_OLD_EVERY)
        )
        .order_by("account_id", "-published_at")
        .values_list("pk", flat=True)[:METRICS_MAX_PER_RUN]
    )
    ids = list(rows)
    if not ids:
        return 0
    queue: Queue = django_rq.get_queue("metrics")
    queue.enqueue_many(
        [
            Queue.prepare_data(
                "posts.jobs.fetch_metrics",
                args=(ids[i : i + METRICS_CHUNK],),
                result_ttl=0,
                timeout=600,
                description=f"metrics for {len(ids[i : i + METRICS_CHUNK])} publications",
            )
            for i in range(0, len(ids), METRICS_CHUNK)
        ]
    )
    return len(ids)


def fetch_metrics(*, publication_ids: list[int]) -> int:
    """Fetch and store one snapshot per publication; a throttled account is left for later."""
    publications = Publication.objects.filter(
        pk__in=publication_ids, status=Publication.Status.PUBLISHED
    ).select_related("account", "account__practice")
    stored = 0
    skip_accounts: set[int] = set()
    for publication in publications:
        account = publication.account
        if account.pk in skip_accounts or not account.is_usable:
            continue
        try:
            numbers = client_for(account.platform).metrics(
                account_for(account), publication.platform_post_id
            )
        except PlatformError as error:
            if error.kind == "reconnect" and account.mark_needs_reconnect(error.message):
                account_alerts.account_needs_reconnect(account)
            if error.kind in ("reconnect", "throttled"):
                skip_accounts.add(account.pk)
            logger.info("metrics for publication %s: %s", publication.pk, error.kind)
            continue
        MetricSnapshot.objects.create(
            publication=publication,
            reach=numbers.reach,
            impressions=numbers.impressions,
            likes=numbers.likes,
            comments=numbers.comments,
            shares=numbers.shares,
            saves=numbers.saves,
            clicks=numbers.clicks,
        )
        stored += 1
        time.sleep(settings.METRICS_SPACING_SECONDS)  # spread over the chunk's accounts
    return stored
