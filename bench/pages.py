"""The pages a strategist lives in, on an agency-sized data set.

    python scripts/services.py -- python bench/pages.py

Builds its own database (rounds_bench_pages, dropped and made again): 300
practices, 20 strategists (15 practices each), 1,500 platform accounts,
100,000 posts, 250,000 publications, 20,000 tips and 3,000 patient
authorizations, on PostgreSQL. Then, signed in as one strategist (past the
second step with an authenticator app, as in production, with DEBUG off), it
loads each page BENCH_ROUNDS times through Django's test client (in-process:
the server's time, no browser or network) and prints, per page:

- <page>_queries: the queries the page makes
- <page>_ms: the median time of the whole page
- <page>_sql_ms: the median time of the same SQL statements sent raw, one
  after the other on one connection (the rows the page needs, without Django),
  taking turns with the page
- <page>_ratio: page / raw SQL

The first "page", signed_in_floor, is the benchmark's own (bench/floor_urls.py):
signed in, it reads nothing and answers two letters. Every page pays it.

Targets (issue): every list paginates, at most 15 queries per page at any
data size, at most 3x the raw SQL. The analytics pages (the practice page, its
monthly report, the lead's agency overview) run on BENCH_SNAPSHOTS (1,000,000)
metric readings and 120 days of every account's followers.

Environment: BENCH_ROUNDS (20), BENCH_POSTS (100000).
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import django_on_fresh_database  # noqa: E402

if TYPE_CHECKING:
    from django.test import Client

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
POSTS = int(os.environ.get("BENCH_POSTS", "100000"))
SNAPSHOTS = int(os.environ.get("BENCH_SNAPSHOTS", "1000000"))
PRACTICES = 300
STRATEGISTS = 20
DB_NAME = "rounds_bench_pages"
PLATFORMS = ["facebook", "instagram", "linkedin", "x", "google_business"]
DECLARE = re.compile(r'^DECLARE "[^"]+" NO SCROLL CURSOR WITH(?:OUT)? HOLD FOR ')


def build() -> dict[str, object]:
    from django.utils import timezone

    from core.models import Assignment, User
    from posts.models import Post, Publication, Tip
    from practices.models import PatientConsent, Practice, SocialAccount

    rng = random.Random(7)
    now = timezone.now()
    practices = Practice.objects.bulk_create(
        Practice(
            name=f"Practice {n:03d}",
            slug=f"practice-{n:03d}",
            specialty=rng.choice(Practice.Specialty.values),
            time_zone=rng.choice(["America/New_York", "America/Chicago", "America/Denver"]),
            tip_link_token=f"tip-{n:03d}-{rng.random()}",
            calendar_token=f"cal-{n:03d}-{rng.random()}",
        )
        for n in range(PRACTICES)
    )
    strategists = [
        User.objects.create_user(
            f"bench-s{n}", f"bench-s{n}@example.test", "x", agency_role="strategist"
        )
        for n in range(STRATEGISTS)
    ]
    Assignment.objects.bulk_create(
        Assignment(strategist=strategists[i % STRATEGISTS], practice=practice)
        for i, practice in enumerate(practices)
    )
    accounts = SocialAccount.objects.bulk_create(
        SocialAccount(
            practice=practice,
            platform=platform,
            external_id=f"{platform}-{practice.pk}",
            display_name=f"{practice.name} on {platform}",
            access_token=f"bench-{platform}-{practice.pk}",
            status=rng.choices(["connected", "needs_reconnect"], [19, 1])[0],
        )
        for practice in practices
        for platform in PLATFORMS
    )
    by_practice: dict[int, list[SocialAccount]] = {}
    for account in accounts:
        by_practice.setdefault(account.practice_id, []).append(account)
    PatientConsent.objects.bulk_create(
        PatientConsent(
            practice=practices[n % PRACTICES],
            patient_label=f"Patient {n}",
            signer_name=f"Signer {n}",
            uses=["photo", "story"],
            platforms=PLATFORMS,
            expires_at=now + timedelta(days=rng.randint(-30, 700)),
            method="esignature",
            signed_at=now - timedelta(days=rng.randint(1, 700)),
        )
        for n in range(3000)
    )
    Tip.objects.bulk_create(
        (
            Tip(
                practice=practices[n % PRACTICES],
                kind=rng.choice(Tip.Kind.values),
                text=f"Tip {n}: something good happened at the clinic today.",
                status=rng.choice(Tip.Status.values),
            )
            for n in range(20000)
        ),
        batch_size=5000,
    )
    statuses = list(Post.Status.values)
    weights = [12 if status == "published" else 1 for status in statuses]
    targets_through = Post.targets.through
    publication_total = 0
    for start in range(0, POSTS, 10000):
        batch = Post.objects.bulk_create(
            Post(
                practice=practices[n % PRACTICES],
                title=f"Post {n}",
                caption=f"Post {n}: our clinic news, week {n % 52}. #health",
                # Most posts of a year of work have gone out.
                status=rng.choices(statuses, weights)[0],
                scheduled_at=now + timedelta(hours=rng.randint(-24 * 365, 24 * 90)),
            )
            for n in range(start, min(start + 10000, POSTS))
        )
        links = []
        publications = []
        for post in batch:
            chosen = rng.sample(by_practice[post.practice_id], rng.choice([3, 3, 4]))
            for account in chosen:
                links.append(targets_through(post_id=post.pk, socialaccount_id=account.pk))
                if post.status not in ("draft", "in_review", "changes_requested", "approved"):
                    status = rng.choices(
                        ["published", "pending", "failed", "cancelled"], [90, 5, 3, 2]
                    )[0]
                    live = status == "published" and post.scheduled_at < now
                    reach = rng.randint(50, 3000)
                    publications.append(
                        Publication(
                            post=post,
                            account=account,
                            status=status,
                            published_at=post.scheduled_at if live else None,
                            # The latest reading (posts.metrics keeps it); a few not yet.
                            reach=reach if live and rng.random() > 0.03 else None,
                            engagements=round(reach * rng.uniform(0.01, 0.08)) if live else None,
                            metrics_at=now if live else None,
                        )
                    )
        targets_through.objects.bulk_create(links, batch_size=10000)
        Publication.objects.bulk_create(publications, batch_size=10000)
        publication_total += len(publications)
    snapshots, readings = _metric_history()
    lead = User.objects.create_user(
        "bench-lead", "bench-lead@example.test", "x", agency_role="lead"
    )
    return {
        "strategist": strategists[0],
        "lead": lead,
        "practice": practices[0],
        "publications": publication_total,
        "snapshots": snapshots,
        "account_readings": readings,
    }


def _metric_history() -> tuple[int, int]:
    """SNAPSHOTS readings of the published publications (at 1 h, 1, 2, 7, 14 and 28 days),
    and 120 days of each account's followers, in SQL: bulk_create would take minutes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO posts_metricsnapshot
                (publication_id, fetched_at, reach, impressions, likes, comments, shares)
            SELECT p.id, p.published_at + h.age, (p.reach * h.share)::int,
                   (p.reach * h.share * 1.4)::int, (p.engagements * h.share * 0.8)::int,
                   (p.engagements * h.share * 0.1)::int, (p.engagements * h.share * 0.1)::int
            FROM posts_publication p
            CROSS JOIN (VALUES (interval '1 hour', 0.3), (interval '1 day', 0.7),
                               (interval '2 days', 0.85), (interval '7 days', 0.95),
                               (interval '14 days', 0.98), (interval '28 days', 1.0))
                               AS h(age, share)
            WHERE p.status = 'published' AND p.reach IS NOT NULL
            LIMIT %s
            """,
            [SNAPSHOTS],
        )
        snapshots = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO posts_accountsnapshot (account_id, day, followers, reach, fetched_at)
            SELECT a.id, current_date - d, 500 + a.id % 4000 + (120 - d) * (1 + a.id % 7),
                   100 + (a.id * 7 + d * 13) % 1500, now()
            FROM practices_socialaccount a CROSS JOIN generate_series(0, 119) AS d
            """
        )
        readings = cursor.rowcount
    return snapshots, readings


