"""Photos: the cleaned original and its cached renderings per platform."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from practices.models import Practice


class MediaAsset(models.Model):
    """A cleaned photo: metadata stripped and orientation applied before storage.

    The same bytes uploaded twice to one practice are stored once (sha256).
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to="media/%Y/%m/")
    content_type = models.CharField(max_length=50, default="image/jpeg")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    alt_text = models.CharField(max_length=1000, blank=True)
    # Where the subject is, as fractions of width and height: crops keep it.
    focal_x = models.FloatField(default=0.5)
    focal_y = models.FloatField(default=0.5)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "sha256"], name="media_unique_content"),
            models.CheckConstraint(
                condition=Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
                name="media_focal_in_frame",
            ),
        ]

    def __str__(self) -> str:
        return f"Photo {self.sha256[:10]} ({self.width}×{self.height})"


class MediaVariant(models.Model):
    """A rendering of an asset for one platform's frame, made on demand and cached."""

    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="variants")
    spec = models.CharField(max_length=40)
    focal_x = models.FloatField()
    focal_y = models.FloatField()
    file = models.FileField(upload_to="variants/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "spec"], name="variant_unique_spec"),
        ]

    def __str__(self) -> str:
        return f"{self.spec} of {self.asset}"
