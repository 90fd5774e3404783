"""The numbers a publication earned, one snapshot per fetch, and each practice's month totals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models, transaction
from django.utils import timezone

from posts.models.publications import Publication


class MetricSnapshot(models.Model):
    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="metric_snapshots"
    )
    fetched_at = models.DateTimeField(default=timezone.now, db_index=True)
    reach = models.PositiveIntegerField(null=True, blank=True)
    impressions = models.PositiveIntegerField(null=True, blank=True)
    likes = models.PositiveIntegerField(null=True, blank=True)
    comments = models.PositiveIntegerField(null=True, blank=True)
    shares = models.PositiveIntegerField(null=True, blank=True)
    saves = models.PositiveIntegerField(null=True, blank=True)
    clicks = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-fetched_at"]
        get_latest_by = "fetched_at"

    def __str__(self) -> str:
        return f"{self.publication} at {self.fetched_at:%Y-%m-%d %H:%M}"


class AccountSnapshot(models.Model):
    """An account's own figures on one day: its followers, and its reach where given."""

    account = models.ForeignKey(
        "practices.SocialAccount", on_delete=models.CASCADE, related_name="snapshots"
    )
    day = models.DateField()
    followers = models.PositiveIntegerField(null=True, blank=True)
    reach = models.PositiveIntegerField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="account_snapshot_daily")
        ]

    def __str__(self) -> str:
        return f"{self.account} on {self.day}"


# Publications that count in the analytics: out there, or out there until taken down.
LIVE = ["published", "deleted"]
AGENCY_KIND = "agency"  # a post not drafted from a tip

# Each practice's month also has one row of its own with platform and kind ALL:
# what it earned in all, for the pages that compare practices (one row per
# practice and month to read, however many platforms and kinds it posts).
ALL = ""

# One SELECT for every recount: the live publications of the practices the
# WHERE clause names, added up per month on each practice's clock, platform
# and kind, and per month in all. Raw SQL because each row's month is on its
# own practice's time zone, which the ORM's Trunc takes only as one zone for
# all rows.
_COUNT = """
    INSERT INTO posts_monthtotals
        (practice_id, month, platform, kind, publications, reported, reach, engagements)
    SELECT practice_id, month, COALESCE(platform, %s), COALESCE(kind, %s),
           count(*), count(reach), COALESCE(sum(reach), 0),
           COALESCE(sum(engagements) FILTER (WHERE reach IS NOT NULL), 0)
    FROM (
        SELECT post.practice_id,
               date_trunc('month', pub.published_at AT TIME ZONE practice.time_zone)::date
                   AS month,
               account.platform,
               COALESCE(tip.kind, %s) AS kind,
               pub.reach,
               pub.engagements
        FROM posts_publication pub
        JOIN posts_post post ON post.id = pub.post_id
        JOIN practices_practice practice ON practice.id = post.practice_id
        JOIN practices_socialaccount account ON account.id = pub.account_id
        LEFT JOIN posts_tip tip ON tip.id = post.tip_id
        WHERE pub.status = ANY(%s) AND pub.published_at IS NOT NULL {where}
    ) AS live
    GROUP BY GROUPING SETS ((practice_id, month, platform, kind), (practice_id, month))
"""
# And per day in all, on each practice's clock (DayTotals), from the same rows.
_DAY_COUNT = """
    INSERT INTO posts_daytotals (practice_id, day, publications, reported, reach, engagements)
    SELECT post.practice_id,
           (pub.published_at AT TIME ZONE practice.time_zone)::date,
           count(*), count(pub.reach), COALESCE(sum(pub.reach), 0),
           COALESCE(sum(pub.engagements) FILTER (WHERE pub.reach IS NOT NULL), 0)
    FROM posts_publication pub
    JOIN posts_post post ON post.id = pub.post_id
    JOIN practices_practice practice ON practice.id = post.practice_id
    WHERE pub.status = ANY(%s) AND pub.published_at IS NOT NULL {where}
    GROUP BY 1, 2
"""
# A number of our own for the advisory locks of recounts (any two integers will do,
# as long as nothing else uses the same first one).
_LOCK = 7301


