"""What the posts earned, read from the publications' latest numbers.

One query brings the publications of a practice and of its peers (the other
practices of its specialty) for the months shown; everything else is added
up here, each practice on its own clock (a month is the practice's month).
The numbers are each publication's latest reading (posts.publishing.metrics keeps them;
the snapshots stay the truth). A publication whose reach is not reported yet
counts as a post but adds no reach and no engagement: missing, never zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from analytics import stats
from posts.models import AccountSnapshot, Post, PostMedia, Publication, Tip
from posts.rules import best_times
from practices.models import Platform, Practice

AGENCY_CONTENT = "agency"  # a post not drafted from a tip
KIND_LABELS = {**dict(Tip.Kind.choices), AGENCY_CONTENT: "Agency content"}
LIVE = [Publication.Status.PUBLISHED, Publication.Status.DELETED]


@dataclass(frozen=True)
class Row:
    """One publication, as the pages add it up."""

    post_id: int
    practice_id: int
    platform: str
    local: datetime  # published, on the practice's clock
    reach: int | None
    engagements: int | None
    kind: str
    tip_id: int | None


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_ending(last: date, count: int) -> list[date]:
    """The first days of `count` months, the last of them holding `last`."""
    return [add_months(month_start(last), n - count + 1) for n in range(count)]


def label(month: date) -> str:
    return f"{month:%b %Y}"


def rows(practices: Iterable[int], start: datetime, end: datetime) -> list[Row]:
    """The live publications of these practices published in [start, end) (one query)."""
    found = (
        Publication.objects.filter(
            status__in=LIVE,
            post__practice_id__in=list(practices),
            published_at__gte=start,
            published_at__lt=end,
        )
        .order_by()
        .values_list(
            "post_id",
            "post__practice_id",
            "post__practice__time_zone",
            "account__platform",
            "published_at",
            "reach",
            "engagements",
            "post__tip__kind",
            "post__tip_id",
        )
    )
    zones: dict[str, ZoneInfo] = {}
    out = []
    for post_id, practice_id, zone, platform, published, reach, engagements, kind, tip in found:
        assert published is not None  # filtered above
        local = published.astimezone(zones.setdefault(zone, ZoneInfo(zone)))
        out.append(
            Row(
                post_id,
                practice_id,
                platform,
                local,
                reach,
                engagements,
                kind or AGENCY_CONTENT,
                tip,
            )
        )
    return out


def _bounds(months: list[date]) -> tuple[datetime, datetime]:
    """A UTC range wide enough for these months on any practice's clock."""
    utc = ZoneInfo("UTC")
    start = datetime.combine(months[0] - timedelta(days=1), time.min, tzinfo=utc)
    end = datetime.combine(add_months(months[-1], 1) + timedelta(days=1), time.min, tzinfo=utc)
    return start, end


def totals_by_month(found: Iterable[Row], months: list[date]) -> dict[date, stats.Totals]:
    by_month = {month: stats.Totals() for month in months}
    for row in found:
        totals = by_month.get(month_start(row.local.date()))
        if totals is not None:
            totals.add(row.reach, row.engagements)
    return by_month


def _own_and_peers(
    practice: Practice, months: list[date]
) -> tuple[list[Row], dict[int, list[Row]]]:
    """The practice's own publications of these months, and each of its peers' (the
    agency's other practices of its specialty), in two queries."""
    peers = list(
        Practice.objects.filter(specialty=practice.specialty)
        .exclude(pk=practice.pk)
        .values_list("pk", flat=True)
    )
    start, end = _bounds(months)
    own: list[Row] = []
    by_peer: dict[int, list[Row]] = defaultdict(list)
    for row in rows([practice.pk, *peers], start, end):
        if row.practice_id == practice.pk:
            own.append(row)
        else:
            by_peer[row.practice_id].append(row)
    return own, by_peer


# -- the practice page -------------------------------------------------------------


@dataclass
class MonthLine:
    month: date
    totals: stats.Totals
    rate_band: stats.PeerBand
    reach_band: stats.PeerBand

    @property
    def label(self) -> str:
        return label(self.month)


@dataclass
class TopPost:
    post: Post
    reach: int
    engagements: int
    platforms: list[str]
    photo: PostMedia | None


@dataclass
class Week:
    start: date
    posts: int
    goal: int

    @property
    def met(self) -> bool:
        return self.posts >= self.goal


@dataclass
class StaffLine:
    name: str
    tips: int
    posted: int
    reach: int


