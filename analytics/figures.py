"""What the posts earned: the practice page, the agency overview and the monthly report.

The month figures come from each practice's month totals (posts.models.MonthTotals:
a row per month, platform and kind, worked out again from the publications
whenever one goes live or its numbers arrive), so that a page reads a row per
month whatever the practice's history holds. What a page lists (the top posts,
the weeks, the staff, the best times) is read from the publications of the
weeks and months it shows, added up by the database. A month is the
practice's month, on its own clock. A publication whose reach is not reported
yet counts as a post but adds no reach and no engagement: missing, never zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from analytics import periods, stats
from engagement.figures import ConversationFigures, conversation_figures
from posts.models import AccountSnapshot, DayTotals, MonthTotals, Post, PostMedia, Publication, Tip
from posts.models.metrics import AGENCY_KIND, ALL
from posts.rules import best_times
from practices.models import Platform, Practice

AGENCY_CONTENT = AGENCY_KIND  # a post not drafted from a tip
KIND_LABELS = {**dict(Tip.Kind.choices), AGENCY_CONTENT: "Agency content"}
LIVE = [Publication.Status.PUBLISHED, Publication.Status.DELETED]


@dataclass(frozen=True)
class Row:
    """One publication, as the monthly report's CSV lists it."""

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


def local_bounds(practice: Practice, first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of month `first` to the end of month `last`, on the practice's clock."""
    zone = practice.zone
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(add_months(last, 1), time.min, tzinfo=zone),
    )


def live(practice: Practice, start: datetime, end: datetime) -> QuerySet[Publication]:
    """The practice's live publications published in [start, end), unordered."""
    return Publication.objects.filter(
        # By the practice's accounts: the index publication_live holds what the pages read.
        account__practice=practice,
        status__in=LIVE,
        published_at__gte=start,
        published_at__lt=end,
    ).order_by()


def rows(practice: Practice, start: datetime, end: datetime) -> list[Row]:
    """Every live publication of the practice published in [start, end) (one query)."""
    found = live(practice, start, end).values_list(
        "post_id",
        "account__platform",
        "published_at",
        "reach",
        "engagements",
        "post__tip__kind",
        "post__tip_id",
    )
    zone = practice.zone
    return sorted(
        (
            Row(
                post_id,
                practice.pk,
                platform,
                published.astimezone(zone),
                reach,
                engagements,
                kind or AGENCY_CONTENT,
                tip,
            )
            for post_id, platform, published, reach, engagements, kind, tip in found
            if published is not None  # filtered above
        ),
        key=lambda row: (row.local, row.platform, row.post_id),
    )


# -- month totals ------------------------------------------------------------------------


def totals_of(publications: int, reported: int, reach: int, engagements: int) -> stats.Totals:
    return stats.Totals(posts=publications, reported=reported, reach=reach, engagements=engagements)


def own_lines(practice: Practice, months: list[date]) -> list[tuple[date, str, str, stats.Totals]]:
    """The practice's month totals of these months: (month, platform, kind, totals) (one query)."""
    return [
        (month, platform, kind, totals_of(*numbers))
        for month, platform, kind, *numbers in MonthTotals.objects.filter(
            practice=practice, month__in=months
        )
        .exclude(platform=ALL)
        .order_by("month", "platform", "kind")
        .values_list(
            "month", "platform", "kind", "publications", "reported", "reach", "engagements"
        )
    ]


def by_practice_and_month(
    practices: QuerySet[Practice] | list[int], months: list[date]
) -> dict[int, dict[date, stats.Totals]]:
    """Each practice's totals per month, every month present (one query)."""
    found: dict[int, dict[date, stats.Totals]] = defaultdict(
        lambda: {month: stats.Totals() for month in months}
    )
    for practice_id, month, *numbers in MonthTotals.objects.filter(
        practice__in=practices, month__in=months, platform=ALL, kind=ALL
    ).values_list("practice_id", "month", "publications", "reported", "reach", "engagements"):
        found[practice_id][month] = totals_of(*numbers)
    return found


def sum_by(
    lines: Iterable[tuple[date, str, str, stats.Totals]], key: int, months: list[date] | None = None
) -> dict[object, stats.Totals]:
    """The lines added up by month (key 0), platform (1) or kind (2)."""
    out: dict[object, stats.Totals] = {month: stats.Totals() for month in months or []}
    for line in lines:
        out.setdefault(line[key], stats.Totals()).merge(line[3])
    return out


