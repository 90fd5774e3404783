"""Tips: what practice staff send, with their photos."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.models import User
from posts.models.errors import IllegalTransition
from posts.models.media import MediaAsset
from practices.models import PatientConsent, Practice


class Tip(models.Model):
    class Kind(models.TextChoices):
        PATIENT_STORY = "patient_story", "Patient story"
        TEAM = "team", "Team"
        EVENT = "event", "Event"
        MILESTONE = "milestone", "Milestone"
        HEALTH_TIP = "health_tip", "Health tip"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        NEW = "new", "New"
        DRAFTED = "drafted", "Drafted"
        DECLINED = "declined", "Declined"
        ARCHIVED = "archived", "Archived"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="tips")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tips",
    )
    # Submissions through the secret tip link have no account: name and e-mail.
    submitter_name = models.CharField(max_length=200, blank=True)
    submitter_email = models.EmailField(blank=True)
    via_link = models.BooleanField(default=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField(max_length=5000)
    features_patient = models.BooleanField(default=False)
    consent = models.ForeignKey(
        PatientConsent, null=True, blank=True, on_delete=models.PROTECT, related_name="tips"
    )
    photos = models.ManyToManyField(MediaAsset, through="TipPhoto", related_name="tips")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    decline_reason = models.TextField(blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["practice", "status"], name="tip_practice_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} tip #{self.pk} ({self.practice})"

    def get_absolute_url(self) -> str:
        return reverse("tip_detail", args=[self.pk])

    @property
    def submitter_display(self) -> str:
        if self.submitted_by_id:
            return str(self.submitted_by)
        return self.submitter_name or "Anonymous"

    def decline(self, *, reason: str, by: User) -> None:
        if self.status != self.Status.NEW:
            raise IllegalTransition(f"only a new tip can be declined; this one is {self.status}")
        if not reason.strip():
            raise IllegalTransition("declining a tip needs a reason for the person who sent it")
        self.status = self.Status.DECLINED
        self.decline_reason = reason.strip()
        self.declined_by = by
        self.save(update_fields=["status", "decline_reason", "declined_by", "updated_at"])


class TipPhoto(models.Model):
    tip = models.ForeignKey(Tip, on_delete=models.CASCADE)
    asset = models.ForeignKey(MediaAsset, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["tip", "asset"], name="tipphoto_unique"),
        ]

    def __str__(self) -> str:
        return f"Photo {self.position + 1} of {self.tip}"
