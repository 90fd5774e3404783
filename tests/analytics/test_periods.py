"""Reports of a quarter or of a range of days, chosen with the period picker, beside the
monthly one: their figures, their comparisons, their CSV, and wrong choices refused."""

from __future__ import annotations

import csv
import html
import io
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics import figures, pdf, periods
from analytics.periods import Period
from tests import factories
from tests.analytics.test_analytics import published

pytestmark = pytest.mark.django_db


def at(practice, year, month, day, hour=10, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=practice.zone)


def test_periods_are_named_labelled_and_stepped():
    q3 = periods.parse("2025-Q3")
    assert (q3.first, q3.last, q3.label, q3.slug) == (
        date(2025, 7, 1),
        date(2025, 9, 30),
        "Q3 2025",
        "2025-Q3",
    )
    assert q3.before().slug == "2025-Q2" and periods.parse("2025-q1").before().slug == "2024-Q4"
    assert q3.after().slug == "2025-Q4" and q3.months == [date(2025, m, 1) for m in (7, 8, 9)]
    december = periods.parse("2025-12")
    assert december.label == "Dec 2025" and december.after().slug == "2026-01"
    days = periods.parse("2025-12-20..2026-01-05")
    assert days.length == 17 and days.label == "20 Dec 2025 – 5 Jan 2026"
    assert days.before() == Period(periods.RANGE, date(2025, 12, 3), date(2025, 12, 19))
    assert days.under_way(date(2026, 1, 1)) and not days.under_way(date(2026, 1, 6))
    for wrong in ("2025-13", "2025-Q5", "soon", "2025-01-05..2025-01-01", "1999-12", ""):
        with pytest.raises(periods.BadPeriod):
            periods.parse(wrong)
    with pytest.raises(periods.BadPeriod, match="at most 366 days"):
        periods.parse("2024-01-01..2025-01-01")


def test_a_quarter_adds_up_its_months_against_the_quarter_before(practice):
    facebook = factories.make_account(practice, "facebook")
    instagram = factories.make_account(practice, "instagram")
    published(practice, facebook, at(practice, 2025, 6, 30), reach=50, engagements=5)  # Q2
    published(practice, facebook, at(practice, 2025, 7, 1, 0, 30), reach=100, engagements=4)
    published(practice, instagram, at(practice, 2025, 8, 15), reach=300, engagements=30)
    published(practice, facebook, at(practice, 2025, 9, 30, 23, 30), reach=600, engagements=6)
    published(practice, facebook, at(practice, 2025, 10, 1), reach=999, engagements=9)  # Q4
    found = figures.report(practice, period=periods.parse("2025-Q3"), today=date(2026, 1, 10))
    assert (found.label, found.before_label) == ("Q3 2025", "Q2 2025")
    assert (found.totals.posts, found.totals.reach, found.totals.engagements) == (3, 1000, 40)
    assert (found.before.posts, found.before.reach) == (1, 50)
    assert {name: totals.reach for name, totals in found.by_platform.items()} == {
        "facebook": 700,
        "instagram": 300,
    }
    # The weeks that end in the quarter: the first ends on Sunday 6 July, the last on 28 September.
    assert (found.weeks[0].end, found.weeks[-1].end, len(found.weeks)) == (
        date(2025, 7, 6),
        date(2025, 9, 28),
        13,
    )
    assert [post.reach for post in found.top_posts] == [600, 300, 100]


