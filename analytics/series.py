"""The practice page's charts: which numbers each one draws, and its legend.

The figures come from analytics.figures; the drawing (SVG, labels escaped)
is the Django-free charts package's. The page shows each chart's numbers
again in a table.
"""

from __future__ import annotations

from dataclasses import dataclass

import charts
from analytics import figures
from practices.models import Practice

PEERS = "Peers (25th–75th percentile)"


# A legend's entries: (name, colour, dash), as charts.legend gives them.
Legend = list[tuple[str, str, str]]


@dataclass(frozen=True)
class PracticeCharts:
    """Each chart as SVG (its text escaped by charts), with its legend."""

    month_labels: list[str]
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


def practice_charts(practice: Practice, found: figures.PracticeFigures) -> PracticeCharts:
    labels = [line.label for line in found.months]
    platform_names = [found.platform_labels.get(p, p) for p in found.by_platform]
    follower_names = [found.platform_labels.get(p, p) for p in found.followers]
    return PracticeCharts(
        month_labels=labels,
        reach=charts.line_chart(
            labels,
            [
                charts.Series(
                    "Reach",
                    [line.totals.reach if line.totals.reported else None for line in found.months],
                )
            ],
            summary=f"Reach per month for {practice}, the last {len(labels)} months",
        ),
        rate=charts.line_chart(
            labels,
            [
                charts.Series(
                    str(practice),
                    [_percent(line.totals.engagement_rate) for line in found.months],
                )
            ],
            band=charts.Band(
                PEERS,
                low=[line.rate_band.low for line in found.months],
                middle=[line.rate_band.median for line in found.months],
                high=[line.rate_band.high for line in found.months],
            ),
            unit="%",
            summary=f"Engagement rate per month for {practice} against its peers' band",
        ),
        rate_legend=charts.legend([str(practice)], band=PEERS),
        platforms=charts.line_chart(
            labels,
            [
                charts.Series(
                    name,
                    [totals.reach if totals.reported else None for totals in by_month.values()],
                )
                for name, by_month in zip(platform_names, found.by_platform.values(), strict=True)
            ],
            summary="Reach per month by platform",
        ),
        platform_legend=charts.legend(platform_names),
        followers=charts.line_chart(
            labels,
            [
                charts.Series(name, list(values))
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
