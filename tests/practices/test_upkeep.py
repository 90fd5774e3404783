"""Token refresh, expiry warnings and metrics, against the platforms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from posts.models import MetricSnapshot, Publication
from posts.publishing import metrics
from practices.models import SocialAccount
from practices.tokens import refresh_expiring_tokens, warn_expiring_accounts
from tests import factories
from tests.publishing_support import (
    scheduled_post,
    sent_mail,
    work,
)

pytestmark = pytest.mark.django_db


def _account_with_sandbox_tokens(world, sandbox, platform, *, expires_in):
    account = world["accounts"][platform]
    tokens = sandbox.tokens(platform, account.external_id, ttl_s=3600)
    account.access_token = tokens["access_token"]
    account.refresh_token = tokens["refresh_token"]
    account.token_expires_at = timezone.now() + expires_in
    account.save()
    return account, tokens


def test_x_token_is_refreshed_before_it_expires(world, sandbox):
    account, tokens = _account_with_sandbox_tokens(
        world, sandbox, "x", expires_in=timedelta(minutes=10)
    )
    far = _account_with_sandbox_tokens(world, sandbox, "linkedin", expires_in=timedelta(days=50))[0]

    assert refresh_expiring_tokens() == 1

    account.refresh_from_db()
    assert account.access_token != tokens["access_token"]
    assert account.token_expires_at > timezone.now() + timedelta(minutes=30)
    assert account.status == SocialAccount.Status.CONNECTED
    assert AuditEvent.objects.filter(verb="token_refreshed", object_id=str(account.pk)).exists()
    far.refresh_from_db()
    assert far.refresh_token  # untouched
    # The new token works: a post goes out with it.
    assert refresh_expiring_tokens() == 0


def test_refused_refresh_marks_the_account_and_emails_the_strategist(
    world, sandbox, django_capture_on_commit_callbacks
):
    account, tokens = _account_with_sandbox_tokens(
        world, sandbox, "x", expires_in=timedelta(minutes=10)
    )
    sandbox.revoke(tokens["refresh_token"])

    with django_capture_on_commit_callbacks(execute=True):
        assert refresh_expiring_tokens() == 0

    account.refresh_from_db()
    assert account.status == SocialAccount.Status.NEEDS_RECONNECT
    assert len(sent_mail()) == 1
    assert sent_mail()[0].to == [world["strategist"].email]
    assert "Reconnect X" in sent_mail()[0].subject
    assert world["practice"].get_absolute_url() in sent_mail()[0].body


def test_facebook_connection_expiring_within_a_week_is_warned_about_once(
    world, django_capture_on_commit_callbacks
):
    account = world["accounts"]["facebook"]
    account.token_expires_at = timezone.now() + timedelta(days=5)
    account.save()
    fine = world["accounts"]["google_business"]
    fine.token_expires_at = timezone.now() + timedelta(days=5)
    fine.refresh_token = "can-refresh"
    fine.save()

    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_accounts() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert warn_expiring_accounts() == 0

    account.refresh_from_db()
    assert account.expiry_warning_sent_at is not None
    assert len(sent_mail()) == 1
    assert "reconnected soon" in sent_mail()[0].subject
    assert world["practice"].get_absolute_url() in sent_mail()[0].body


def test_metrics_are_collected_for_recent_publications(world, sandbox, run_due, redis_db, settings):
    post = scheduled_post(world, ["facebook", "x"])
    run_due()
    old = factories.make_post(world["practice"])
    Publication.objects.create(
        post=old,
        account=world["accounts"]["linkedin"],
        status=Publication.Status.PUBLISHED,
        platform_post_id="urn:li:share:1",
        published_at=timezone.now() - timedelta(days=45),
    )
    settings.METRICS_SPACING_SECONDS = 0

    assert metrics.collect_metrics() == 2
    work("metrics")

    snapshots = MetricSnapshot.objects.filter(publication__post=post)
    assert snapshots.count() == 2
    assert all(s.likes is not None or s.impressions is not None for s in snapshots)
    # Fresh numbers are not fetched again within the hour.
    assert metrics.collect_metrics() == 0


@pytest.mark.django_db(transaction=True)
def test_a_refresh_in_progress_locks_its_account_but_not_the_practice(practice, settings):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from django.db import OperationalError, connections, transaction

    from practices.models import Practice
    from practices.platform_clients import client_for

    arrived, release = threading.Event(), threading.Event()

    class SlowTokenEndpoint(BaseHTTPRequestHandler):
        """X's token endpoint taking its time: the refresh call is in progress."""

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrived.set()
            release.wait(10)
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowTokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.PLATFORM_HOSTS = {
        **settings.PLATFORM_HOSTS,
        "x_api": f"http://127.0.0.1:{server.server_port}",
    }
    client_for.cache_clear()
    account = factories.make_account(
        practice,
        "x",
        refresh_token="refresh-me",
        token_expires_at=timezone.now() + timedelta(minutes=5),
    )
    refreshed: list[int] = []

    def cron() -> None:
        try:
            refreshed.append(refresh_expiring_tokens())
        finally:
            connections.close_all()

    thread = threading.Thread(target=cron, daemon=True)
    thread.start()
    try:
        assert arrived.wait(10), "the refresh never reached the platform"
        # Meanwhile a person saves the practice's settings: its row is free.
        # The account's row is not (a second refresh must not run at once).
        with transaction.atomic():
            locked = Practice.objects.select_for_update(nowait=True).get(pk=practice.pk)
            assert locked.pk == practice.pk
        with pytest.raises(OperationalError), transaction.atomic():
            SocialAccount.objects.select_for_update(nowait=True).get(pk=account.pk)
    finally:
        release.set()
        thread.join(15)
        server.shutdown()
        server.server_close()
        client_for.cache_clear()
    assert refreshed == [0]  # the 503: tried again on the next run