def test_a_range_counts_its_days_on_the_practices_clock(client, strategist, practice):
    account = factories.make_account(practice, "facebook")
    for moment, reach in (
        (at(practice, 2025, 7, 30, 23, 30), 10),  # the day before: the range before
        (at(practice, 2025, 7, 31, 0, 30), 100),
        (at(practice, 2025, 8, 10, 23, 59), 200),
        (at(practice, 2025, 8, 11, 0, 1), 400),  # the day after
    ):
        published(practice, account, moment, reach=reach, engagements=reach // 10)
    period = periods.parse("2025-07-31..2025-08-10")
    found = figures.report(practice, period=period, today=date(2026, 1, 10))
    assert (found.totals.posts, found.totals.reach, found.totals.engagements) == (2, 300, 30)
    assert (found.before.posts, found.before.reach) == (1, 10)
    assert found.by_platform["facebook"].reach == 300
    # Its CSV lists the same publications.
    client.force_login(strategist)
    response = client.get(reverse("monthly_report_csv", args=[practice.slug, period.slug]))
    lines = list(csv.reader(io.StringIO(response.content.decode())))[1:]
    assert [line[4] for line in lines] == ["100", "200"]
    assert f"{practice.slug}-2025-07-31..2025-08-10.csv" in response["Content-Disposition"]


def test_a_range_is_compared_with_the_peers_over_the_same_days(practice, other_practice):
    account = factories.make_account(practice, "facebook")
    published(practice, account, at(practice, 2025, 8, 5), reach=1000, engagements=40)
    for n in range(5):
        peer = factories.make_practice(f"Peer {n}", specialty=practice.specialty)
        peer_account = factories.make_account(peer, "facebook")
        published(peer, peer_account, at(peer, 2025, 8, 3), reach=1000, engagements=10 * (n + 1))
        # Outside the range: not counted.
        published(peer, peer_account, at(peer, 2025, 9, 3), reach=1000, engagements=900)
    published(  # another specialty is no peer
        other_practice,
        factories.make_account(other_practice, "facebook"),
        at(other_practice, 2025, 8, 3),
        reach=1000,
        engagements=990,
    )
    found = figures.report(
        practice, period=periods.parse("2025-08-01..2025-08-20"), today=date(2026, 1, 10)
    )
    assert found.rate_band.enough and found.rate_band.peers == 5
    assert (found.rate_band.low, found.rate_band.median, found.rate_band.high) == (2.0, 3.0, 4.0)


def test_the_picker_opens_the_report_of_the_period_chosen(client, strategist, practice):
    client.force_login(strategist)
    today = timezone.now().astimezone(practice.zone).date()
    last_quarter = Period.quarter(today.year, (today.month - 1) // 3 + 1).before()
    choose = reverse("report_choose", args=[practice.slug])
    page = client.get(reverse("practice_analytics", args=[practice.slug])).content.decode()
    assert f'action="{choose}"' in page and last_quarter.slug in page
    response = client.get(choose, {"kind": "quarter", "quarter": last_quarter.slug})
    assert response["Location"] == reverse(
        "monthly_report", args=[practice.slug, last_quarter.slug]
    )
    report = client.get(response["Location"]).content.decode()
    assert f"{practice}: {last_quarter.label}" in html.unescape(report)
    assert "Previous quarter" in report and "Make a PDF" not in report
    assert f'<option value="{last_quarter.slug}" selected>' in report
    assert "Nothing was published in " + last_quarter.label in report
    response = client.get(
        choose, {"kind": "range", "start": "2025-07-31", "end": "2025-08-10", "month": "x"}
    )
    assert response["Location"] == reverse(
        "monthly_report", args=[practice.slug, "2025-07-31..2025-08-10"]
    )
    report = client.get(response["Location"]).content.decode()
    assert "31 Jul – 10 Aug 2025" in report and "Previous period" in report
    assert "from 31 Jul to 10 Aug 2025" in report
    # The picker on it holds the range shown, ready to change.
    assert 'value="range" id="period-range" checked' in report
    assert 'id="period-start" value="2025-07-31"' in report
    assert 'id="period-end" value="2025-08-10"' in report


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ({"kind": "range", "start": "2025-08-10", "end": "2025-07-31"}, "ends before it starts"),
        ({"kind": "range", "start": "2024-01-01", "end": "2025-06-30"}, "at most 366 days"),
        ({"kind": "range", "start": "2025-07-31"}, "Give the first and the last day"),
        ({"kind": "range", "start": "2999-01-01", "end": "2999-01-02"}, "begins after today"),
        ({"kind": "range", "start": "31/07/2025", "end": "2025-08-10"}, "Enter a valid date"),
        ({"kind": "quarter", "quarter": "2999-Q1"}, "Select a valid choice"),
        ({"kind": "year"}, "Select a valid choice"),
    ],
)
def test_a_wrong_choice_is_shown_with_the_picker(client, strategist, practice, choice, message):
    client.force_login(strategist)
    response = client.get(reverse("report_choose", args=[practice.slug]), choice)
    assert response.status_code == 400 and message in response.content.decode()


