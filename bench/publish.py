"""Publishing benchmark: 2,000 publications due in the same minute, 150 ms per platform call.

    python scripts/services.py -- python bench/publish.py               # text posts
    BENCH_MODE=photo python scripts/services.py -- python bench/publish.py

Two modes. text: text-only posts on the four platforms that take them.
photo: real posts, one photo each, on all five platforms: Instagram builds a
container and, like Google, fetches the photo from our signed URL, served by
gunicorn as in production (agency/gunicorn.py); Facebook, LinkedIn and X get
the photo's bytes uploaded. Each practice's photo is cleaned and its platform
renderings made before the due time, as the editor's previews do for a real
post; what is measured is publishing.

Sets up its own database (rounds_bench, dropped and made again) and Redis
database, starts the sandbox platforms in their own process with 150 ms of
latency on every call, the documented default number of publish workers
(docs/publishing.md), and a dispatcher ticking like `manage.py rqcron`.
Prints plain name=value lines:

- all_published_s: from the due time until the last publication was recorded
- lag_p50_s, lag_p99_s: how long after the due time publications were recorded
- engine_per_s: publications per second through the whole engine
- bare_per_s: the same platform calls from a bare thread pool of the same
  concurrency (no database, no queue): what the platforms allow at best
- ratio: engine_per_s / bare_per_s

Environment: BENCH_MODE (text or photo), BENCH_PUBLICATIONS (2000),
BENCH_LATENCY_MS (150), PUBLISH_WORKERS (the default in docs/publishing.md),
BENCH_REDIS_DB (14).
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import recreate_database  # noqa: E402

PUBLICATIONS = int(os.environ.get("BENCH_PUBLICATIONS", "2000"))
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "150"))
# The default from docs/publishing.md: 16 single-job worker processes.
WORKERS = int(os.environ.get("PUBLISH_WORKERS", "16"))
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "14"))
DB_NAME = "rounds_bench"
MODE = os.environ.get("BENCH_MODE", "text")
if MODE not in ("text", "photo"):
    raise SystemExit("BENCH_MODE is text or photo")
PLATFORMS = ["facebook", "linkedin", "x", "google_business"]
if MODE == "photo":
    PLATFORMS = ["facebook", "instagram", "linkedin", "x", "google_business"]
# 100 or 125 accounts: X allows 200 posts per 15 minutes per account and
# Instagram 50 per 24 hours, which the engine keeps to.
PRACTICES = 25
EXTERNAL_IDS = {
    "facebook": "{n}",
    "instagram": "178414000000{n}",
    "linkedin": "urn:li:organization:{n}",
    "x": "{n}",
    "google_business": "accounts/{n}/locations/{n}",
}
DISPATCH_INTERVAL = 3.0  # settings.DISPATCH_INTERVAL_SECONDS, as rqcron runs it
TIMEOUT_S = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing answered on port {port}")


def redis_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


def main() -> int:
    base_db = os.environ.get("DATABASE_URL", "")
    if not base_db.startswith("postgres"):
        print("error=run me through scripts/services.py (needs PostgreSQL)", file=sys.stderr)
        return 2
    sandbox_port = free_port()
    web_port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "agency.settings",
        "DJANGO_ENV": "development",
        "DATABASE_URL": recreate_database(base_db, DB_NAME),
        "REDIS_URL": redis_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")),
        "SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The platforms fetch photos from here (photo mode).
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "MEDIA_ROOT": tempfile.mkdtemp(prefix="rounds-bench-media-"),
    }
    os.environ.update(env)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(sandbox_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    servers = [sandbox]
    if MODE == "photo":
        servers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "python:agency.gunicorn",
                    "--bind",
                    f"127.0.0.1:{web_port}",
                    "--access-logfile",
                    "/dev/null",
                    "agency.wsgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    workers: list[subprocess.Popen] = []
    try:
        wait_for_port(sandbox_port)
        if MODE == "photo":
            wait_for_port(web_port)
        return run(env, sandbox_port, workers, servers)
    finally:
        for proc in [*workers, *servers]:
            proc.send_signal(signal.SIGTERM)
        for proc in [*workers, *servers]:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def run(
    env: dict[str, str],
    sandbox_port: int,
    workers: list[subprocess.Popen],
    servers: list[subprocess.Popen],
) -> int:
    import django

    django.setup()
    import django_rq
    import requests
    from django.db import connections
    from django.utils import timezone

    from core.models import User
    from platforms import build_client
    from platforms.base import MediaItem, PublishRequest
    from posts.media import outgoing
    from posts.models import Approval, Post, PostMedia, Publication
    from posts.publishing import dispatch
    from practices.models import Practice, SocialAccount
    from practices.platform_clients import account_for, client_config

    sandbox_url = env["SANDBOX_URL"]
    http = requests.Session()
    http.post(f"{sandbox_url}/_sandbox/reset", json={"seed": 1}, timeout=10).raise_for_status()
    http.post(
        f"{sandbox_url}/_sandbox/faults", json={"latency_ms": LATENCY_MS}, timeout=10
    ).raise_for_status()
    django_rq.get_connection("publish").flushdb()

    # -- the workers, started and registered before anything is due ---------
    # (their start-up is not what is measured)
    for _ in range(WORKERS):
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "rqworker",
                    "publish",
                    "--worker-class",
                    "rq.worker.SimpleWorker",
                    "--verbosity",
                    "0",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    from rq import Worker

    connection = django_rq.get_connection("publish")
    deadline = time.monotonic() + 120
    while len(Worker.all(connection=connection)) < WORKERS:
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not start")
        time.sleep(0.2)

    # -- 2,000 publications, approved and scheduled for the same moment --------
    setup_started = time.monotonic()
    doctor = User.objects.create_user("bench-doctor", "bench-doctor@example.test", "x")
    accounts = []
    photos = {}
    for p in range(PRACTICES):
        practice = Practice.objects.create(
            name=f"Bench practice {p}", slug=f"bench-{p}", specialty="other"
        )
        if MODE == "photo":
            photos[practice.pk] = _photo(practice, p, doctor)
        for platform in PLATFORMS:
            external_id = EXTERNAL_IDS[platform].format(n=1000000 + p)
            token = f"bench-token-{platform}-{p}"
            if platform == "x":  # X knows the author from the token alone
                token = http.post(
                    f"{sandbox_url}/_sandbox/tokens",
                    json={"platform": "x", "account": external_id},
                    timeout=10,
                ).json()["access_token"]
            accounts.append(
                SocialAccount.objects.create(
                    practice=practice,
                    platform=platform,
                    external_id=external_id,
                    display_name=f"Bench {p} {platform}",
                    access_token=token,
                )
            )
    by_practice: dict[int, list[SocialAccount]] = {}
    for account in accounts:
        by_practice.setdefault(account.practice_id, []).append(account)
    n_posts = PUBLICATIONS // len(PLATFORMS)
    practice_ids = sorted(by_practice)
    posts = Post.objects.bulk_create(
        Post(
            practice_id=practice_ids[i % len(practice_ids)],
            caption=f"Benchmark post {i}: our clinic opens early on Mondays.",
            status=Post.Status.SCHEDULED,
        )
        for i in range(n_posts)
    )
    if photos:
        PostMedia.objects.bulk_create(
            PostMedia(post=post, asset=photos[post.practice_id], position=0) for post in posts
        )
    through = Post.targets.through
    through.objects.bulk_create(
        through(post_id=post.pk, socialaccount_id=account.pk)
        for post in posts
        for account in by_practice[post.practice_id]
    )
    Approval.objects.bulk_create(
        Approval(
            post=post,
            reviewer=doctor,
            decision=Approval.Decision.APPROVED,
            content_hash=post.content_hash(),
            via=Approval.Via.LOGIN,
        )
        for post in posts
    )
    due = timezone.now() + timedelta(seconds=3)
    Post.objects.filter(pk__in=[p.pk for p in posts]).update(scheduled_at=due)
    Publication.objects.bulk_create(
        Publication(post=post, account=account, next_attempt_at=due)
        for post in posts
        for account in by_practice[post.practice_id]
    )
    total = Publication.objects.count()
    print(f"mode={MODE}")
    print(f"publications={total}")
    print(f"latency_ms={LATENCY_MS}")
    print(f"workers={WORKERS}")
    print(f"setup_s={time.monotonic() - setup_started:.1f}")

    cpu_before = {
        "workers": _cpu_seconds([w.pid for w in workers]),
        "platforms": _cpu_seconds([servers[0].pid]),
        "web": _cpu_seconds([s.pid for s in servers[1:]]),
    }

    # -- the dispatcher ticking from the due time, as rqcron would -----------
    stop = threading.Event()

    def dispatcher() -> None:
        while timezone.now() < due:
            time.sleep(0.01)
        while not stop.is_set():
            dispatch.dispatch_due()
            stop.wait(DISPATCH_INTERVAL)
        connections.close_all()

    ticker = threading.Thread(target=dispatcher, daemon=True)
    ticker.start()
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        settled = Publication.objects.filter(
            status__in=[Publication.Status.PUBLISHED, Publication.Status.FAILED]
        ).count()
        if settled == total:
            break
        time.sleep(0.5)
    stop.set()
    ticker.join()

    rows = list(Publication.objects.values_list("status", "updated_at"))
    published = [at for status, at in rows if status == Publication.Status.PUBLISHED]
    failed = sum(status == Publication.Status.FAILED for status, _ in rows)
    lags = sorted((at - due).total_seconds() for at in published)
    print(f"published={len(published)}")
    print(f"failed={failed}")
    print(f"unsettled={total - len(published) - failed}")
    if not lags:
        return 1
    all_published_s = lags[-1]
    engine_rate = len(published) / all_published_s
    print(f"all_published_s={all_published_s:.1f}")
    print(f"lag_p50_s={statistics.median(lags):.1f}")
    print(f"lag_p99_s={lags[min(len(lags) - 1, int(len(lags) * 0.99))]:.1f}")
    print(f"engine_per_s={engine_rate:.1f}")
    # Where the two cores went while publishing: our workers (engine and
    # client code), the sandbox standing in for the platforms, the web server
    # serving photos. CPU milliseconds per publication.
    cpu_after = {
        "workers": _cpu_seconds([w.pid for w in workers]),
        "platforms": _cpu_seconds([servers[0].pid]),
        "web": _cpu_seconds([s.pid for s in servers[1:]]),
    }
    for part, before in cpu_before.items():
        print(f"cpu_ms_per_publication_{part}={(cpu_after[part] - before) * 1000 / total:.1f}")

    # -- the same calls from a bare thread pool of the same concurrency -------
    for proc in workers:
        proc.send_signal(signal.SIGTERM)
    calls = [
        (accounts[i % len(accounts)], f"Bare loop call {i}: our clinic opens early on Mondays.")
        for i in range(total)
    ]
    # The same photo as the engine's posts: signed URL and bytes, made once.
    items: dict[tuple[int, str], tuple[MediaItem, ...]] = {}
    if photos:
        # A photo is served at its signed URL only while a post using it is
        # going out (posts.media.photos.needed_publicly), and every bench post is
        # published by now: one post per practice goes back to scheduled, so
        # that Instagram and Google can fetch the photo as they did above.
        Post.objects.filter(pk__in=[post.pk for post in posts[: len(practice_ids)]]).update(
            status=Post.Status.SCHEDULED
        )
        for post in posts[: len(practice_ids)]:
            for account in by_practice[post.practice_id]:
                items[post.practice_id, account.platform] = outgoing.media_items(
                    post, account.platform
                )

    # One client (one requests Session) per thread and platform, as each
    # worker process has its own.
    local = threading.local()

    def call(item) -> None:
        account, text = item
        clients = local.__dict__.setdefault("clients", {})
        if account.platform not in clients:
            clients[account.platform] = build_client(
                account.platform, client_config(account.platform)
            )
        attached = items.get((account.practice_id, account.platform), ())
        clients[account.platform].publish(
            account_for(account), PublishRequest(text=text, media=attached)
        )

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(call, calls))
    bare_s = time.monotonic() - started
    bare_rate = total / bare_s
    print(f"bare_s={bare_s:.1f}")
    print(f"bare_per_s={bare_rate:.1f}")
    print(f"ratio={engine_rate / bare_rate:.2f}")
    # Targets: all out within the minute, and the engine near what the
    # platforms allow (0.5 of a bare loop for text posts, 0.8 with photos).
    floor = 0.8 if MODE == "photo" else 0.5
    within = all_published_s <= 60 and engine_rate / bare_rate >= floor and failed == 0
    print(f"within_targets={'yes' if within else 'no'}")
    return 0


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes and their children alive now (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    wanted = set(pids)
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid in wanted or ppid in wanted:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _photo(practice, n, by):
    """A practice's photo, cleaned and stored, with its platform renderings made."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    import imaging
    from posts.media import photos as media

    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1800), (40 + n * 7 % 200, 120, 200 - n * 5 % 150)).save(
        buffer, "JPEG", quality=85
    )
    upload = SimpleUploadedFile(f"bench-{n}.jpg", buffer.getvalue(), content_type="image/jpeg")
    asset = media.store_photo(practice=practice, upload=upload, by=by)
    for spec in set(imaging.PLATFORM_VARIANT.values()):
        media.variant_for(asset, spec)
    return asset


if __name__ == "__main__":
    sys.exit(main())
