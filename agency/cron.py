"""What the cron process enqueues: `manage.py rqcron agency.cron` (django-rq's command).

It only enqueues; the workers run the jobs. The dispatcher that claims due
publications runs every few seconds and is cheap when nothing is due (one
query on the publication_due partial index).
"""

from __future__ import annotations

from django.conf import settings
from rq import cron

from analytics import jobs as analytics_jobs
from core import notifications
from engagement import jobs as engagement_jobs
from posts import jobs

DISPATCH = settings.DISPATCH_INTERVAL_SECONDS

# A late run is worthless when the next comes in seconds: a short ttl drops
# dispatch jobs that sat in a queue while every worker was busy.
cron.register(
    jobs.dispatch_due, "default", interval=DISPATCH, ttl=max(DISPATCH * 5, 30), result_ttl=60
)
cron.register(jobs.requeue_lost_deletes, "default", interval=5 * 60, result_ttl=600)
cron.register(jobs.requeue_stalled_videos, "default", interval=5 * 60, result_ttl=600)
# The conversation: comments, mentions and reviews fetched per account, replies sent.
cron.register(engagement_jobs.sync_due, "default", interval=5 * 60, result_ttl=600)
cron.register(
    engagement_jobs.dispatch_replies, "default", interval=DISPATCH, ttl=max(DISPATCH * 5, 30)
)
cron.register(jobs.refresh_expiring_tokens, "default", interval=15 * 60, result_ttl=600)
cron.register(jobs.warn_expiring_accounts, "default", interval=6 * 60 * 60, result_ttl=600)
cron.register(jobs.collect_metrics, "metrics", interval=60 * 60, result_ttl=600)
cron.register(jobs.collect_account_metrics, "metrics", interval=6 * 60 * 60, result_ttl=600)
cron.register(jobs.expire_unapproved, "default", interval=60, ttl=120, result_ttl=60)
cron.register(jobs.remind_doctors, "default", interval=60, ttl=120, result_ttl=60)
cron.register(jobs.warn_expiring_authorizations, "default", interval=6 * 60 * 60, result_ttl=600)
# E-mail: the sweep sends what a job did not (a lost job, a failed send to
# retry); the digests leave at each person's hour.
cron.register(notifications.send_due, "email", interval=60, ttl=120, result_ttl=60)
cron.register(notifications.send_digests, "email", interval=60 * 60, result_ttl=600)
# Last month's report for every practice, made and e-mailed once from the
# first of the month (a missed run catches up at the next).
cron.register(analytics_jobs.send_monthly_reports, "default", interval=60 * 60, result_ttl=600)
