"""Photos and videos: the cleaned original and its renderings per platform."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from practices.models import Practice


class MediaAsset(models.Model):
    """A cleaned photo or video: metadata stripped and orientation applied before storage.

    The same bytes uploaded twice to one practice are stored once (sha256).

    A photo is cleaned in the request and stored ready. A video is checked in
    the request (its container's header, its limits) and stored with its
    metadata already dropped (`incoming`, streams copied, nothing decoded);
    the media worker then re-encodes it into `file`, takes its poster frame
    and renders what each platform takes (posts.media.videos). Until then it
    is `processing`; a clip the worker cannot clean is `failed`, with the
    reason in `problem`.
    """

    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        VIDEO = "video", "Video"

    class Status(models.TextChoices):
        READY = "ready", "Ready"
        PROCESSING = "processing", "Being prepared"
        FAILED = "failed", "Could not be prepared"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.PHOTO)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    problem = models.CharField(max_length=500, blank=True)
    file = models.FileField(upload_to="media/%Y/%m/", blank=True)
    # A video's upload, its metadata dropped, waiting for the media worker.
    incoming = models.FileField(upload_to="incoming/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=50, default="image/jpeg")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveBigIntegerField()
    duration = models.FloatField(null=True, blank=True)  # seconds, a video's
    # A video's cover: a frame of it or a photo the strategist uploaded, itself
    # a cleaned photo. `poster_at`: the moment of the clip it was taken at.
    poster = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    poster_at = models.FloatField(null=True, blank=True)
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
        return f"{self.get_kind_display()} {self.sha256[:10]} ({self.width}×{self.height})"

    @property
    def is_video(self) -> bool:
        return self.kind == self.Kind.VIDEO

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY


class MediaVariant(models.Model):
    """A rendering of an asset for one platform's frame, made on demand and cached.

    A photo's are made on demand; a video's one (FOR_X, the smaller file X
    takes) by the media worker with its master.
    """

    # A video's renderings, by name (with COVER, its cover photo as signed URLs
    # name it; the cover is a photo asset of its own, MediaAsset.poster).
    FOR_X = "video_x"
    COVER = "cover"

    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="variants")
    spec = models.CharField(max_length=40)
    focal_x = models.FloatField()
    focal_y = models.FloatField()
    file = models.FileField(upload_to="variants/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "spec"], name="variant_unique_spec"),
        ]

    def __str__(self) -> str:
        return f"{self.spec} of {self.asset}"
