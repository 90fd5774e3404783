"""Bringing the numbers back: metric fetches for recent publications."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import django_rq
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from rq import Queue

from platforms.base import PLATFORMS, Metrics
from platforms.errors import PlatformError
from posts.models import AccountSnapshot, MetricSnapshot, MonthTotals, Publication
from practices import alerts as account_alerts
from practices.models import SocialAccount
from practices.platform_clients import account_for, client_for

logger = logging.getLogger(__name__)


# Young posts change fast: hourly for two days, then daily, then one final
# reading at 28 days, after which a post is not fetched again.
METRICS_FRESH_AGE = timedelta(days=2)
METRICS_FINAL_AGE = timedelta(days=28)
# A final reading missed (the account needed reconnecting) is still taken
# within this window; after it the post keeps what it had.
METRICS_WINDOW = timedelta(days=35)
METRICS_YOUNG_EVERY = timedelta(minutes=55)
METRICS_OLD_EVERY = timedelta(hours=23)
METRICS_MAX_PER_RUN = 2000
# X and Google report views, not unique people: their views stand in for reach
# (the analytics pages add up reach).
REACH_FROM_VIEWS = frozenset({"x", "google_business"})
METRICS_CHUNK = 25


def collect_metrics(*, now: datetime | None = None) -> int:
    """Enqueue metric fetches for publications that are due; returns how many."""
    now = now or timezone.now()
    never = Q(metrics_at__isnull=True)
    rows = (
        Publication.objects.filter(
            status=Publication.Status.PUBLISHED,
            published_at__gte=now - METRICS_WINDOW,
            metrics_final=False,
            account__status=SocialAccount.Status.CONNECTED,
        )
        .filter(
            Q(published_at__gte=now - METRICS_FRESH_AGE)
            & (never | Q(metrics_at__lt=now - METRICS_YOUNG_EVERY))
            | Q(published_at__lt=now - METRICS_FRESH_AGE, published_at__gte=now - METRICS_FINAL_AGE)
            & (never | Q(metrics_at__lt=now - METRICS_OLD_EVERY))
            | Q(published_at__lt=now - METRICS_FINAL_AGE)  # the final reading
        )
        .order_by("account_id", "-published_at")
        .values_list("pk", flat=True)[:METRICS_MAX_PER_RUN]
    )
    return _enqueue("posts.jobs.fetch_metrics", list(rows), "publications")


def fetch_metrics(*, publication_ids: list[int]) -> int:
    """Fetch and store one snapshot per publication, an account's posts together
    (Google and LinkedIn answer for many in one call); a throttled account, or one
    that needs reconnecting, is left for later."""
    publications = Publication.objects.filter(
        pk__in=publication_ids, status=Publication.Status.PUBLISHED
    ).select_related("account", "account__practice")
    by_account: dict[int, list[Publication]] = {}
    for publication in publications:
        by_account.setdefault(publication.account_id, []).append(publication)
    stored = 0
    for group in by_account.values():
        account = group[0].account
        if not account.is_usable:
            continue
        try:
            found = client_for(account.platform).metrics_many(
                account_for(account), [p.platform_post_id for p in group]
            )
        except PlatformError as error:
            if error.kind == "reconnect" and account.mark_needs_reconnect(error.message):
                account_alerts.account_needs_reconnect(account)
            logger.info("metrics for account %s: %s", account.pk, error.kind)
            continue
        kept: list[int] = []
        for publication in group:
            numbers = found.get(publication.platform_post_id)
            if numbers is None:
                continue  # the platform said nothing of it (deleted there, say)
            snapshot = MetricSnapshot.objects.create(
                publication=publication,
                reach=numbers.reach,
                impressions=numbers.impressions,
                likes=numbers.likes,
                comments=numbers.comments,
                shares=numbers.shares,
                saves=numbers.saves,
                clicks=numbers.clicks,
            )
            keep_latest(publication, numbers, at=snapshot.fetched_at)
            kept.append(publication.pk)
        # Per account, not once at the end: a job stopped half-way (a timeout, a
        # deploy) leaves no reading kept without its month's totals, even a final
        # one that is never fetched again.
        MonthTotals.recount_publications(kept)
        stored += len(kept)
        time.sleep(settings.METRICS_SPACING_SECONDS)  # spread over the chunk's accounts
    return stored


def _enqueue(job: str, ids: list[int], what: str) -> int:
    """Jobs of METRICS_CHUNK ids each on the metrics queue; how many ids."""
    if not ids:
        return 0
    queue: Queue = django_rq.get_queue("metrics")
    queue.enqueue_many(
        [
            Queue.prepare_data(
                job,
                args=(ids[i : i + METRICS_CHUNK],),
                result_ttl=0,
                timeout=600,
                description=f"metrics for {len(ids[i : i + METRICS_CHUNK])} {what}",
            )
            for i in range(0, len(ids), METRICS_CHUNK)
        ]
    )
    return len(ids)


def engagements_of(numbers: Metrics) -> int | None:
    """Likes, comments, shares and saves; None when the platform reported none of them."""
    parts = [numbers.likes, numbers.comments, numbers.shares, numbers.saves]
    known = [part for part in parts if part is not None]
    return sum(known) if known else None


def keep_latest(publication: Publication, numbers: Metrics, *, at: datetime) -> None:
    """The publication's latest numbers, for the analytics pages.

    A figure the platform did not report this time (Instagram's insights lag
    up to two days) keeps the last one it did: missing stays missing, never 0.
    """
    reported = numbers.reach
    if reported is None and publication.account.platform in REACH_FROM_VIEWS:
        reported = numbers.impressions
    reach = reported if reported is not None else publication.reach
    impressions = (
        numbers.impressions if numbers.impressions is not None else publication.impressions
    )
    engagements = engagements_of(numbers)
    if engagements is None:
        engagements = publication.engagements
    final = publication.published_at is not None and at - publication.published_at >= (
        METRICS_FINAL_AGE
    )
    Publication.objects.filter(pk=publication.pk).update(
        reach=reach,
        impressions=impressions,
        engagements=engagements,
        metrics_at=at,
        metrics_final=final,
    )


# -- the accounts' own figures, once a day ------------------------------------------------


def collect_account_metrics(*, now: datetime | None = None) -> int:
    """Enqueue today's reading for every connected account that has none yet."""
    now = now or timezone.now()
    # A platform that gives no account figures is not asked every six hours.
    asked = [platform for platform in PLATFORMS if client_for(platform).has_account_metrics]
    ids = list(
        SocialAccount.objects.filter(status=SocialAccount.Status.CONNECTED, platform__in=asked)
        .exclude(snapshots__day=now.date())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return _enqueue("posts.jobs.fetch_account_metrics", ids, "accounts")


def fetch_account_metrics(*, account_ids: list[int], now: datetime | None = None) -> int:
    """Today's followers and reach of each account (one reading a day; a second is skipped)."""
    now = now or timezone.now()
    stored = 0
    for account in SocialAccount.objects.filter(
        pk__in=account_ids, status=SocialAccount.Status.CONNECTED
    ).select_related("practice"):
        if not account.is_usable:
            continue
        try:
            figures = client_for(account.platform).account_metrics(account_for(account))
        except PlatformError as error:
            if error.kind == "reconnect" and account.mark_needs_reconnect(error.message):
                account_alerts.account_needs_reconnect(account)
            logger.info("account figures for %s: %s", account.pk, error.kind)
            continue
        if figures.followers is None and figures.reach is None:
            continue  # the platform gives none (Google Business Profile)
        _, created = AccountSnapshot.objects.get_or_create(
            account=account,
            day=now.date(),
            defaults={"followers": figures.followers, "reach": figures.reach, "fetched_at": now},
        )
        stored += created
        time.sleep(settings.METRICS_SPACING_SECONDS)
    return stored
