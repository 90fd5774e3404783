"""Fixtures and helpers for the publishing tests: the sandbox over HTTP, real Redis, real RQ.

The sandbox server, the `sandbox` fixture and the photo server are in
tests/conftest.py; this module has what drives them and the publishing world.
Imported by the publishing test modules (`from tests.publishing_support import *`
would hide what is used, so they import names).
"""

from __future__ import annotations

from datetime import timedelta

import django_rq
import pytest
import requests
from django.conf import settings
from django.core import mail
from django.utils import timezone
from rq import SimpleWorker

from core import notifications
from core.models import User
from posts.models import Post, PostMedia
from posts.publishing import dispatch
from practices.models import Platform
from practices.platform_clients import client_for
from tests import factories

ALL_PLATFORMS = [p.value for p in Platform]
TEXT_PLATFORMS = ["facebook", "linkedin", "x", "google_business"]


class SandboxAPI:
    """The sandbox's own endpoints: ledger, fault knobs, reset, tokens."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def _post(self, path: str, body: dict) -> dict:
        response = self.http.post(f"{self.url}/_sandbox/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self, seed: int = 1) -> None:
        self._post("reset", {"seed": seed})

    def faults(self, **knobs) -> dict:
        return self._post("faults", knobs)

    def clear_faults(self) -> None:
        self.http.delete(f"{self.url}/_sandbox/faults", timeout=10).raise_for_status()

    def calls(self, containing: str) -> int:
        """Calls answered by the routes whose pattern contains this text."""
        resp = requests.get(f"{self.url}/_sandbox/calls", timeout=5)
        resp.raise_for_status()
        return sum(n for route, n in resp.json()["calls"].items() if containing in route)

    def ledger(self, platform: str | None = None, account: str | None = None) -> list[dict]:
        params = {k: v for k, v in {"platform": platform, "account": account}.items() if v}
        response = self.http.get(f"{self.url}/_sandbox/ledger", params=params, timeout=10)
        response.raise_for_status()
        return response.json()["posts"]

    def tokens(self, platform: str, account: str, ttl_s: float | None = None) -> dict:
        return self._post("tokens", {"platform": platform, "account": account, "ttl_s": ttl_s})

    def revoke(self, token: str) -> None:
        self._post("revoke", {"token": token})

    # -- the conversation (comments, mentions, reviews) the sandbox keeps --------

    def add_conversation(self, platform: str, kind: str, **fields) -> list[str]:
        """Comments, mentions or reviews arriving now; their ids."""
        return self._post("conversations", {"platform": platform, "kind": kind, **fields})["ids"]

    def conversation(self, platform: str, **params) -> list[dict]:
        response = self.http.get(
            f"{self.url}/_sandbox/conversations",
            params={"platform": platform, **params},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["items"]

    def edit_conversation(self, platform: str, item_id: str, **changes) -> dict:
        from urllib.parse import quote

        return self._post(f"conversations/{platform}/{quote(item_id, safe='')}", changes)

    def delete_conversation(self, platform: str, item_id: str) -> None:
        from urllib.parse import quote

        self.http.delete(
            f"{self.url}/_sandbox/conversations/{platform}/{quote(item_id, safe='')}", timeout=10
        ).raise_for_status()


def point_at_sandbox(settings_, url: str) -> None:
    from agency.settings import _REAL_HOSTS

    settings_.PLATFORM_HOSTS = {role: f"{url}/{role}" for role in _REAL_HOSTS}
    # Instagram containers: poll fast, the sandbox finishes them at once.
    settings_.PLATFORM_CLIENT_OPTIONS = {"poll_interval": 0.01, "poll_attempts": 5}
    client_for.cache_clear()


@pytest.fixture
def redis_db():
    """This test's own Redis database, empty (tests.settings gives each xdist worker one)."""
    connection = django_rq.get_connection("publish")
    connection.flushdb()
    yield connection
    connection.flushdb()


def work(queue: str = "publish") -> None:
    """Run every job waiting on `queue` in this process, as a real RQ worker does."""
    worker = django_rq.get_worker(queue, worker_class=SimpleWorker)
    worker.work(burst=True, with_scheduler=False)


