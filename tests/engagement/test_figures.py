"""How often and how fast a practice answers, and its reviews' stars month by month: on
its analytics page and in its monthly report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import figures as analytics_figures
from engagement.figures import conversation_figures
from tests import factories
from tests.engagement.support import make_item

pytestmark = pytest.mark.django_db


def test_response_rate_median_and_the_rating_trend(practice):
    google = factories.make_account(practice, "google_business")
    facebook = factories.make_account(practice, "facebook")
    now = timezone.now()
    this_month = analytics_figures.month_start(practice.local(now).date())
    month_began = analytics_figures.month_bounds(practice, [this_month])[0][1]
    # Within this month, whatever day the test runs.
    posted = month_began + (now - month_began) / 2
    # Answered after 1 h, 2 h and 6 h; one never answered.
    for hours, stars in ((1, 5), (2, 4), (6, 1)):
        make_item(
            google,
            kind="review",
            rating=stars,
            text="Review",
            posted_at=posted,
            first_response_at=posted + timedelta(hours=hours),
        )
    make_item(facebook, text="A question", posted_at=posted)
    # Last month's reviews: only in the trend.
    make_item(google, kind="review", rating=2, text="Old", posted_at=now - timedelta(days=40))

    start, end = now - timedelta(days=7), now + timedelta(minutes=1)
    months = analytics_figures.month_bounds(
        practice,
        [
            analytics_figures.add_months(
                analytics_figures.month_start(practice.local(now).date()), -1
            ),
            analytics_figures.month_start(practice.local(now).date()),
        ],
    )
    found = conversation_figures(practice, start, end, months=months)
    assert (found.received, found.answered) == (4, 3)
    assert found.response_rate == pytest.approx(75.0)
    assert found.median_response == timedelta(hours=2)
    assert found.reviews == 3 and found.average_rating == pytest.approx(10 / 3)
    assert [(row.reviews, round(row.average or 0, 2)) for row in found.ratings][-1] == (3, 3.33)


def test_the_analytics_page_and_the_report_show_it(client, strategist, practice):
    google = factories.make_account(practice, "google_business")
    now = timezone.now()
    this_month = analytics_figures.month_start(practice.local(now).date())
    month_began = analytics_figures.month_bounds(practice, [this_month])[0][1]
    posted = month_began + (now - month_began) / 2
    make_item(
        google,
        kind="review",
        rating=4,
        text="Good",
        posted_at=posted,
        first_response_at=posted + timedelta(minutes=30),
    )
    client.force_login(strategist)
    page = client.get(reverse("practice_analytics", args=[practice.slug])).content.decode()
    assert "1 came in; 1 answered (100%), the median first answer within 30 minutes." in page
    month = f"{timezone.now().astimezone(practice.zone):%Y-%m}"
    report = client.get(reverse("monthly_report", args=[practice.slug, month])).content.decode()
    assert "Comments, mentions and reviews" in report
    assert "1 Google review, 4.0 stars on average." in report
