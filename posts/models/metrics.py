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