class MonthTotals(models.Model):
    """What a practice's live publications earned in one month on its clock, per
    platform and kind of post: what the analytics pages add up, so that a page
    reads a row per month, not every publication of a year.

    Never written by hand: recount() works a practice's months out again from
    the publications whenever one goes live or its numbers arrive (and when
    the practice's time zone changes), so the rows cannot drift from them.
    """

    practice = models.ForeignKey(
        "practices.Practice", on_delete=models.CASCADE, related_name="month_totals"
    )
    month = models.DateField(help_text="The first day of the month, on the practice's clock.")
    platform = models.CharField(max_length=32, help_text="Blank: every platform (ALL).")
    kind = models.CharField(
        max_length=32, help_text="The tip's kind, or 'agency'; blank: every kind (ALL)."
    )
    publications = models.PositiveIntegerField()
    reported = models.PositiveIntegerField(help_text="Of them, those whose reach is known.")
    reach = models.BigIntegerField()
    engagements = models.BigIntegerField(help_text="Of the reported ones.")

    class Meta:
        ordering = ["practice_id", "month", "platform", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "month", "platform", "kind"], name="month_totals_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.month:%Y-%m} {self.platform} {self.kind}"

    @classmethod
    def recount(cls, practice_id: int, *, months: Iterable[date] | None = None) -> None:
        """Work out again the practice's totals of these months (all of them: None).

        Serialized per practice (an advisory lock held to the end of the
        transaction), so that two workers finishing together cannot leave the
        older of their two counts.
        """
        chosen = sorted({month.replace(day=1) for month in months} if months is not None else [])
        if months is not None and not chosen:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK, practice_id])
            where = "AND post.practice_id = %s"
            params: list[Any] = [practice_id]
            if chosen:
                cursor.execute(
                    "DELETE FROM posts_monthtotals WHERE practice_id = %s AND month = ANY(%s)",
                    [practice_id, chosen],
                )
                cursor.execute(
                    "DELETE FROM posts_daytotals WHERE practice_id = %s"
                    " AND date_trunc('month', day)::date = ANY(%s)",
                    [practice_id, chosen],
                )
                # The months' bounds on the practice's clock; any month of the span
                # not chosen is left out by the month test.
                where += (
                    " AND pub.published_at >= (%s::timestamp AT TIME ZONE practice.time_zone)"
                    " AND pub.published_at < (%s::timestamp AT TIME ZONE practice.time_zone)"
                    " AND date_trunc('month', pub.published_at AT TIME ZONE practice.time_zone)"
                    "::date = ANY(%s)"
                )
                params += [chosen[0], _next_month(chosen[-1]), chosen]
            else:
                cursor.execute("DELETE FROM posts_monthtotals WHERE practice_id = %s", params)
                cursor.execute("DELETE FROM posts_daytotals WHERE practice_id = %s", params)
            cursor.execute(_COUNT.format(where=where), [ALL, ALL, AGENCY_KIND, LIVE, *params])
            cursor.execute(_DAY_COUNT.format(where=where), [LIVE, *params])

    @classmethod
    def recount_publications(cls, publication_ids: Iterable[int]) -> None:
        """Recount the months these publications went live in (one recount per practice)."""
        months: dict[int, set[date]] = {}
        for practice_id, zone, published_at in Publication.objects.filter(
            pk__in=list(publication_ids), published_at__isnull=False
        ).values_list("post__practice_id", "post__practice__time_zone", "published_at"):
            if published_at is not None:  # filtered above
                months.setdefault(practice_id, set()).add(
                    published_at.astimezone(ZoneInfo(zone)).date()
                )
        for practice_id, found in sorted(months.items()):
            cls.recount(practice_id, months=found)

    @classmethod
    def recount_all(cls) -> None:
        """Every practice's every month (a restore, the demo data, the benchmark)."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOCK TABLE posts_monthtotals, posts_daytotals IN EXCLUSIVE MODE")
            cursor.execute("DELETE FROM posts_monthtotals")
            cursor.execute("DELETE FROM posts_daytotals")
            cursor.execute(_COUNT.format(where=""), [ALL, ALL, AGENCY_KIND, LIVE])
            cursor.execute(_DAY_COUNT.format(where=""), [LIVE])


class DayTotals(models.Model):
    """What a practice's live publications earned on one day on its clock, in all:
    for comparing a month under way with the same days of the month before
    (analytics.figures.same_days_before). Kept by MonthTotals.recount with the
    months, from the same publications."""

    practice = models.ForeignKey(
        "practices.Practice", on_delete=models.CASCADE, related_name="day_totals"
    )
    day = models.DateField()
    publications = models.PositiveIntegerField()
    reported = models.PositiveIntegerField()
    reach = models.BigIntegerField()
    engagements = models.BigIntegerField()

    class Meta:
        ordering = ["practice_id", "day"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "day"], name="day_totals_unique")
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.day}"


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)