def sent_mail() -> list:
    """The e-mails sent so far, after sending every one owed (the e-mail sweep's path,
    core.notifications.send_due; tests/core/test_notifications.py runs the job's)."""
    notifications.send_due()
    return mail.outbox


@pytest.fixture
def run_due(redis_db, django_capture_on_commit_callbacks):
    """Dispatch what is due and run the jobs, then the e-mail jobs they owed."""

    def run(*, now=None, rounds: int = 1) -> list[int]:
        claimed: list[int] = []
        for _ in range(rounds):
            with django_capture_on_commit_callbacks(execute=True):
                claimed += dispatch.claim_due(now=now)
            with django_capture_on_commit_callbacks(execute=True):
                work()
            sent_mail()
        return claimed

    return run


_account_numbers = iter(range(1, 10**6))


def external_id(platform: str, n: int) -> str:
    """An id in the platform's own shape (the sandbox checks some of them)."""
    return {
        "facebook": f"{1000000 + n}",
        "instagram": f"{17841400000000000 + n}",
        "linkedin": f"urn:li:organization:{2000000 + n}",
        "x": f"{3000000 + n}",
        "google_business": f"accounts/{4000000 + n}/locations/{5000000 + n}",
    }[platform]


def platform_account(practice, platform: str, api: SandboxAPI):
    """A connected account; X derives the author from the token, so it gets a minted one."""
    n = next(_account_numbers)
    ext = external_id(platform, n)
    token = api.tokens(platform, ext)["access_token"] if platform == "x" else f"token-{n}"
    return factories.make_account(practice, platform, external_id=ext, access_token=token)


@pytest.fixture
def world(practice, strategist, doctor, sandbox):
    """A practice with one connected account per platform and a primary strategist."""
    author = factories.make_user("author", agency_role=User.AgencyRole.STRATEGIST)
    accounts = {p: platform_account(practice, p, sandbox) for p in ALL_PLATFORMS}
    return {
        "practice": practice,
        "strategist": strategist,
        "doctor": doctor,
        "author": author,
        "accounts": accounts,
    }


_captions = iter(range(1, 10**6))


def scheduled_post(
    world, platforms, *, caption: str | None = None, at=None, consents=(), photos=(), **fields
) -> Post:
    """An approved post scheduled for `at` (default: a second ago) on the given platforms.

    Patient authorizations are attached before the approval, which checks them.
    """
    caption = caption or f"Flu shots are in: walk in any weekday morning (#{next(_captions)})."
    post = factories.make_post(
        world["practice"],
        author=world["author"],
        targets=[world["accounts"][p] for p in platforms],
        caption=caption,
        **fields,
    )
    post.consents.set(consents)
    for position, asset in enumerate(photos):
        PostMedia.objects.create(post=post, asset=asset, position=position)
    post.submit_for_review()
    post.approve(by=world["doctor"], via="login")
    post.schedule(at=at or timezone.now() - timedelta(seconds=1))
    return post


def make_due(post: Post) -> None:
    """Time travel for retries: everything waiting on this post is due now."""
    post.publications.filter(next_attempt_at__isnull=False).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def out_of_time(post: Post) -> None:
    """Time travel for giving up: the post's publications are past their retry window."""
    post.publications.update(retry_until=timezone.now() - timedelta(seconds=1))


def lease_seconds() -> int:
    return settings.PUBLISH_LEASE_SECONDS


def ready_video(practice, by, kind: str = "vertical"):
    """A phone clip sent in and prepared as the media worker does (in this process)."""
    from core import files
    from posts.media import videos
    from tests import media_samples as samples

    checked = videos.check_upload(samples.video("clip.mov", kind=kind))
    try:
        with files.files_removed_on_failure():
            asset = videos.store_checked(practice=practice, checked=checked, by=by)
    finally:
        checked.discard()
    assert videos.prepare(asset.pk) == "ready"
    asset.refresh_from_db()
    return asset
