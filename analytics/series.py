"""The practice page's charts: which numbers each one draws, and its legend.

The figures come from analytics.figures; the drawing (SVG, labels escaped)
is the Django-free charts package's. The page shows each chart's numbers
again in a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import charts
from analytics import figures
from practices.models import Practice

PEERS = "Peers (25th–75th percentile)"


# A legend's entries: (name, colour, dash), as charts.legend gives them.
Legend = list[tuple[str, str, str]]


@dataclass(frozen=True)
class PracticeCharts:
    """Each chart as SVG (its text escaped by charts), with its legend."""

    reach: str
    rate: str
    rate_legend: Legend
    platforms: str
    platform_legend: Legend
    followers: str
    followers_legend: Legend
    goal: str


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _reach_chart(
    labels: list[str], months: list[figures.MonthLine], *, summary: str, under_way: bool
) -> str:
    return charts.line_chart(
        labels,
        [
            charts.Series(
                "Reach", [line.totals.reach if line.totals.reported else None for line in months]
            )
        ],
        summary=summary,
        under_way=under_way,
    )


def _rate_chart(
    practice: Practice, labels: list[str], months: list[figures.MonthLine], *, under_way: bool
) -> str:
    """The practice's engagement rate per month against its peers' band."""
    return charts.line_chart(
        labels,
        [charts.Series(str(practice), [_percent(line.totals.engagement_rate) for line in months])],
        band=charts.Band(
            PEERS,
            low=[line.rate_band.low for line in months],
            middle=[line.rate_band.median for line in months],
            high=[line.rate_band.high for line in months],
        ),
        unit="%",
        summary=f"Engagement rate per month for {practice} against its peers' band",
        under_way=under_way,
    )


def first_with_data(found: figures.PracticeFigures) -> int:
    """The first month any chart has a figure for: the charts start there, so that
    their axis spans the data, not a year of which most is empty (the tables below
    them keep every month)."""
    for index, line in enumerate(found.months):
        if line.totals.posts or any(
            values[index] is not None for values in found.followers.values()
        ):
            return min(index, max(len(found.months) - 2, 0))
    return max(len(found.months) - 2, 0)


def practice_charts(practice: Practice, found: figures.PracticeFigures) -> PracticeCharts:
    start = first_with_data(found)
    months = found.months[start:]
    # The last month is the one under way: named so, and drawn hollow (charts).
    labels = [line.label for line in months[:-1]] + [f"{months[-1].month:%b} so far"]
    platform_names = [found.platform_labels.get(p, p) for p in found.by_platform]
    follower_names = [found.platform_labels.get(p, p) for p in found.followers]
    return PracticeCharts(
        reach=_reach_chart(
            labels,
            months,
            summary=f"Reach per month for {practice}, from {months[0].label}, this month so far",
            under_way=True,
        ),
        rate=_rate_chart(practice, labels, months, under_way=True),
        rate_legend=charts.legend([str(practice)], band=PEERS),
        platforms=charts.line_chart(
            labels,
            [
                charts.Series(
                    name,
                    [
                        totals.reach if totals.reported else None
                        for totals in list(by_month.values())[start:]
                    ],
                )
                for name, by_month in zip(platform_names, found.by_platform.values(), strict=True)
            ],
            summary="Reach per month by platform",
            under_way=True,
        ),
        platform_legend=charts.legend(platform_names),
        followers=charts.line_chart(
            labels,
            [
                charts.Series(name, list(values)[start:])
                for name, values in zip(follower_names, found.followers.values(), strict=True)
            ],
            summary="Followers at the end of each month, by platform",
        ),
        followers_legend=charts.legend(follower_names),
        goal=charts.bar_chart(
            [f"{week.start:%-d %b}" for week in found.weeks],
            [week.posts for week in found.weeks],
            goal=practice.posts_per_week,
            summary=f"Posts per week against the goal of {practice.posts_per_week}",
        ),
    )


@dataclass(frozen=True)
class ReportCharts:
    reach: str
    rate: str
    rate_legend: Legend
    goal: str


def report_charts(report: figures.Report, *, today: date) -> ReportCharts:
    """The monthly report's charts: its six months' reach and engagement rate against
    the peers' band, and its weeks against the posting goal (page and PDF alike)."""
    practice = report.practice
    months = report.trend
    under_way = figures.month_start(today) == report.month
    labels = [line.label for line in months]
    if under_way:
        labels[-1] = f"{report.month:%b} so far"
    return ReportCharts(
        reach=_reach_chart(
            labels,
            months,
            summary=f"Reach per month for {practice}, the six months to {report.label}",
            under_way=under_way,
        ),
        rate=_rate_chart(practice, labels, months, under_way=under_way),
        rate_legend=charts.legend([str(practice)], band=PEERS),
        goal=charts.bar_chart(
            [f"{week.start:%-d %b}" for week in report.weeks],
            [week.posts for week in report.weeks],
            goal=practice.posts_per_week,
            summary=f"Posts per week in {report.label} against the goal of "
            f"{practice.posts_per_week}",
        ),
    )
