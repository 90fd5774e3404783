"""The inbox at agency scale: its pages at two sizes, and a sync round through the sandbox.

    python scripts/services.py -- python bench/inbox.py

Builds two databases on PostgreSQL (each dropped and made again):

- rounds_bench_inbox, the full size: 300 practices, 20 strategists (15
  practices each), 1,500 platform accounts (one per platform per practice) and
  200,000 comments, mentions and reviews kept. Part of them is what the
  platforms (the sandbox) still show, as in a live inbox: every Google review
  (100 a location) and the comments on each account's posts of the last 30
  days (4 posts an account, 5 comments each, some with a reply in their
  thread), published in the sandbox through our platform clients and fetched
  back. The rest is history the platforms are no longer asked about: comments
  on older posts, and mentions.
- rounds_bench_inbox_tenth, a tenth of the history: the same agency (the same
  practices, strategists and accounts) with 20,000 items over the same year,
  in the same mix (as bench/pages.py, and for the same reason: a strategist
  sees the same 15 practices at both sizes, and only what piled up behind
  them differs). BENCH_TENTH=agency makes the tenth a tenth of the agency
  instead: 30 practices (2 strategists) with the same history each, so the
  strategist's own inbox is the same at both sizes and only the rest of the
  table grows.

Items are spread over a year, newest the most often open (new or needing a
reply), older ones mostly replied to or done; a review's stars and the texts
are the sandbox's (sandbox.conversations: thanks, questions, complaints,
people naming their care, hostile markup, long rants), complaints flagged as
the sync flags them (engagement.complaints).

1. The inbox's pages, signed in as one strategist (past the second step, DEBUG
   off), BENCH_ROUNDS times at each size through Django's test client, the
   sizes taking turns (bench/pages.py's measure): the inbox across the
   strategist's practices (/inbox/), one practice's (/practices/<slug>/inbox/)
   and the same with every state (?state=all). Per page: <page>_queries,
   <page>_queries_tenth, <page>_ms, <page>_ms_tenth (medians), <page>_growth
   (full / tenth), <page>_sql_ms (the same SQL sent raw, for information),
   <page>_shown and <page>_shown_tenth (the items and list rows shown).
2. A sync round at full size: 10,000 new comments and reviews appear in the
   sandbox (comments on the recent posts, some in a thread, and reviews), the
   sandbox answers every platform call after 150 ms, and every account is
   synced once (engagement.jobs.sync_account, the workers' job) by
   BENCH_THREADS (16) threads, each with its own database connection. Then
   the same HTTP calls (recorded as they were made: same URLs, pages and
   headers, each account's in order) are made by a bare requests loop at the
   same concurrency, which parses the JSON and keeps nothing. Prints sync_s,
   bare_s and ratio (bare_s / sync_s: our throughput over the bare loop's),
   and checks that exactly the 10,000 new items were kept and nothing else
   changed (no edit, deletion or error).

Targets (issue): a page makes the same number of queries at both sizes, and at
most 15; its growth is at most 1.3; the sync round runs at least 0.8 times as
fast as the bare loop.

Environment: BENCH_ROUNDS (20), BENCH_THREADS (16), BENCH_LATENCY_MS (150),
BENCH_SCALE (1: practices, items and new items scaled together; 0.1 for a
quick try), BENCH_TENTH (history or agency), BENCH_REDIS_DB (13, flushed).
BENCH_REUSE=1 keeps the two databases a previous run left (its history, not
built again) and builds only what the sandbox shows (a new sandbox knows
nothing of the last one).
"""

from __future__ import annotations

import io
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pages  # noqa: E402
from bench.database import django_on_fresh_database  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import requests

    from practices.models import SocialAccount

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
THREADS = int(os.environ.get("BENCH_THREADS", "16"))
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "150"))
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "13"))
TENTH_OF = os.environ.get("BENCH_TENTH", "history")
if TENTH_OF not in ("history", "agency"):
    raise SystemExit("BENCH_TENTH is history or agency")
