from __future__ import annotations

import re
import secrets
import zoneinfo
from datetime import datetime
from typing import Any, NoReturn, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.fields import EncryptedTextField
from practices.storage import consent_document_storage


class Platform(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    LINKEDIN = "linkedin", "LinkedIn"
    X = "x", "X"
    GOOGLE_BUSINESS = "google_business", "Google Business Profile"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as America/Chicago.")


def new_tip_link_token() -> str:
    return secrets.token_urlsafe(24)


def validate_colour(value: str) -> None:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValidationError(f"{value!r} is not a colour such as #1f5f8b (# and six hex digits).")


DEFAULT_BRAND_COLOUR = "#1f5f8b"


class Practice(models.Model):
    class Specialty(models.TextChoices):
        FERTILITY = "fertility", "Fertility"
        DERMATOLOGY = "dermatology", "Dermatology"
        DENTAL = "dental", "Dental"
        PLASTIC_SURGERY = "plastic_surgery", "Plastic surgery"
        ORTHOPEDICS = "orthopedics", "Orthopedics"
        PEDIATRICS = "pediatrics", "Pediatrics"
        FAMILY_MEDICINE = "family_medicine", "Family medicine"
        OTHER = "other", "Other"

    class ApprovalPolicy(models.TextChoices):
        ALWAYS = "always", "Doctor approves every post"
        PATIENT_CONTENT = "patient_content", "Doctor approves posts that feature a patient"
        NEVER = "never", "No doctor approval"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    specialty = models.CharField(max_length=30, choices=Specialty.choices)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    # The practice's own contact details: they may appear in posts, and the
    # identifier check (posts.rules.compliance) leaves them alone.
    street_address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    fax = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    brand_voice = models.TextField(blank=True, help_text="Tone and words to use or avoid.")
    default_hashtags = models.CharField(max_length=500, blank=True)
    approval_policy = models.CharField(
        max_length=20, choices=ApprovalPolicy.choices, default=ApprovalPolicy.ALWAYS
    )
    # The lead or a second strategist reviews a post before its doctors see it.
    internal_review = models.BooleanField(
        default=False, help_text="An agency review (the lead or a second strategist) comes first."
    )
    # Replies to reviews are where disclosures happen most: some practices want
    # a doctor to see each one first (engagement).
    doctor_approves_review_replies = models.BooleanField(
        "a doctor approves replies to reviews",
        default=False,
        help_text="Each reply to a review waits for a doctor's approval before it goes out.",
    )
    posts_per_week = models.PositiveSmallIntegerField(
        "posting goal (posts a week)", default=3, help_text="The monthly report counts against it."
    )
    # The brand the monthly report carries: the logo (cleaned and made small by
    # practices.branding) and one accent colour.
    logo = models.ImageField(upload_to="logos/", blank=True)
    brand_colour = models.CharField(
        max_length=7, default=DEFAULT_BRAND_COLOUR, validators=[validate_colour]
    )
    social_media_policy = models.TextField(
        blank=True,
        help_text="Shown once to staff before their first tip.",
    )
    # The secret tip link lets staff without an account submit a tip. A
    # strategist rotates it when it leaks (a departing employee, say).
    tip_link_token = models.CharField(max_length=64, unique=True, default=new_tip_link_token)
    tip_link_rotated_at = models.DateTimeField(null=True, blank=True)
    # The secret address of the practice's calendar feed (iCal), for doctors
    # and managers to subscribe to; rotated like the tip link when it leaks.
    calendar_token = models.CharField(max_length=64, unique=True, default=new_tip_link_token)
    calendar_rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("practice_detail", args=[self.slug])

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local(self, moment: datetime) -> datetime:
        """A stored (UTC) moment as the practice's wall clock shows it."""
        return timezone.localtime(moment, self.zone)

    def rotate_calendar_link(self) -> None:
        self.calendar_token = new_tip_link_token()
        self.calendar_rotated_at = timezone.now()
        self.save(update_fields=["calendar_token", "calendar_rotated_at"])

    def rotate_tip_link(self) -> None:
        self.tip_link_token = new_tip_link_token()
        self.tip_link_rotated_at = timezone.now()
        self.save(update_fields=["tip_link_token", "tip_link_rotated_at"])


class Membership(models.Model):
    """A person who works at a practice: staff submit tips, doctors approve."""

    class Role(models.TextChoices):
        STAFF = "staff", "Staff"
        DOCTOR = "doctor", "Doctor"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    title = models.CharField(max_length=100, blank=True, help_text="Office manager, RN, MD…")
    policy_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "practice"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.practice})"