def peers_of(practice: Practice) -> QuerySet[Practice]:
    """The agency's other practices of its specialty."""
    return Practice.objects.filter(specialty=practice.specialty).exclude(pk=practice.pk)


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
    """Monday to Sunday on the practice's clock. A week counts in the month it ends
    in (the week of 30 November is December's); one not over yet is under way,
    neither met nor missed."""

    start: date
    posts: int
    goal: int
    under_way: bool = False

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

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


def month_lines(
    months: list[date],
    own: dict[object, stats.Totals],
    peers: list[dict[date, stats.Totals]],
) -> list[MonthLine]:
    """Each month's totals with the peers' bands of that month."""
    return [
        MonthLine(
            month,
            own[month],
            # A peer without a post that month has no rate: it is left out.
            stats.band(t[month].engagement_rate for t in peers),
            stats.band(t[month].reach_per_post for t in peers),
        )
        for month in months
    ]


def practice_figures(practice: Practice, *, today: date, month_count: int = 12) -> PracticeFigures:
    months = months_ending(today, month_count)
    own = own_lines(practice, months)
    own_totals = sum_by(own, 0, months)
    peer_totals = list(by_practice_and_month(peers_of(practice), months).values())
    lines = month_lines(months, own_totals, peer_totals)
    by_platform: dict[str, dict[date, stats.Totals]] = {
        platform: {month: stats.Totals() for month in months}
        for platform in sorted({line[1] for line in own})
    }
    for month, platform, _, totals in own:
        by_platform[platform][month].merge(totals)
    recent = [line for line in own if line[0] >= months[-3]]
    by_kind = {str(kind): totals for kind, totals in sorted(sum_by(recent, 2).items())}
    start, end = local_bounds(practice, months[0], months[-1])
    grid = best_times.grid_of(practice, start, end)
    return PracticeFigures(
        practice=practice,
        months=lines,
        by_platform=by_platform,
        by_kind=by_kind,
        top_posts=top_posts(live(practice, local_bounds(practice, months[-3], months[-1])[0], end)),
        weeks=goal_weeks(practice, today=today),
        grid=grid,
        best=best_times.best(grid),
        staff=staff_lines(practice, month=months[-1]),
        followers=followers_by_month(practice, months),
        unreported=sum(totals.posts - totals.reported for *_, totals in own),
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


def top_posts(publications: QuerySet[Publication], *, count: int = 5) -> list[TopPost]:
    """Of these publications, the posts that reached the most people, with their first
    photo (three queries). Only publications with a reported reach count."""
    ranked = list(
        publications.filter(reach__isnull=False)
        .values("post_id")
        .annotate(
            reached=Sum("reach"),
            engaged=Sum("engagements", default=0),
            platforms=ArrayAgg("account__platform", distinct=True, ordering="account__platform"),
        )
        .order_by("-reached", "post_id")
        .values_list("post_id", "reached", "engaged", "platforms")[:count]
    )
    ids = [post_id for post_id, *_ in ranked]
    posts = Post.objects.in_bulk(ids)
    photos: dict[int, PostMedia] = {}
    for attachment in (
        PostMedia.objects.filter(post_id__in=ids).select_related("asset").order_by("position")
    ):
        photos.setdefault(attachment.post_id, attachment)
    return [
        TopPost(
            post=posts[post_id],
            reach=reached,
            engagements=engaged,
            platforms=list(platforms),
            photo=photos.get(post_id),
        )
        for post_id, reached, engaged, platforms in ranked
        if post_id in posts
    ]


def goal_weeks(practice: Practice, *, today: date, count: int = 12) -> list[Week]:
    """Posts published per week (Monday to Sunday, the practice's clock) against its
    goal: the `count` weeks up to the one holding `today` (one query)."""
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    zone = practice.zone
    start = datetime.combine(weeks[0], time.min, tzinfo=zone)
    end = datetime.combine(monday + timedelta(weeks=1), time.min, tzinfo=zone)
    posts = {
        week.date() if isinstance(week, datetime) else week: number
        for week, number in live(practice, start, end)
        .annotate(week=TruncWeek("published_at", tzinfo=zone))
        .values("week")
        .annotate(posts=Count("post", distinct=True))
        .values_list("week", "posts")
    }
    now = timezone.now().astimezone(zone).date()
    return [
        Week(
            week,
            posts.get(week, 0),
            practice.posts_per_week,
            under_way=week + timedelta(days=6) >= now,
        )
        for week in weeks
    ]


def staff_lines(practice: Practice, *, month: date) -> list[StaffLine]:
    """Who sent tips in the month, how many became posts by its end, and the reach
    those posts earned (two queries)."""
    start, end = local_bounds(practice, month, month)
    tips = Tip.objects.filter(practice=practice, created_at__gte=start, created_at__lt=end)
    return staff_for_tips(tips, before=end)


def staff_for_tips(tips: QuerySet[Tip], *, before: datetime) -> list[StaffLine]:
    """The tips by who sent them, and what their posts' publications published before
    `before` earned (one query)."""
    live_ones = Publication.objects.filter(
        post__tip=OuterRef("pk"), status__in=LIVE, published_at__lt=before
    )
    reached = (
        live_ones.order_by()
        .values("post__tip")
        .annotate(total=Sum("reach", default=0))
        .values("total")
    )
    lines: dict[str, StaffLine] = {}
    for tip in (
        tips.select_related("submitted_by")
        .annotate(posted=Exists(live_ones), reached=Subquery(reached))
        .order_by("created_at")
    ):
        name = tip.submitter_display
        line = lines.setdefault(name, StaffLine(name, 0, 0, 0))
        line.tips += 1
        if tip.posted:
            line.posted += 1
            line.reach += tip.reached or 0
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
    """Every practice this month so far, against the same days of the month before,
    each on its own clock (two queries): a month under way is never compared with a
    whole one."""
    months = months_ending(today, 2)
    found = by_practice_and_month([p.pk for p in practices], months[1:])
    before = same_days_before(practices, today=today)
    lines = [
        OverviewLine(practice, found[practice.pk][months[1]], before[practice.pk])
        for practice in practices
    ]
    return sorted(lines, key=SORTS.get(sort, SORTS["name"]))


def same_days_before(practices: list[Practice], *, today: date) -> dict[int, stats.Totals]:
    """What each practice's live publications earned on the first days of last month,
    as many as have passed of this one (to its last day, in a shorter month), each
    day on the practice's clock: its day totals added up (one query)."""
    last_month = add_months(month_start(today), -1)
    days = min(today.day, (month_start(today) - timedelta(days=1)).day)
    through = last_month + timedelta(days=days)  # the first day not counted
    totals: dict[int, stats.Totals] = {practice.pk: stats.Totals() for practice in practices}
    for practice_id, *numbers in (
        DayTotals.objects.filter(
            practice__in=[practice.pk for practice in practices],
            day__gte=last_month,
            day__lt=through,
        )
        .order_by()
        .values("practice_id")
        .annotate(
            publications=Sum("publications"),
            reported=Sum("reported"),
            reach=Sum("reach"),
            engagements=Sum("engagements"),
        )
        .values_list("practice_id", "publications", "reported", "reach", "engagements")
    ):
        totals[practice_id] = totals_of(*numbers)
    return totals


# -- the report (a month, a quarter, a range) ---------------------------------------------


@dataclass
class Report:
    practice: Practice
    period: periods.Period
    totals: stats.Totals
    before: stats.Totals  # the period before, of the same kind
    by_platform: dict[str, stats.Totals]
    rate_band: stats.PeerBand
    reach_band: stats.PeerBand
    top_posts: list[TopPost]
    staff: list[StaffLine]
    weeks: list[Week]
    # The six months up to the period's last, for the report's charts.
    trend: list[MonthLine] = field(default_factory=list)
    # Comments, mentions and reviews: answered how often and how fast, and the
    # reviews' stars month by month over the trend's six months.
    conversation: ConversationFigures = field(default_factory=ConversationFigures)

    @property
    def month(self) -> date:
        """The last month of its trend: the period's last that has begun (a month's
        report: its month)."""
        return self.trend[-1].month if self.trend else month_start(self.period.last)

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def before_label(self) -> str:
        return self.period.before().label

    @property
    def best(self) -> TopPost | None:
        return self.top_posts[0] if self.top_posts else None

    @property
    def weeks_met(self) -> int:
        return sum(1 for week in self.weeks if week.met and not week.under_way)

    @property
    def weeks_over(self) -> int:
        return sum(1 for week in self.weeks if not week.under_way)


REPORT_TREND = 6


def merged(parts: Iterable[stats.Totals]) -> stats.Totals:
    out = stats.Totals()
    for part in parts:
        out.merge(part)
    return out


def month_bounds(practice: Practice, months: list[date]) -> list[tuple[date, datetime, datetime]]:
    """Each month with its start and end on the practice's clock."""
    return [
        (month, *day_bounds(practice, month, add_months(month, 1) - timedelta(days=1)))
        for month in months
    ]


def day_bounds(practice: Practice, first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of day `first` to the end of day `last`, on the practice's clock."""
    zone = practice.zone
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def report(
    practice: Practice,
    *,
    month: date | None = None,
    period: periods.Period | None = None,
    today: date | None = None,
) -> Report:
    """A month's report (`month`), or a quarter's or a range's (`period`).

    A month or a quarter is added up from the month totals its charts read
    anyway; a range from the day totals (its own, the previous range's and the
    peers') and its publications per platform.
    """
    if period is None:
        assert month is not None, "a month or a period"
        period = periods.Period.month(month)
    today = today or timezone.now().astimezone(practice.zone).date()
    # The trend ends with the last month that has begun (a quarter under way: this one).
    months = months_ending(month_start(period.through(today)), REPORT_TREND)
    own = own_lines(practice, months)
    own_totals = sum_by(own, 0, months)
    peers = list(by_practice_and_month(peers_of(practice), months).values())
    trend = month_lines(months, own_totals, peers)
    start, end = day_bounds(practice, period.first, period.last)
    if period.kind == periods.RANGE:
        totals, before, peer_totals = range_totals(practice, period)
        by_platform: dict[object, stats.Totals] = dict(
            platform_totals(live(practice, start, end)).items()
        )
    else:
        inside = set(period.months)
        totals = merged(own_totals[each] for each in period.months)
        before = merged(own_totals[each] for each in period.before().months)
        by_platform = sum_by((line for line in own if line[0] in inside), 1)
        peer_totals = [merged(t[each] for each in period.months) for t in peers]
    # The weeks that end in the period (a week counts where it ends), up to the
    # one under way for a period under way.
    through = period.through(today)
    return Report(
        practice=practice,
        period=period,
        totals=totals,
        before=before,
        by_platform={str(platform): totals for platform, totals in sorted(by_platform.items())},
        rate_band=stats.band(t.engagement_rate for t in peer_totals),
        reach_band=stats.band(t.reach_per_post for t in peer_totals),
        top_posts=top_posts(live(practice, start, end)),
        staff=staff_for_tips(
            Tip.objects.filter(practice=practice, created_at__gte=start, created_at__lt=end),
            before=end,
        ),
        weeks=[
            week
            for week in goal_weeks(practice, today=through, count=period.length // 7 + 2)
            if period.first <= week.end <= period.last
        ],
        trend=trend,
        conversation=conversation_figures(
            practice, start, end, months=month_bounds(practice, months)
        ),
    )


def range_totals(
    practice: Practice, period: periods.Period
) -> tuple[stats.Totals, stats.Totals, list[stats.Totals]]:
    """A range's totals, the previous range's, and each peer's in the range, from the
    day totals of the practices of its specialty (one query)."""
    previous = period.before()
    fields = ("publications", "reported", "reach", "engagements")
    inside, before = Q(day__gte=period.first), Q(day__lt=period.first)
    sums = {
        **{f"now_{name}": Sum(name, filter=inside, default=0) for name in fields},
        **{f"before_{name}": Sum(name, filter=before, default=0) for name in fields},
    }
    found = {
        practice_id: numbers
        for practice_id, *numbers in DayTotals.objects.filter(
            practice__specialty=practice.specialty, day__gte=previous.first, day__lte=period.last
        )
        .order_by()
        .values("practice_id")
        .annotate(**sums)
        .values_list("practice_id", *sums)
    }
    own = found.get(practice.pk, [0] * 2 * len(fields))
    # A peer without a post in the range has no rate: it is left out, as in a month.
    return (
        totals_of(*own[: len(fields)]),
        totals_of(*own[len(fields) :]),
        [
            totals_of(*numbers[: len(fields)])
            for practice_id, numbers in found.items()
            if practice_id != practice.pk
        ],
    )


def platform_totals(publications: QuerySet[Publication]) -> dict[str, stats.Totals]:
    """These publications added up per platform, as the month totals add them (one query)."""
    return {
        platform: totals_of(*numbers)
        for platform, *numbers in publications.values("account__platform")
        .annotate(
            publications=Count("pk"),
            reported=Count("reach"),
            reach_sum=Sum("reach", default=0),
            engaged=Sum("engagements", filter=Q(reach__isnull=False), default=0),
        )
        .values_list("account__platform", "publications", "reported", "reach_sum", "engaged")
    }


def report_rows(practice: Practice, *, period: periods.Period) -> list[Row]:
    """Every publication of the period, for the report's CSV (one query)."""
    return rows(practice, *day_bounds(practice, period.first, period.last))
