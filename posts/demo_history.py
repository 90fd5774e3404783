"""Three months of published posts and their numbers, for the demo's analytics pages.

Deterministic (seeded by the practice's slug and the day), shaped like real
accounts: Instagram reaches more than Facebook, patient stories and
milestones more than health tips, and a few posts travel far. Each
publication gets readings at one hour, a day, a week and 28 days, and its
latest numbers, as posts.publishing.metrics keeps them. `manage.py demo_data` calls it.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from core.models import User
from posts.models import AccountSnapshot, MetricSnapshot, Post, Publication, Tip
from practices.models import Practice, SocialAccount

DAYS = 92
# Tuesday, Thursday, Saturday: the demo practices' slots.
WEEKDAYS = {1: time(9, 30), 3: time(12, 0), 5: time(10, 0)}
KINDS = [
    Tip.Kind.PATIENT_STORY,
    Tip.Kind.TEAM,
    Tip.Kind.HEALTH_TIP,
    Tip.Kind.EVENT,
    Tip.Kind.MILESTONE,
]
KIND_REACH = {
    Tip.Kind.PATIENT_STORY: 1.6,
    Tip.Kind.MILESTONE: 1.3,
    Tip.Kind.TEAM: 1.1,
    Tip.Kind.EVENT: 0.9,
    Tip.Kind.HEALTH_TIP: 0.7,
}
PLATFORM_REACH = {"facebook": 1.0, "instagram": 1.4}
CAPTIONS = {
    Tip.Kind.PATIENT_STORY: "A patient's milestone this week: thank you for letting us share it!",
    Tip.Kind.TEAM: "Meet the team behind your visit: a few words from our front desk.",
    Tip.Kind.HEALTH_TIP: "Health tip: five minutes of stretching a day goes a long way.",
    Tip.Kind.EVENT: "See you at the community health fair this Saturday!",
    Tip.Kind.MILESTONE: "We are celebrating ten years in the neighbourhood!",
}
# The share of the final numbers a reading at each age shows.
READINGS = [(timedelta(hours=1), 0.25), (timedelta(days=1), 0.7), (timedelta(days=7), 0.92)]
FINAL_AGE = timedelta(days=28)


def load_history(
    practice: Practice,
    accounts: list[SocialAccount],
    *,
    author: User | None,
    staff: User | None,
    now: datetime,
    size: float = 1.0,
) -> int:
    """The practice's last DAYS days of posts; how many posts. `size`: its audience, relative."""
    rng = random.Random(f"{practice.slug}-history")
    zone = practice.zone
    today = now.astimezone(zone).date()
    plans = []
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() in WEEKDAYS:
            plans.append(datetime.combine(day, WEEKDAYS[day.weekday()], tzinfo=zone))
    posts, tips, kinds = [], [], []
    for number, at in enumerate(plans):
        kind = KINDS[number % len(KINDS)]
        kinds.append(kind)
        tip = None
        if staff is not None and number % 3 == 0:
            tip = Tip(
                practice=practice,
                submitted_by=staff,
                kind=kind,
                status=Tip.Status.DRAFTED,
                text=CAPTIONS[kind],
            )
            tips.append((tip, at - timedelta(days=2)))
        posts.append(
            Post(
                practice=practice,
                author=author,
                tip=tip,
                title=f"{Tip.Kind(kind).label}, {at:%-d %b}",
                caption=CAPTIONS[kind],
                status=Post.Status.PUBLISHED,
                scheduled_at=at,
            )
        )
    Tip.objects.bulk_create([tip for tip, _ in tips])
    for tip, sent in tips:
        Tip.objects.filter(pk=tip.pk).update(created_at=sent)
    for post in posts:
        post.tip_id = post.tip.pk if post.tip is not None else None
    Post.objects.bulk_create(posts)
    publications, readings = [], []
    for post, kind in zip(posts, kinds, strict=True):
        assert post.scheduled_at is not None
        viral = 6.0 if rng.random() < 0.04 else 1.0  # now and then a post travels far
        for account in accounts:
            final_reach = int(
                size
                * 600
                * PLATFORM_REACH.get(account.platform, 0.8)
                * KIND_REACH.get(kind, 1.0)
                * viral
                * rng.uniform(0.6, 1.4)
            )
            rate = rng.uniform(0.02, 0.08) * (1.2 if kind == Tip.Kind.PATIENT_STORY else 1.0)
            final_engagements = int(final_reach * rate)
            age = now - post.scheduled_at
            share = (
                1.0
                if age >= FINAL_AGE
                else next((s for a, s in reversed(READINGS) if age >= a), 0.0)
            )
            publication = Publication(
                post=post,
                account=account,
                status=Publication.Status.PUBLISHED,
                attempts=1,
                platform_post_id=f"demo-history-{post.pk}-{account.pk}",
                published_at=post.scheduled_at,
                reach=int(final_reach * share) if share else None,
                impressions=int(final_reach * share * 1.5) if share else None,
                engagements=int(final_engagements * share) if share else None,
                metrics_at=now if share else None,
                metrics_final=age >= FINAL_AGE,
            )
            publications.append(publication)
            for reading_age, reading_share in [*READINGS, (FINAL_AGE, 1.0)]:
                if age >= reading_age:
                    readings.append(
                        (
                            publication,
                            post.scheduled_at + reading_age,
                            final_reach,
                            final_engagements,
                            reading_share,
                        )
                    )
    Publication.objects.bulk_create(publications)
    # Each account's daily followers, growing, and its daily reach where given.
    AccountSnapshot.objects.bulk_create(
        AccountSnapshot(
            account=account,
            day=today - timedelta(days=back),
            followers=round(size * (800 + 400 * n) + (DAYS - back) * rng.randint(2, 6)),
            reach=round(size * rng.randint(150, 900) * PLATFORM_REACH.get(account.platform, 0.8)),
        )
        for n, account in enumerate(accounts)
        for back in range(DAYS, 0, -1)
    )
    MetricSnapshot.objects.bulk_create(
        MetricSnapshot(
            publication=publication,
            fetched_at=at,
            reach=int(reach * share),
            impressions=int(reach * share * 1.5),
            likes=int(engagements * share * 0.8),
            comments=int(engagements * share * 0.1),
            shares=int(engagements * share * 0.05),
            saves=int(engagements * share)
            - int(engagements * share * 0.8)
            - int(engagements * share * 0.1)
            - int(engagements * share * 0.05),
        )
        for publication, at, reach, engagements, share in readings
    )
    return len(posts)