@dataclass
class PracticeFigures:
    practice: Practice
    months: list[MonthLine]
    by_platform: dict[str, dict[date, stats.Totals]]
    by_kind: dict[str, stats.Totals]  # the last three months
    top_posts: list[TopPost]
    weeks: list[Week]
    grid: list[list[best_times.Cell]]
    best: list[tuple[int, int, best_times.Cell]]
    staff: list[StaffLine]
    # Followers at the last reading of each month, per platform (None: no reading).
    followers: dict[str, list[int | None]] = field(default_factory=dict)
    unreported: int = 0
    platform_labels: dict[str, str] = field(default_factory=lambda: dict(Platform.choices))

    @property
    def this_month(self) -> MonthLine:
        return self.months[-1]


def practice_figures(practice: Practice, *, today: date, month_count: int = 12) -> PracticeFigures:
    months = months_ending(today, month_count)
    own, by_peer = _own_and_peers(practice, months)
    peer_totals = [totals_by_month(found, months) for found in by_peer.values()]
    own_totals = totals_by_month(own, months)
    lines = [
        MonthLine(
            month,
            own_totals[month],
            # A peer without a post that month has no rate: it is left out.
            stats.band(t[month].engagement_rate for t in peer_totals),
            stats.band(t[month].reach_per_post for t in peer_totals),
        )
        for month in months
    ]
    by_platform: dict[str, dict[date, stats.Totals]] = {}
    by_kind: dict[str, stats.Totals] = defaultdict(stats.Totals)
    for platform in sorted({row.platform for row in own}):
        by_platform[platform] = totals_by_month([r for r in own if r.platform == platform], months)
    recent = [row for row in own if row.local.date() >= months[-3]]
    for row in sorted(recent, key=lambda r: r.kind):
        by_kind[row.kind].add(row.reach, row.engagements)
    grid = best_times_grid(own)
    return PracticeFigures(
        practice=practice,
        months=lines,
        by_platform=by_platform,
        by_kind=dict(by_kind),
        top_posts=top_posts(recent),
        weeks=goal_weeks(own, practice, today=today),
        grid=grid,
        best=best_times.best(grid),
        staff=staff_lines(practice, month=months[-1], found=own),
        followers=followers_by_month(practice, months),
        unreported=sum(1 for row in own if row.reach is None),
    )


def followers_by_month(practice: Practice, months: list[date]) -> dict[str, list[int | None]]:
    """Each platform's followers at its last daily reading of each month (one query)."""
    readings = (
        AccountSnapshot.objects.filter(
            account__practice=practice, day__gte=months[0], followers__isnull=False
        )
        .order_by("day")
        .values_list("account__platform", "day", "followers")
    )
    last: dict[str, dict[date, int]] = defaultdict(dict)
    for platform, day, followers in readings:
        if followers is not None:  # filtered above
            last[platform][month_start(day)] = followers  # later days overwrite earlier
    return {
        platform: [by_month.get(month) for month in months]
        for platform, by_month in sorted(last.items())
    }


def top_posts(found: list[Row], *, count: int = 5) -> list[TopPost]:
    """The posts that reached the most people, with their first photo (two queries)."""
    per_post: dict[int, list[Row]] = defaultdict(list)
    for row in found:
        if row.reach is not None:
            per_post[row.post_id].append(row)
    ranked = sorted(per_post.items(), key=lambda item: -sum(r.reach or 0 for r in item[1]))[:count]
    ids = [post_id for post_id, _ in ranked]
    posts = Post.objects.in_bulk(ids)
    photos: dict[int, PostMedia] = {}
    for attachment in (
        PostMedia.objects.filter(post_id__in=ids).select_related("asset").order_by("position")
    ):
        photos.setdefault(attachment.post_id, attachment)
    return [
        TopPost(
            post=posts[post_id],
            reach=sum(r.reach or 0 for r in found_rows),
            engagements=sum(r.engagements or 0 for r in found_rows),
            platforms=sorted({r.platform for r in found_rows}),
            photo=photos.get(post_id),
        )
        for post_id, found_rows in ranked
        if post_id in posts
    ]


def goal_weeks(found: list[Row], practice: Practice, *, today: date, count: int = 12) -> list[Week]:
    """Posts published per week (Monday to Sunday, the practice's clock) against its goal."""
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    posts: dict[date, set[int]] = {week: set() for week in weeks}
    for row in found:
        day = row.local.date()
        week = day - timedelta(days=day.weekday())
        if week in posts:
            posts[week].add(row.post_id)
    return [Week(week, len(posts[week]), practice.posts_per_week) for week in weeks]


def best_times_grid(found: list[Row]) -> list[list[best_times.Cell]]:
    """Mean engagement rate per weekday (Monday first) and hour, on the practice's clock."""
    return best_times.grid((row.local, row.reach, row.engagements) for row in found)


