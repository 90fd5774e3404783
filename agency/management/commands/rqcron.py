"""The cron process: RQ's CronScheduler enqueueing the periodic jobs.

It only enqueues; the workers run the jobs. The dispatcher that claims due
publications runs every few seconds; it is cheap when nothing is due (one
indexed query, see the publication_due index).
"""

from __future__ import annotations

import logging

import django_rq
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string
from rq.cron import CronScheduler

# (function path, queue, interval in seconds; None: the dispatch interval).
SCHEDULE = [
    ("posts.jobs.dispatch_due", "default", None),
    ("posts.jobs.refresh_expiring_tokens", "default", 15 * 60),
    ("posts.jobs.warn_expiring_accounts", "default", 6 * 60 * 60),
    ("posts.jobs.collect_metrics", "metrics", 60 * 60),
]


class Command(BaseCommand):
    help = "Run the cron scheduler: dispatch due publications, refresh tokens, collect metrics."

    def handle(self, *args, **options):
        scheduler = CronScheduler(
            connection=django_rq.get_connection("default"), logging_level=logging.INFO
        )
        for path, queue, interval in SCHEDULE:
            scheduler.register(
                import_string(path),
                queue_name=queue,
                interval=interval or settings.DISPATCH_INTERVAL_SECONDS,
                # A late run is worthless: the next one comes in seconds.
                ttl=max(interval or settings.DISPATCH_INTERVAL_SECONDS, 30),
                result_ttl=60,
            )
        scheduler.start()