REUSE = pages.REUSE
PRACTICES = max(2, round(300 * SCALE))
ITEMS = round(200_000 * SCALE)
NEW_ITEMS = round(10_000 * SCALE)
NEW_REVIEW_SHARE = 0.3  # of the new items; the rest are comments
PER_STRATEGIST = 15
PLATFORMS = ["facebook", "instagram", "linkedin", "x", "google_business"]
COMMENTED = ["facebook", "instagram", "linkedin", "x"]
RECENT_POSTS = 4  # an account's posts of the last 30 days (the sync's comment window)
KEPT_COMMENTS = 5  # on each of them, already kept
KEPT_REVIEWS = 100  # a location's, already kept
MENTION_SHARE = 0.1  # of the history
DATABASES = {"full": "rounds_bench_inbox", "tenth": "rounds_bench_inbox_tenth"}
MAX_QUERIES = pages.MAX_QUERIES
MAX_GROWTH = pages.MAX_GROWTH
MIN_RATIO = 0.8
HISTORY = "hist-"  # the external ids of the history the platforms are not asked about


@dataclass(frozen=True)
class Mix:
    """How many items of each kind a database keeps, and over which span of days."""

    reviews: int  # over the year
    recent_comments: int  # on the posts of the last 30 days
    old_comments: int  # on older posts
    mentions: int  # over the year

    @property
    def total(self) -> int:
        return self.reviews + self.recent_comments + self.old_comments + self.mentions


def external_id(platform: str, n: int) -> str:
    """Account ids in each platform's shape (tests/publishing_support.py's)."""
    return {
        "facebook": f"{1000000 + n}",
        "instagram": f"{17841400000000000 + n}",
        "linkedin": f"urn:li:organization:{2000000 + n}",
        "x": f"{3000000 + n}",
        "google_business": f"accounts/{4000000 + n}/locations/{5000000 + n}",
    }[platform]


# -- what an item's life looks like ----------------------------------------------------


def open_weights(age_days: float) -> list[int]:
    """new, needs_reply, replied, done: the newest are mostly open, the old mostly handled."""
    if age_days < 3:
        return [60, 25, 10, 5]
    if age_days < 14:
        return [20, 20, 35, 25]
    return [2, 3, 50, 45]


STATES = ["new", "needs_reply", "replied", "done"]


def life(rng: random.Random, now: datetime, *, oldest: float, newest: float = 0) -> dict[str, Any]:
    """posted_at and state, drawn for an item between `newest` and `oldest` days old."""
    age = rng.uniform(newest, oldest)
    state = rng.choices(STATES, open_weights(age))[0]
    return {"posted_at": now - timedelta(days=age), "state": state}


def recent_post_age(n: int) -> float:
    """Days since a recent post went out: its comments came after it."""
    return 1 + n % 28


def assignee(rng: random.Random, state: str, strategist_id: int) -> int | None:
    """A third of the open items are assigned to the practice's strategist, a tenth of the rest."""
    return strategist_id if rng.random() < (0.33 if state in STATES[:2] else 0.1) else None


# -- the agency -----------------------------------------------------------------------


