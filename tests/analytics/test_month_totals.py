"""The month totals the analytics pages read: kept by the publishing and the metric
readings themselves, on the practice's clock, and always what a count from the
publications would say."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from posts.models import DayTotals, MonthTotals, Publication
from posts.publishing import metrics
from tests import factories
from tests.publishing_support import scheduled_post, work

pytestmark = pytest.mark.django_db


def kept(practice) -> list[tuple]:
    return list(
        MonthTotals.objects.filter(practice=practice)
        .order_by("month", "platform", "kind")
        .values_list(
            "month", "platform", "kind", "publications", "reported", "reach", "engagements"
        )
    )


def days_kept(practice) -> list[tuple]:
    return list(
        DayTotals.objects.filter(practice=practice)
        .order_by("day")
        .values_list("day", "publications", "reported", "reach", "engagements")
    )


def counted_afresh(practice) -> list[tuple]:
    before, days_before = kept(practice), days_kept(practice)
    MonthTotals.recount_all()
    after = kept(practice)
    assert after == before, "the kept totals drifted from the publications"
    assert days_kept(practice) == days_before, "the kept day totals drifted"
    # The days add up to the months (their rows "in all").
    for month, _, _, *numbers in (row for row in after if row[1] == ""):
        days = [row[1:] for row in days_before if row[0].replace(day=1) == month]
        assert [sum(column) for column in zip(*days, strict=True)] == numbers
    return after


def test_publishing_and_each_reading_keep_the_months_totals(
    world, sandbox, run_due, redis_db, settings
):
    settings.METRICS_SPACING_SECONDS = 0
    practice = world["practice"]
    post = scheduled_post(world, ["facebook", "x"])
    assert kept(practice) == []
    run_due()
    month = practice.local(post.publications.first().published_at).date().replace(day=1)
    # Out there, no numbers yet: two posts counted, neither reported; the month in all
    # first (platform and kind ALL, blank).
    assert [row[:5] for row in counted_afresh(practice)] == [
        (month, "", "", 2, 0),
        (month, "facebook", "agency", 1, 0),
        (month, "x", "agency", 1, 0),
    ]
    assert metrics.collect_metrics() == 2
    work("metrics")
    publications = {p.account.platform: p for p in post.publications.select_related("account")}
    assert all(p.reach for p in publications.values())
    reach = sum(p.reach for p in publications.values())
    engagements = sum(p.engagements for p in publications.values())
    assert counted_afresh(practice) == [
        (month, "", "", 2, 2, reach, engagements),
        *(
            (month, platform, "agency", 1, 1, publication.reach, publication.engagements)
            for platform, publication in sorted(publications.items())
        ),
    ]


def test_a_tips_kind_and_an_unreported_reach_are_kept_apart(practice):
    account = factories.make_account(practice, "instagram")
    tip = factories.make_tip(practice, kind="team")
    at = datetime(2026, 11, 10, 15, tzinfo=UTC)
    for reach, engagements, from_tip in ((1000, 30, tip), (None, 4, tip), (500, 5, None)):
        post = factories.make_post(practice, targets=[account], tip=from_tip)
        publication = Publication.objects.create(
            post=post,
            account=account,
            status=Publication.Status.PUBLISHED,
            published_at=at,
            reach=reach,
            engagements=engagements,
        )
        MonthTotals.recount_publications([publication.pk])
    # The engagements of a publication whose reach is unknown are not counted.
    assert counted_afresh(practice) == [
        (date(2026, 11, 1), "", "", 3, 2, 1500, 35),
        (date(2026, 11, 1), "instagram", "agency", 1, 1, 500, 5),
        (date(2026, 11, 1), "instagram", "team", 2, 1, 1000, 30),
    ]


def test_a_new_time_zone_moves_a_post_to_the_month_its_new_clock_shows(practice):
    assert practice.time_zone == "America/Chicago"
    account = factories.make_account(practice, "facebook")
    # 1 December 03:00 UTC: still 30 November in Chicago, 1 December in Berlin.
    publication = Publication.objects.create(
        post=factories.make_post(practice, targets=[account]),
        account=account,
        status=Publication.Status.PUBLISHED,
        published_at=datetime(2026, 12, 1, 3, tzinfo=UTC),
        reach=100,
        engagements=1,
    )
    MonthTotals.recount_publications([publication.pk])
    assert {row[0] for row in kept(practice)} == {date(2026, 11, 1)}
    practice.time_zone = "Europe/Berlin"
    practice.save()
    assert {row[0] for row in counted_afresh(practice)} == {date(2026, 12, 1)}


def test_a_deleted_post_takes_its_numbers_out(practice):
    account = factories.make_account(practice, "facebook")
    posts = []
    for reach in (100, 200):
        post = factories.make_post(practice, targets=[account])
        publication = Publication.objects.create(
            post=post,
            account=account,
            status=Publication.Status.PUBLISHED,
            published_at=datetime(2026, 11, 10, 15, tzinfo=UTC),
            reach=reach,
            engagements=0,
        )
        MonthTotals.recount_publications([publication.pk])
        posts.append(post)
    assert kept(practice)[0][1:6] == ("", "", 2, 2, 300)
    posts[0].delete()
    assert counted_afresh(practice)[0][1:6] == ("", "", 1, 1, 200)