def test_each_reading_keeps_the_latest_numbers_and_the_28_day_one_is_the_last(
    world, sandbox, run_due, redis_db, settings
):
    settings.METRICS_SPACING_SECONDS = 0
    post = scheduled_post(world, ["facebook"])
    run_due()
    publication = post.publications.get()
    assert metrics.collect_metrics() == 1
    work("metrics")
    publication.refresh_from_db()
    truth = sandbox.ledger("facebook")[-1]["metrics"]
    assert publication.reach == truth["reach"]
    assert publication.engagements is not None
    assert publication.engagements >= truth["likes"] + truth["comments"]
    assert publication.metrics_at is not None and not publication.metrics_final
    # Daily once two days old; due again at 28 days for the last reading.
    read_at = publication.metrics_at
    assert metrics.collect_metrics(now=read_at + timedelta(minutes=30)) == 0
    assert metrics.collect_metrics(now=publication.published_at + timedelta(days=10)) == 1
    assert metrics.collect_metrics(now=publication.published_at + timedelta(days=29)) == 1
    # A reading taken 28 days after publishing is the final one: no more after it.
    Publication.objects.filter(pk=publication.pk).update(
        published_at=timezone.now() - timedelta(days=28, hours=1)
    )
    metrics.fetch_metrics(publication_ids=[publication.pk])
    publication.refresh_from_db()
    assert publication.metrics_final
    assert metrics.collect_metrics(now=timezone.now() + timedelta(days=1)) == 0
    assert MetricSnapshot.objects.filter(publication=publication).count() == 2


def test_a_figure_not_reported_this_time_keeps_the_last_one(world, sandbox):
    from platforms.base import Metrics

    post = factories.make_post(world["practice"])
    publication = Publication.objects.create(
        post=post,
        account=world["accounts"]["instagram"],
        status=Publication.Status.PUBLISHED,
        platform_post_id="1789",
        published_at=timezone.now() - timedelta(days=3),
        reach=500,
        impressions=900,
        engagements=40,
    )
    metrics.keep_latest(
        publication, Metrics(reach=None, impressions=None, likes=50, comments=3), at=timezone.now()
    )
    publication.refresh_from_db()
    assert (publication.reach, publication.impressions, publication.engagements) == (500, 900, 53)
    fresh = Publication.objects.create(
        post=factories.make_post(world["practice"]),
        account=world["accounts"]["instagram"],
        status=Publication.Status.PUBLISHED,
        platform_post_id="1790",
        published_at=timezone.now(),
    )
    metrics.keep_latest(fresh, Metrics(), at=timezone.now())
    fresh.refresh_from_db()
    assert (fresh.reach, fresh.engagements) == (None, None)  # missing, never zero


def test_each_account_is_read_once_a_day_and_its_followers_shown(
    client, world, sandbox, redis_db, settings
):
    from posts.models import AccountSnapshot

    settings.METRICS_SPACING_SECONDS = 0
    # Google gives no account figures: it is not asked.
    assert metrics.collect_account_metrics() == len(world["accounts"]) - 1
    work("metrics")
    readings = AccountSnapshot.objects.filter(account__practice=world["practice"])
    assert readings.count() == 4
    facebook = readings.get(account=world["accounts"]["facebook"])
    assert facebook.followers and facebook.reach
    assert readings.get(account=world["accounts"]["linkedin"]).reach is None
    # Once a day: the accounts read today are not asked again.
    assert metrics.collect_account_metrics() == 0
    client.force_login(world["strategist"])
    page = client.get(reverse("practice_analytics", args=[world["practice"].slug]))
    body = page.content.decode()
    assert "Followers at the end of each month" in body
    assert f"<td>{facebook.followers}</td>" in body