def build_agency(practices_count: int) -> None:
    from core.models import Assignment, User
    from practices.models import Practice, SocialAccount

    rng = random.Random(7)
    practices = Practice.objects.bulk_create(
        Practice(
            name=f"Practice {n:03d}",
            slug=f"practice-{n:03d}",
            specialty=rng.choice(Practice.Specialty.values),
            time_zone=rng.choice(["America/New_York", "America/Chicago", "America/Denver"]),
            tip_link_token=f"tip-{n:03d}-{rng.random()}",
            calendar_token=f"cal-{n:03d}-{rng.random()}",
        )
        for n in range(practices_count)
    )
    strategists = [
        User.objects.create_user(
            f"bench-s{n}", f"bench-s{n}@example.test", "x", agency_role="strategist"
        )
        for n in range(max(1, practices_count // PER_STRATEGIST))
    ]
    Assignment.objects.bulk_create(
        Assignment(strategist=strategists[i % len(strategists)], practice=practice)
        for i, practice in enumerate(practices)
    )
    SocialAccount.objects.bulk_create(
        SocialAccount(
            practice=practice,
            platform=platform,
            external_id=external_id(platform, n),
            display_name=f"{practice.name} on {platform}",
            access_token=f"bench-{platform}-{n}",
        )
        for n, practice in enumerate(practices)
        for platform in PLATFORMS
    )


def strategists_by_practice() -> dict[int, int]:
    from core.models import Assignment

    return dict(Assignment.objects.values_list("practice_id", "strategist_id"))


def build_history(mix: Mix, *, seed: int) -> int:
    """The items no platform is asked about again (ids starting with HISTORY), in `mix`."""
    from django.utils import timezone

    from engagement.complaints import is_complaint
    from engagement.models import InboxItem
    from practices.models import SocialAccount
    from sandbox import conversations as talk

    rng = random.Random(seed)
    now = timezone.now()
    owners = strategists_by_practice()
    accounts: dict[str, list[SocialAccount]] = {p: [] for p in PLATFORMS}
    for account in SocialAccount.objects.order_by("pk"):
        accounts[account.platform].append(account)
    commented = [a for p in COMMENTED for a in accounts[p]]
    plans = [
        ("review", mix.reviews, accounts["google_business"], 365, 0),
        # On a post of the last 30 days, as the sandbox's are (recent_post_age).
        ("comment", mix.recent_comments, commented, None, 0),
        ("comment", mix.old_comments, commented, 365, 30),
        ("mention", mix.mentions, commented, 365, 0),
    ]
    made = 0
    batch: list[InboxItem] = []
    for kind, count, where, oldest, newest in plans:
        for n in range(count):
            account = where[n % len(where)]  # round robin: every account its share
            drawn = life(
                rng, now, oldest=oldest or recent_post_age(rng.randrange(28)), newest=newest
            )
            rating = None
            if kind == "review":
                rating = rng.choices((5, 4, 3, 2, 1), weights=(52, 18, 8, 8, 14))[0]
                text = talk.review_text(rng, rating, account.platform)
            elif kind == "mention":
                text = talk.mention_text(rng, f"Practice {account.practice_id}", account.platform)
            else:
                text = talk.comment_text(rng, account.platform)
            post = f"{HISTORY}post-{account.pk}-{n // 6}" if kind == "comment" else ""
            batch.append(
                InboxItem(
                    practice_id=account.practice_id,
                    account=account,
                    kind=kind,
                    external_id=f"{HISTORY}{kind}-{made}",
                    post_external_id=post,
                    parent_external_id=(
                        f"{HISTORY}{kind}-{made - 1}"
                        if kind == "comment" and rng.random() < 0.15 and n
                        else ""
                    ),
                    author_name=rng.choice(talk.PEOPLE),
                    author_id=f"person-{rng.randrange(10**6)}",
                    text=text,
                    rating=rating,
                    permalink=f"https://example.test/{kind}/{made}",
                    deleted_at=drawn["posted_at"] + timedelta(hours=5)
                    if rng.random() < 0.03
                    else None,
                    hidden=rng.random() < 0.01,
                    complaint=is_complaint(text, rating=rating),
                    assigned_to_id=assignee(rng, drawn["state"], owners[account.practice_id]),
                    **drawn,
                )
            )
            made += 1
            if len(batch) >= 5000:
                InboxItem.objects.bulk_create(batch)
                batch = []
    InboxItem.objects.bulk_create(batch)
    return made


# -- what the platforms show: recent posts, their comments, every review ---------------


def sandbox_part(sandbox_url: str, image_url: str) -> dict[str, Any]:
    """Publish each account's recent posts in the sandbox, make its comments and reviews
    appear there, and keep them as the sync would have (bulk, with the history's states).

    Returns the recent posts ({account pk: [(post id, publication pk, published at)]}),
    the comment ids kept on each post (for the new items to come) and what was kept.
    """
    from django.utils import timezone

    from platforms import build_client
    from platforms.base import MediaItem, PublishRequest
    from posts.models import Post, Publication
    from practices.models import SocialAccount
    from practices.platform_clients import account_for, client_config

    http = session()
    now = timezone.now()
    rng = random.Random(11)
    accounts = list(SocialAccount.objects.order_by("pk"))
    # X knows the author from the token alone: each account gets one of its own.
    xs = [a for a in accounts if a.platform == "x"]
    for account in xs:
        account.access_token = post_json(
            http,
            f"{sandbox_url}/_sandbox/tokens",
            {"platform": "x", "account": account.external_id},
        )["access_token"]
    SocialAccount.objects.bulk_update(xs, ["access_token"])

    # -- the recent posts, published through our clients ------------------------------
    local = threading.local()
    photo = (MediaItem(url=image_url),)

    def publish(job: tuple[SocialAccount, int]) -> tuple[SocialAccount, str]:
        account, n = job
        clients = local.__dict__.setdefault("clients", {})
        if account.platform not in clients:
            clients[account.platform] = build_client(
                account.platform, client_config(account.platform)
            )
        text = f"Clinic news {n} from practice {account.practice_id}: flu shots are in."
        media = photo if account.platform == "instagram" else ()
        result = clients[account.platform].publish(
            account_for(account), PublishRequest(text=text, media=media)
        )
        return account, result.platform_id

    commented = [a for a in accounts if a.platform in COMMENTED]
    published = in_threads(publish, [(a, n) for a in commented for n in range(RECENT_POSTS)])
    posts = Post.objects.bulk_create(
        Post(
            practice_id=account.practice_id,
            title=f"Sync post {n}",
            caption=f"Clinic news {n}: flu shots are in.",
            status=Post.Status.PUBLISHED,
            scheduled_at=now - timedelta(days=recent_post_age(n)),
        )
        for n, (account, _) in enumerate(published)
    )
    publications = Publication.objects.bulk_create(
        Publication(
            post=post,
            account=account,
            status=Publication.Status.PUBLISHED,
            platform_post_id=platform_id,
            published_at=post.scheduled_at,
        )
        for post, (account, platform_id) in zip(posts, published, strict=True)
    )
    recent: dict[int, list[tuple[str, int, datetime]]] = {}
    for publication in publications:
        recent.setdefault(publication.account_id, []).append(
            (publication.platform_post_id, publication.pk, publication.published_at)
        )

    # -- their comments (a reply in a quarter of the threads) and every review ---------
    def comment_on(job: tuple[str, str, int]) -> tuple[str, list[str]]:
        platform, post_id, n = job
        ids = add_conversation(
            local_session(local),
            sandbox_url,
            platform,
            "comment",
            post_id=post_id,
            count=KEPT_COMMENTS,
        )
        if n % 4 == 0:
            add_conversation(
                local_session(local), sandbox_url, platform, "comment", parent_id=ids[0]
            )
        return post_id, ids

    by_pk = {a.pk: a for a in accounts}
    jobs = [
        (by_pk[pk].platform, post_id, n)
        for n, (pk, post_id) in enumerate(
            (pk, post_id) for pk, rows in recent.items() for post_id, _, _ in rows
        )
    ]
    threads_of = dict(in_threads(comment_on, jobs))
    locations = [a for a in accounts if a.platform == "google_business"]
    in_threads(
        lambda a: add_conversation(
            local_session(local),
            sandbox_url,
            "google_business",
            "review",
            account=a.external_id,
            count=KEPT_REVIEWS,
        ),
        locations,
    )

    # -- kept as the sync keeps them (engagement.sync._new), with the history's states --
    def fetch(account: SocialAccount) -> tuple[SocialAccount, list[Any]]:
        clients = local.__dict__.setdefault("clients", {})
        if account.platform not in clients:
            clients[account.platform] = build_client(
                account.platform, client_config(account.platform)
            )
        client = clients[account.platform]
        if account.platform == "google_business":
            found, cursor = [], ""
            while True:
                page = client.fetch_reviews(account_for(account), cursor=cursor)
                found += page.items
                cursor = page.cursor
                if page.complete or not cursor:
                    return account, found
        post_ids = sorted(post_id for post_id, _, _ in recent.get(account.pk, []))
        return account, list(client.fetch_comments(account_for(account), post_ids).items)

    kept = keep(in_threads(fetch, [*commented, *locations]), recent, rng, now)
    return {
        "recent": recent,
        "threads": threads_of,
        "kept_reviews": kept["review"],
        "kept_comments": kept["comment"],
        "posts_published": len(publications),
    }


def keep(
    fetched: list[tuple[SocialAccount, list[Any]]],
    recent: dict[int, list[tuple[str, int, datetime]]],
    rng: random.Random,
    now: datetime,
) -> Counter[str]:
    from engagement.complaints import is_complaint
    from engagement.models import InboxItem

    owners = strategists_by_practice()
    rows = []
    counted: Counter[str] = Counter()
    for account, items in fetched:
        publications = {post_id: (pk, at) for post_id, pk, at in recent.get(account.pk, [])}
        for found in items:
            if found.from_us:
                continue
            kind = "review" if account.platform == "google_business" else "comment"
            publication, published_at = publications.get(found.post_id or "", (None, None))
            if published_at is not None:
                drawn = life(rng, now, oldest=(now - published_at).total_seconds() / 86400)
            else:
                drawn = life(rng, now, oldest=365)
            rows.append(
                InboxItem(
                    practice_id=account.practice_id,
                    account=account,
                    kind=kind,
                    external_id=found.external_id,
                    publication_id=publication,
                    post_external_id=found.post_id or "",
                    parent_external_id=found.parent_id or "",
                    author_name=found.author_name[:300],
                    author_id=found.author_id[:300],
                    text=found.text,
                    rating=found.rating,
                    permalink=found.permalink[:1000],
                    hidden=found.hidden,
                    complaint=is_complaint(found.text, rating=found.rating),
                    assigned_to_id=assignee(rng, drawn["state"], owners[account.practice_id]),
                    **drawn,
                )
            )
            counted[kind] += 1
    InboxItem.objects.bulk_create(rows, batch_size=5000)
    return counted


def new_items(sandbox_url: str, part: dict[str, Any]) -> int:
    """NEW_ITEMS comments and reviews appear in the sandbox: comments on the recent posts
    (in a quarter of them one answers a comment kept already), reviews on every location."""
    from practices.models import SocialAccount

    reviews = round(NEW_ITEMS * NEW_REVIEW_SHARE)
    comments = NEW_ITEMS - reviews
    accounts = {a.pk: a for a in SocialAccount.objects.all()}
    posts = [
        (accounts[pk].platform, post_id)
        for pk, rows in sorted(part["recent"].items())
        for post_id, _, _ in rows
    ]
    locations = sorted(a.external_id for a in accounts.values() if a.platform == "google_business")
    jobs: list[dict[str, Any]] = []
    for n, (platform, post_id) in enumerate(posts):
        count = comments // len(posts) + (1 if n < comments % len(posts) else 0)
        if count and n % 4 == 1:
            jobs.append(
                {"platform": platform, "kind": "comment", "parent_id": part["threads"][post_id][1]}
            )
            count -= 1
        if count:
            jobs.append(
                {"platform": platform, "kind": "comment", "post_id": post_id, "count": count}
            )
    for n, location in enumerate(locations):
        count = reviews // len(locations) + (1 if n < reviews % len(locations) else 0)
        if count:
            jobs.append(
                {
                    "platform": "google_business",
                    "kind": "review",
                    "account": location,
                    "count": count,
                }
            )
    local = threading.local()
    made = in_threads(
        lambda job: len(add_conversation(local_session(local), sandbox_url, **job)), jobs
    )
    return sum(made)


def forget_the_last_sandbox() -> None:
    """BENCH_REUSE: what a previous run kept of its sandbox (which is gone) goes."""
    from core.models import Notification
    from engagement.models import InboxItem, SyncCursor
    from posts.models import Post

    InboxItem.objects.exclude(external_id__startswith=HISTORY).delete()
    Post.objects.filter(title__startswith="Sync post").delete()
    SyncCursor.objects.all().delete()
    Notification.objects.all().delete()


# -- the sync round ---------------------------------------------------------------------


def sync_round() -> dict[str, Any]:
    """Every account synced once by THREADS threads, as the workers' job does it; the
    calls it made, per account and in order, recorded for the bare loop."""
    from django.db import connections

    from engagement import jobs
    from practices.models import SocialAccount
    from practices.platform_clients import client_for

    account_ids = list(SocialAccount.objects.order_by("pk").values_list("pk", flat=True))
    calls: dict[int, list[tuple[str, str, dict[str, str], Any]]] = {pk: [] for pk in account_ids}
    current = threading.local()

    def record(response: requests.Response, *args: object, **kwargs: object) -> None:
        # A requests response hook (the session's): it sees each call as it was sent.
        sent = response.request
        headers = {k: v for k, v in sent.headers.items() if k.lower() != "content-length"}
        calls[current.account].append((str(sent.method), str(sent.url), headers, sent.body))

    sessions = [client_for(platform).http.session for platform in PLATFORMS]
    for http in sessions:
        http.hooks["response"].append(record)
    new = [0]
    lock = threading.Lock()

    def sync(pk: int) -> None:
        current.account = pk
        made = jobs.sync_account(pk)
        with lock:
            new[0] += made

    def warm() -> None:
        connections["default"].ensure_connection()

    try:
        elapsed = timed_in_threads(sync, account_ids, warm=warm, done=connections.close_all)
    finally:
        for http in sessions:
            http.hooks["response"].remove(record)
    return {"seconds": elapsed, "new": new[0], "calls": calls}


def bare_round(calls: dict[int, list[tuple[str, str, dict[str, str], Any]]]) -> float:
    """The same calls from a bare requests loop: each account's in order, THREADS at a time,
    each answer's JSON parsed and dropped."""
    local = threading.local()

    def replay(pk: int) -> None:
        http = local_session(local)
        for method, url, headers, body in calls[pk]:
            response = http.request(method, url, headers=headers, data=body, timeout=30)
            if response.content:
                response.json()

    return timed_in_threads(replay, sorted(calls), warm=lambda: local_session(local))


# -- threads and HTTP -------------------------------------------------------------------


def in_threads(work: Callable[[Any], Any], jobs: Iterable[Any]) -> list[Any]:
    """work(job) for every job on THREADS threads (setup: not timed), results in order."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def run(job: Any) -> Any:
        try:
            return work(job)
        finally:
            if threading.current_thread() is not threading.main_thread():
                connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, jobs))


def timed_in_threads(
    work: Callable[[Any], None],
    jobs: list[Any],
    *,
    warm: Callable[[], Any],
    done: Callable[[], None] | None = None,
) -> float:
    """Seconds from the moment THREADS ready threads start taking jobs until the last ends."""
    queue = list(reversed(jobs))
    lock = threading.Lock()
    ready = threading.Barrier(THREADS + 1)
    failures: list[BaseException] = []

    def worker() -> None:
        warm()
        ready.wait()
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    job = queue.pop()
                work(job)
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            if done is not None:
                done()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if failures:
        raise failures[0]
    return elapsed


def session() -> requests.Session:
    import requests

    return requests.Session()


def local_session(local: threading.local) -> requests.Session:
    if not hasattr(local, "http"):
        local.http = session()
    return local.http


def post_json(http: requests.Session, url: str, body: dict[str, Any]) -> Any:
    response = http.post(url, json=body, timeout=60)
    response.raise_for_status()
    return response.json()


def add_conversation(
    http: requests.Session, sandbox_url: str, platform: str, kind: str, **fields: Any
) -> list[str]:
    """Comments or reviews appearing in the sandbox now (tests.publishing_support's)."""
    body = {"platform": platform, "kind": kind, **fields}
    return post_json(http, f"{sandbox_url}/_sandbox/conversations", body)["ids"]


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


def photo_server() -> tuple[ThreadingHTTPServer, str]:
    """One square JPEG on a loopback port: what Instagram fetches for the recent posts."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1080, 1080), (40, 120, 200)).save(buffer, "JPEG", quality=80)
    data = buffer.getvalue()

    class Photo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Photo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/photo.jpg"


def redis_url(base: str) -> str:
    return urlunsplit(urlsplit(base)._replace(path=f"/{REDIS_DB}"))


# -- the run ------------------------------------------------------------------------------


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("error=run me through scripts/services.py (needs PostgreSQL)", file=sys.stderr)
        return 2
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    os.environ.update(
        {
            "DEBUG": "false",
            "DJANGO_ENV": "development",
            "SANDBOX_URL": sandbox_url,
            "REDIS_URL": redis_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")),
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(sandbox_port), "--seed", "1"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(sandbox_port)
        return run(sandbox_url)
    finally:
        sandbox.send_signal(signal.SIGTERM)
        try:
            sandbox.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sandbox.kill()


def run(sandbox_url: str) -> int:
    warnings.filterwarnings("ignore", message="No directory at")  # static files: not served here
    django_on_fresh_database(DATABASES["full"], reuse=REUSE)
    import django_rq
    from django.conf import settings
    from django.db import DEFAULT_DB_ALIAS, connections

    from core.models import User
    from engagement.models import InboxItem, SyncCursor
    from practices.models import SocialAccount

    settings.ROOT_URLCONF = "bench.floor_urls"
    django_rq.get_connection("email").flushdb()  # the bench's own Redis database
    http = session()
    # Only what the bench makes appears (no comments, mentions or reviews of the
    # sandbox's own), and answers come at once while the data is built.
    post_json(http, f"{sandbox_url}/_sandbox/faults", {"conversation_rate": 0, "latency_ms": 0})
    print(f"debug={settings.DEBUG}")
    print(f"scale={SCALE}")
    print(f"tenth={TENTH_OF}")
    print(f"target_queries=the same at both sizes, at most {MAX_QUERIES}")
    print(f"target_growth=at most {MAX_GROWTH} (page ms at full size / page ms at a tenth)")
    print(f"target_sync_ratio=at least {MIN_RATIO} (bare loop s / sync s)", flush=True)

    # -- the full size: the agency, what the platforms show, the history ---------------
    full_database = connections[DEFAULT_DB_ALIAS]
    started = time.monotonic()
    if REUSE:
        forget_the_last_sandbox()
    else:
        build_agency(PRACTICES)
    photos, image_url = photo_server()
    part = sandbox_part(sandbox_url, image_url)
    photos.shutdown()
    shown_by_platforms = part["kept_reviews"] + part["kept_comments"]
    mentions = round(ITEMS * MENTION_SHARE)
    if not REUSE:
        build_history(
            Mix(0, 0, ITEMS - shown_by_platforms - mentions, mentions),
            seed=1,
        )
    pages.settle()
    full_items = InboxItem.objects.count()
    print(f"setup_s={time.monotonic() - started:.0f}")
    print(f"practices={PRACTICES}")
    print(f"accounts={len(PLATFORMS) * PRACTICES}")
    print(f"recent_posts={part['posts_published']}")
    print(f"items_kept={full_items}")
    print(f"items_kept_shown_by_platforms={shown_by_platforms}", flush=True)

    # -- a tenth, in the same mix ------------------------------------------------------
    tenth_database = pages.fresh_database(DATABASES["tenth"])
    if not REUSE:
        started = time.monotonic()
        tenth_practices = PRACTICES if TENTH_OF == "history" else max(2, PRACTICES // 10)
        build_agency(tenth_practices)
        # A tenth of every kind: over the same practices (history), or over a tenth of
        # them with the same history each (agency).
        build_history(
            Mix(
                reviews=part["kept_reviews"] // 10,
                recent_comments=part["kept_comments"] // 10,
                old_comments=(ITEMS - shown_by_platforms - mentions) // 10,
                mentions=mentions // 10,
            ),
            seed=2,
        )
        print(f"setup_s_tenth={time.monotonic() - started:.0f}")
    pages.settle()
    print(f"items_kept_tenth={InboxItem.objects.count()}", flush=True)

    # -- 1. the pages ------------------------------------------------------------------
    failures = []
    rows = []
    sites = {}
    for name, database in (("full", full_database), ("tenth", tenth_database)):
        pages.use(database)
        strategist = User.objects.get(username="bench-s0")
        sites[name] = (database, pages.signed_in(strategist))
    slug = "practice-000"  # the strategist's first practice, at both sizes
    urls = {
        "signed_in_floor": "/bench/floor/",
        "inbox": "/inbox/",
        "practice_inbox": f"/practices/{slug}/inbox/",
        "practice_inbox_all": f"/practices/{slug}/inbox/?state=all",
    }
    for name, url in urls.items():
        figures = pages.measure({size: (db, client, url) for size, (db, client) in sites.items()})
        full, tenth = figures["full"], figures["tenth"]
        growth = full.page_ms / tenth.page_ms if tenth.page_ms else float("inf")
        queries_met = full.queries == tenth.queries and full.queries <= MAX_QUERIES
        growth_met = round(growth, 2) <= MAX_GROWTH
        print(f"{name}_queries={full.queries}")
        print(f"{name}_queries_tenth={tenth.queries}")
        print(f"{name}_ms={full.page_ms:.1f}")
        print(f"{name}_ms_tenth={tenth.page_ms:.1f}")
        print(f"{name}_growth={growth:.2f}")
        print(f"{name}_sql_ms={full.sql_ms:.1f}")
        print(f"{name}_sql_ms_tenth={tenth.sql_ms:.1f}")
        print(f"{name}_shown={full.shown}")
        print(f"{name}_shown_tenth={tenth.shown}", flush=True)
        queries_cell, growth_cell = f"{full.queries} / {tenth.queries}", f"{growth:.2f}"
        if name != "signed_in_floor":  # the bench's own page: the noise of the run
            print(f"{name}_queries_target={'met' if queries_met else 'over'}")
            print(f"{name}_growth_target={'met' if growth_met else 'over'}", flush=True)
            queries_cell += "" if queries_met else " ✗"
            growth_cell += "" if growth_met else " ✗"
            failures += [f"{name}_queries"] * (not queries_met)
            failures += [f"{name}_growth"] * (not growth_met)
        rows.append(
            f"| {name} | {queries_cell} | {full.shown} / {tenth.shown} | {tenth.page_ms:.1f}"
            f" | {full.page_ms:.1f} | {growth_cell} | {full.sql_ms:.1f} |"
        )

    # -- 2. the sync round -------------------------------------------------------------
    pages.use(full_database)
    before = InboxItem.objects.count()
    edited_before = InboxItem.objects.filter(edited_at__isnull=False).count()
    deleted_before = InboxItem.objects.filter(deleted_at__isnull=False).count()
    appeared = new_items(sandbox_url, part)
    post_json(http, f"{sandbox_url}/_sandbox/faults", {"latency_ms": LATENCY_MS})
    ours = sync_round()
    kept = InboxItem.objects.count() - before
    edited = InboxItem.objects.filter(edited_at__isnull=False).count() - edited_before
    deleted = InboxItem.objects.filter(deleted_at__isnull=False).count() - deleted_before
    errors = SyncCursor.objects.exclude(last_error="").count()
    bare_s = bare_round(ours["calls"])
    calls = sum(len(made) for made in ours["calls"].values())
    ratio = bare_s / ours["seconds"]
    by_platform: Counter[str] = Counter()
    platform_of = dict(SocialAccount.objects.values_list("pk", "platform"))
    for pk, made in ours["calls"].items():
        by_platform[platform_of[pk]] += len(made)
    print(f"sync_latency_ms={LATENCY_MS}")
    print(f"sync_threads={THREADS}")
    print(f"sync_accounts={len(ours['calls'])}")
    print(f"sync_calls={calls}")
    for platform in PLATFORMS:
        print(f"sync_calls_{platform}={by_platform[platform]}")
    print(f"sync_new_in_sandbox={appeared}")
    print(f"sync_new_kept={kept}")
    print(f"sync_new_reported={ours['new']}")
    print(f"sync_edited={edited}")
    print(f"sync_deleted={deleted}")
    print(f"sync_errors={errors}")
    print(f"sync_s={ours['seconds']:.1f}")
    print(f"bare_s={bare_s:.1f}")
    print(f"sync_ratio={ratio:.2f}")
    ratio_met = round(ratio, 2) >= MIN_RATIO
    correct = kept == appeared == NEW_ITEMS and edited == deleted == errors == 0
    print(f"sync_ratio_target={'met' if ratio_met else 'under'}")
    print(f"sync_correct={'yes' if correct else 'no'}")
    failures += ["sync_ratio"] * (not ratio_met) + ["sync_correct"] * (not correct)

    print()
    print(
        "| page | queries full / tenth | shown full / tenth | ms tenth | ms full | growth"
        " | sql ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    print()
    print(
        f"targets: queries the same at both sizes and at most {MAX_QUERIES}, growth at most"
        f" {MAX_GROWTH}, sync at least {MIN_RATIO} of the bare loop:"
        f" {'met' if not failures else 'NOT met (' + ', '.join(failures) + ')'}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