def staff_lines(practice: Practice, *, month: date, found: list[Row]) -> list[StaffLine]:
    """Who sent tips this month, how many became posts, and the reach those posts earned."""
    zone = practice.zone
    start = datetime.combine(month, time.min, tzinfo=zone)
    end = datetime.combine(add_months(month, 1), time.min, tzinfo=zone)
    tips = Tip.objects.filter(practice=practice, created_at__gte=start, created_at__lt=end)
    return staff_for_tips(tips, found)


def staff_for_tips(tips: QuerySet[Tip], found: list[Row]) -> list[StaffLine]:
    reach_by_tip: dict[int, int] = defaultdict(int)
    posted: set[int] = set()
    for row in found:
        if row.tip_id is not None:
            posted.add(row.tip_id)
            reach_by_tip[row.tip_id] += row.reach or 0
    lines: dict[str, StaffLine] = {}
    for tip in tips.select_related("submitted_by").order_by("created_at"):
        name = tip.submitter_display
        line = lines.setdefault(name, StaffLine(name, 0, 0, 0))
        line.tips += 1
        if tip.pk in posted:
            line.posted += 1
            line.reach += reach_by_tip[tip.pk]
    return sorted(lines.values(), key=lambda line: (-line.reach, -line.tips, line.name))


# -- the agency overview --------------------------------------------------------------


@dataclass
class OverviewLine:
    practice: Practice
    now: stats.Totals
    before: stats.Totals

    @property
    def reach_change(self) -> float | None:
        return stats.change(
            self.now.reach if self.now.reported else None, self.before.reach or None
        )

    @property
    def rate_change(self) -> float | None:
        return stats.change(self.now.engagement_rate, self.before.engagement_rate)


SORTS = {
    "name": lambda line: line.practice.name.lower(),
    "posts": lambda line: -line.now.posts,
    "reach": lambda line: -line.now.reach,
    "rate": lambda line: -(line.now.engagement_rate or -1),
    "change": lambda line: -(line.reach_change if line.reach_change is not None else -1e9),
}


def overview(practices: list[Practice], *, today: date, sort: str = "name") -> list[OverviewLine]:
    """Every practice this month and last, each on its own clock (one query)."""
    months = months_ending(today, 2)
    start, end = _bounds(months)
    found = rows([p.pk for p in practices], start, end)
    by_practice: dict[int, list[Row]] = defaultdict(list)
    for row in found:
        by_practice[row.practice_id].append(row)
    lines = []
    for practice in practices:
        totals = totals_by_month(by_practice[practice.pk], months)
        lines.append(OverviewLine(practice, totals[months[1]], totals[months[0]]))
    return sorted(lines, key=SORTS.get(sort, SORTS["name"]))


# -- the monthly report ------------------------------------------------------------------


@dataclass
class Report:
    practice: Practice
    month: date
    totals: stats.Totals
    before: stats.Totals
    by_platform: dict[str, stats.Totals]
    rate_band: stats.PeerBand
    reach_band: stats.PeerBand
    top_posts: list[TopPost]
    staff: list[StaffLine]
    weeks: list[Week]
    rows: list[Row]

    @property
    def label(self) -> str:
        return label(self.month)


def report(practice: Practice, *, month: date, today: date | None = None) -> Report:
    months = [add_months(month, -1), month]
    own, by_peer = _own_and_peers(practice, months)
    in_month = [row for row in own if month_start(row.local.date()) == month]
    peer_totals = [totals_by_month(found, [month])[month] for found in by_peer.values()]
    own_totals = totals_by_month(own, months)
    by_platform: dict[str, stats.Totals] = defaultdict(stats.Totals)
    for row in in_month:
        by_platform[row.platform].add(row.reach, row.engagements)
    # The month's weeks, up to today for the month under way.
    today = today or timezone.now().astimezone(practice.zone).date()
    last_day = min(add_months(month, 1) - timedelta(days=1), today)
    return Report(
        practice=practice,
        month=month,
        totals=own_totals[month],
        before=own_totals[months[0]],
        by_platform=dict(sorted(by_platform.items())),
        rate_band=stats.band(t.engagement_rate for t in peer_totals),
        reach_band=stats.band(t.reach_per_post for t in peer_totals),
        top_posts=top_posts(in_month),
        staff=staff_lines(practice, month=month, found=own),
        weeks=[
            week
            for week in goal_weeks(own, practice, today=last_day, count=6)
            if week.start + timedelta(days=6) >= month
        ],
        rows=sorted(in_month, key=lambda row: (row.local, row.platform)),
    )