def test_periods_not_begun_or_unnamed_have_no_report_and_only_months_have_a_pdf(
    client, strategist, practice
):
    client.force_login(strategist)
    today = timezone.now().astimezone(practice.zone).date()
    coming = Period.quarter(today.year, (today.month - 1) // 3 + 1).after()
    tomorrow = today + timedelta(days=1)
    for name in (coming.slug, f"{tomorrow:%Y-%m-%d}..{tomorrow + timedelta(days=3):%Y-%m-%d}"):
        assert client.get(reverse("monthly_report", args=[practice.slug, name])).status_code == 404
    assert (
        client.get(reverse("monthly_report_pdf", args=[practice.slug, "2025-Q3"])).status_code
        == 404
    )
    make = reverse("monthly_report_pdf_make", args=[practice.slug, "2025-Q3"])
    assert client.post(make).status_code == 404
    # A range under way is reported so far.
    under_way = f"{today.replace(day=1):%Y-%m-%d}..{today:%Y-%m-%d}"
    assert client.get(reverse("monthly_report", args=[practice.slug, under_way])).status_code == 200


def test_quarter_and_range_reports_keep_a_fixed_number_of_queries(client, strategist, practice):
    account = factories.make_account(practice, "facebook")
    client.force_login(strategist)
    counts: dict[str, list[int]] = {}
    for rounds in (1, 5):
        for n in range(rounds):
            published(practice, account, at(practice, 2025, 8, 1 + n), reach=100, engagements=3)
        for name in ("2025-Q3", "2025-07-15..2025-08-20"):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(reverse("monthly_report", args=[practice.slug, name]))
                assert response.status_code == 200
            counts.setdefault(name, []).append(len(captured.captured_queries))
    assert counts["2025-Q3"][0] == counts["2025-Q3"][1] <= 15
    assert counts["2025-07-15..2025-08-20"][0] == counts["2025-07-15..2025-08-20"][1] <= 15


def test_a_period_without_posts_shows_a_dash_not_numbers_awaited(client, strategist, practice):
    account = factories.make_account(practice, "facebook")
    published(practice, account, at(practice, 2025, 8, 5), reach=None, engagements=None)
    client.force_login(strategist)
    page = client.get(reverse("monthly_report", args=[practice.slug, "2025-Q3"])).content.decode()
    rows = page.split('id="summary-heading"')[1].split("</table>")[0].split("<tr>")
    this, before = rows[-2], rows[-1]
    assert "Q3 2025" in this and this.count("not yet reported") == 2
    assert "Q2 2025" in before and "not yet reported" not in before and before.count("–") == 2


def test_a_quarter_under_way_charts_the_months_begun_and_says_so_far(practice):
    today = timezone.now().astimezone(practice.zone).date()
    quarter = Period.quarter(today.year, (today.month - 1) // 3 + 1)
    found = figures.report(practice, period=quarter, today=today)
    assert found.trend[-1].month == today.replace(day=1) == found.month
    charts = pdf.report_context(found, today=today)["report_charts"]
    assert f"{today:%b} so far" in charts.reach


def test_other_addresses_of_a_period_lead_to_its_own(client, strategist, practice):
    client.force_login(strategist)
    response = client.get(reverse("monthly_report", args=[practice.slug, "2025-q3"]))
    assert response["Location"] == reverse("monthly_report", args=[practice.slug, "2025-Q3"])
    first = client.get(reverse("monthly_report", args=[practice.slug, "2000-01"]))
    assert first.status_code == 200 and "Previous month" not in first.content.decode()
    response = client.get(
        reverse("report_choose", args=[practice.slug]),
        {"kind": "range", "start": "2025-07-31", "end": "2999-01-01"},
    )
    assert response.status_code == 400 and "ends after today" in response.content.decode()