def signed_in(user: object) -> Client:
    """A browser signed in as `user`, past the second step with an authenticator app.

    As in production: the session names the confirmed device, which django-otp's
    middleware reads on every request.
    """
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from core.models import AuthenticatorApp

    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    device = AuthenticatorApp.objects.create(user=user, name="Phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def main() -> int:
    # The server as in production: with DEBUG on, Django also keeps the text
    # of every statement it sends, a cost no production page pays.
    os.environ.setdefault("DEBUG", "false")
    warnings.filterwarnings("ignore", message="No directory at")  # static files: not served here
    django_on_fresh_database(DB_NAME)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from posts.models import Post

    # The product's pages, and one for the bench alone: signed in, it reads
    # nothing and answers two letters (bench/floor_urls.py).
    settings.ROOT_URLCONF = "bench.floor_urls"
    started = time.monotonic()
    data = build()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"setup_s={time.monotonic() - started:.0f}")
    print(f"debug={settings.DEBUG}")
    print(f"posts={Post.objects.count()}")
    print(f"publications={data['publications']}")
    print(f"metric_snapshots={data['snapshots']}")
    print(f"account_readings={data['account_readings']}")
    practice = data["practice"]
    # A draft to open in the editor (any post on a small data set).
    ours = Post.objects.filter(practice=practice).order_by("pk")
    post = ours.filter(status="draft").first() or ours.first()
    assert post is not None
    slug = practice.slug  # type: ignore[attr-defined]
    # Last month: a whole month's report.
    month = (timezone.now().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    pages = {
        "dashboard": "/dashboard/",
        "calendar_month": "/calendar/",
        "post_list": "/posts/",
        "practice_post_list": f"/practices/{slug}/posts/",
        "post_list_search": "/posts/?q=week+12&status=published",
        "editor": f"/posts/{post.pk}/edit/",
        "tip_inbox": f"/practices/{slug}/tips/",
        "accounts": "/accounts/",
        "consent_list": f"/practices/{slug}/consents/",
        "practice_analytics": f"/practices/{slug}/analytics/",
        "monthly_report": f"/practices/{slug}/reports/{month}/",
    }
    client = signed_in(data["strategist"])
    lead = signed_in(data["lead"])
    # What any signed-in page costs before it reads a row of its own: the
    # session, the person and their second factor, the middleware. Printed
    # like a page, its ratio is the best any page made of small statements
    # can do.
    measured = [("signed_in_floor", "/bench/floor/", client)]
    measured += [(name, url, client) for name, url in pages.items()]
    measured.append(("agency_overview", "/analytics/", lead))
    failures = []
    for name, url, who in measured:
        queries, page_ms, sql_ms = measure(who, url)
        ratio = page_ms / sql_ms if sql_ms else float("inf")
        print(f"{name}_queries={queries}")
        print(f"{name}_ms={page_ms:.1f}")
        print(f"{name}_sql_ms={sql_ms:.1f}")
        print(f"{name}_ratio={ratio:.1f}")
        if name != "signed_in_floor" and (queries > 15 or ratio > 3):
            failures.append(name)
    print(f"over_target={','.join(failures) or 'none'}")
    return 0


def measure(client: Client, url: str) -> tuple[int, float, float]:
    """The page's queries, its median time and the median time of its SQL sent raw (ms).

    Page and raw SQL take turns, so that a slower moment of the machine weighs
    on both.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(url).status_code == 200, url  # warm
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    # Django reads some querysets through a server-side cursor (DECLARE ...
    # FOR <select>); raw, the select itself fetches the same rows.
    statements = [DECLARE.sub("", q["sql"]) for q in captured.captured_queries]
    page_times, sql_times = [], []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        client.get(url)
        page_times.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()
        sql_times.append((time.perf_counter() - began) * 1000)
    return len(statements), statistics.median(page_times), statistics.median(sql_times)


if __name__ == "__main__":
    sys.exit(main())