class SocialAccount(models.Model):
    """A practice's page or profile on one platform, with its credentials."""

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
        DISCONNECTED = "disconnected", "Disconnected"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="social_accounts")
    platform = models.CharField(max_length=20, choices=Platform.choices)
    external_id = models.CharField(
        max_length=200, help_text="Page id, IG user id, organization URN, X user id, location name."
    )
    display_name = models.CharField(max_length=200)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CONNECTED)
    status_detail = models.CharField(max_length=500, blank=True)
    # Set from a platform's retry-after when it throttles the whole account.
    throttled_until = models.DateTimeField(null=True, blank=True)
    expiry_warning_sent_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Columns of this table only: "practice__name" would join practices
        # into every query that does not order, the publisher's among them.
        # Pages across practices order by name themselves.
        ordering = ["practice_id", "platform"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "platform", "external_id"], name="socialaccount_unique_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_platform_display()})"

    @property
    def is_usable(self) -> bool:
        """Connected: we may call the platform with it (else its posts wait)."""
        return self.status == self.Status.CONNECTED

    def mark_needs_reconnect(self, reason: str) -> bool:
        """Hold the account until a person reconnects it.

        True only for the call that made the change: when several workers hit
        the same expired token at once, one of them alerts the strategist.
        """
        self.status = self.Status.NEEDS_RECONNECT
        self.status_detail = reason[:500]
        changed = (
            SocialAccount.objects.filter(pk=self.pk)
            .exclude(status=self.Status.NEEDS_RECONNECT)
            .update(status=self.status, status_detail=self.status_detail, updated_at=timezone.now())
        )
        return bool(changed)


class ConsentQuerySet(models.QuerySet["PatientConsent"]):
    def delete(self) -> NoReturn:
        raise PermissionError("patient authorizations are kept for six years and never deleted")

    def active(self, at: datetime | None = None) -> Self:
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=at)


