"""The numbers a publication earned, one snapshot per fetch."""

from __future__ import annotations

from django.db import models
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