class PatientConsent(models.Model):
    """A patient's written authorization to use their photo or story (45 CFR 164.508).

    Kept for six years (164.508(b)(6)): never deleted through the ORM or the
    admin. Revocation is a state, not a deletion.
    """

    class Use(models.TextChoices):
        PHOTO = "photo", "Photo"
        STORY = "story", "Story"
        NAME = "name", "Name"
        TESTIMONIAL = "testimonial", "Testimonial"

    class Signer(models.TextChoices):
        PATIENT = "patient", "The patient"
        GUARDIAN = "guardian", "A parent, guardian or representative"

    class Method(models.TextChoices):
        ESIGNATURE = "esignature", "E-signature"
        UPLOAD = "upload", "Signed form uploaded"

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="consents")
    patient_label = models.CharField(
        max_length=200, help_text="How the patient may be named in posts (e.g. 'Maria G.')."
    )
    signer = models.CharField(max_length=10, choices=Signer.choices, default=Signer.PATIENT)
    signer_name = models.CharField(max_length=200)
    # Where the signer's own copy goes (45 CFR 164.508(c)(4)); optional: a
    # printable copy is offered instead.
    signer_email = models.EmailField(blank=True)
    guardian_authority = models.CharField(
        max_length=300, blank=True, help_text="What gives a guardian the authority to sign."
    )
    uses = models.JSONField(
        default=list, help_text="Allowed uses: photo, story, name, testimonial."
    )
    platforms = models.JSONField(default=list, help_text="Platforms the content may appear on.")
    expires_at = models.DateTimeField()
    method = models.CharField(max_length=12, choices=Method.choices)
    signed_at = models.DateTimeField()
    typed_signature = models.CharField(max_length=200, blank=True)
    # The required statements (164.508(c)(2)): right to revoke, treatment not
    # conditioned on signing, redisclosure. Shown, and acknowledged.
    statements_acknowledged = models.BooleanField(default=False)
    signer_ip = models.GenericIPAddressField(null=True, blank=True)
    # A signed paper form, encrypted at rest (see practices.storage).
    document = models.FileField(
        upload_to="consents/%Y/%m/", blank=True, storage=consent_document_storage
    )
    document_content_type = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_note = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["patient_label", "-signed_at"]
        indexes = [models.Index(fields=["practice", "expires_at"], name="consent_practice_expiry")]

    def __str__(self) -> str:
        return f"{self.patient_label} (signed {self.signed_at:%Y-%m-%d})"

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("patient authorizations are kept for six years and never deleted")

    @property
    def use_labels(self) -> str:
        return ", ".join(self.Use(use).label for use in self.uses if use in self.Use.values)

    @property
    def platform_labels(self) -> str:
        return ", ".join(Platform(p).label for p in self.platforms if p in Platform.values)

    def is_active(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.expires_at > at

    def problems_for(
        self, *, uses: set[str], platforms: set[str], at: datetime | None = None
    ) -> list[str]:
        """Why this consent does not cover the given use, in plain words; [] if it does."""
        at = at or timezone.now()
        problems = []
        if self.revoked_at is not None and self.revoked_at <= at:
            problems.append(f"the authorization for {self.patient_label} was revoked")
        if self.expires_at <= at:
            problems.append(
                f"the authorization for {self.patient_label} expired on {self.expires_at:%Y-%m-%d}"
            )
        missing_uses = sorted(set(uses) - set(self.uses))
        if missing_uses:
            problems.append(
                f"the authorization for {self.patient_label} does not allow: "
                f"{', '.join(missing_uses)}"
            )
        missing_platforms = sorted(set(platforms) - set(self.platforms))
        if missing_platforms:
            labels = [Platform(p).label for p in missing_platforms]
            problems.append(
                f"the authorization for {self.patient_label} does not cover {', '.join(labels)}"
            )
        return problems


class PostingSlot(models.Model):
    """A recurring weekly time a practice posts on one platform, on its own clock.

    The practice's posting goal made concrete; "add to queue" puts a post in
    the next free one (posts.rules.slots).
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="slots")
    platform = models.CharField(max_length=20, choices=Platform.choices)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    time = models.TimeField(help_text="On the practice's clock.")

    class Meta:
        ordering = ["weekday", "time", "platform"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "platform", "weekday", "time"], name="slot_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.time:%H:%M} on {self.get_platform_display()}"


class Invitation(models.Model):
    """An e-mailed invitation to join a practice: as its doctor or staff, or (from
    the lead) as an agency strategist assigned to it.

    The link carries the row's id signed with the secret key (practices.invitations),
    so it cannot be forged or guessed. It works once, until `expires_at`, unless
    it was revoked; sending it again replaces it with a new one.
    """

    class Role(models.TextChoices):
        STAFF = "staff", "Staff"
        DOCTOR = "doctor", "Doctor"
        STRATEGIST = "strategist", "Agency strategist"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("e-mail address")
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=12, choices=Role.choices)
    title = models.CharField(max_length=100, blank=True, help_text="Office manager, RN, MD…")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["practice", "email"], name="invitation_practice_email")]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.practice} ({self.get_role_display()})"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def state(self, now: datetime | None = None) -> str:
        """Accepted, revoked, expired or pending (in that order: the first that holds)."""
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "pending"
