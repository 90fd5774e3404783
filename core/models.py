from __future__ import annotations

from typing import Any, NoReturn, cast

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from core.fields import EncryptedTextField
from core.local_time import validate_zone


# The ignore: django-otp has no type information, so the type checker cannot
# see the manager of AuthenticatorApp's `user` (a field of django-otp's Device).
def person_name(first_name: str, last_name: str, username: str) -> str:
    """A person as they are shown: their full name, or their username.

    From the three values, so that a list read with .values() says a person as
    User.__str__ does without a User per row.
    """
    return f"{first_name} {last_name}".strip() or username


class User(AbstractUser):  # type: ignore[django-manager-missing]
    """Anyone who logs in: agency people and the practices' staff and doctors.

    What a person may do comes from `agency_role` (agency leads and
    strategists) and from their practice memberships (staff, doctors).
    """

    class AgencyRole(models.TextChoices):
        NONE = "", "Not agency staff"
        STRATEGIST = "strategist", "Strategist"
        LEAD = "lead", "Agency lead"

    email = models.EmailField("e-mail address", unique=True)
    agency_role = models.CharField(max_length=20, choices=AgencyRole.choices, blank=True)
    # The person's own clock, shown beside a practice's when they differ
    # (the post editor). Blank: the server's default zone.
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_zone])
    # Set by `manage.py demo_data` only, so that the quick start stays one
    # step: not editable, so no form (the admin's included) can show or set
    # it, and ignored in production (core.two_factor.is_exempt).
    two_factor_exempt = models.BooleanField(
        default=False,
        editable=False,
        help_text="A demo account that may sign in without two factors (never in production).",
    )

    # practices.access.practice_roles keeps the person's role per practice
    # here once read: one query per request (per loaded user), not per check.
    _practice_roles: dict[int, str]

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return person_name(self.first_name, self.last_name, self.username)

    def own_zone(self) -> str:
        """The clock this person reads times on: their own if they chose one, else
        their first practice's (a strategist's assignment, a doctor's or staff
        member's membership), else the agency's."""
        if self.time_zone:
            return self.time_zone
        # By the reverse names of Assignment (here) and Membership (practices):
        # core names no model of the apps above it.
        for related in ("assignments", "memberships"):
            zone = (
                getattr(self, related)
                .order_by("pk")
                .values_list("practice__time_zone", flat=True)
                .first()
            )
            if zone:
                return str(zone)
        return str(settings.TIME_ZONE)

    @property
    def is_agency_lead(self) -> bool:
        return self.agency_role == self.AgencyRole.LEAD

    @property
    def is_strategist(self) -> bool:
        return self.agency_role == self.AgencyRole.STRATEGIST

    @property
    def is_agency(self) -> bool:
        return bool(self.agency_role)


class Assignment(models.Model):
    """A strategist assigned to a practice: they see and run its social media."""

    strategist = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="assignments",
        limit_choices_to={"agency_role": User.AgencyRole.STRATEGIST},
    )
    practice = models.ForeignKey(
        "practices.Practice", on_delete=models.CASCADE, related_name="assignments"
    )
    is_primary = models.BooleanField(
        default=True, help_text="The primary strategist receives the practice's alerts."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["strategist", "practice"], name="assignment_unique_strategist_practice"
            )
        ]

    def __str__(self) -> str:
        return f"{self.strategist} → {self.practice}"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("audit events are append-only: they cannot be updated")

    def delete(self) -> NoReturn:
        raise PermissionError("audit events are append-only: they cannot be deleted")

    # bulk_update goes through update(); _raw_delete is what cascades use.
    def _raw_delete(self, using: str | None) -> NoReturn:
        raise PermissionError("audit events are append-only: they cannot be deleted")


class AuditEvent(models.Model):
    """One thing that happened, kept forever (HIPAA 164.312(b)).

    Append-only: the ORM refuses updates and deletes, the admin is read-only,
    and on PostgreSQL a trigger refuses UPDATE and DELETE from any client.
    Details never hold patient data: ids and labels that a compliance officer
    can follow, not story text.
    """

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(
        max_length=200, blank=True, help_text="Who acted when no user did (a signed link, a job)."
    )
    verb = models.CharField(max_length=60, db_index=True)
    practice = models.ForeignKey(
        "practices.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("audit events are append-only: they cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("audit events are append-only: they cannot be deleted")

    @classmethod
    def record(
        cls,
        verb: str,
        *,
        actor: User | None = None,
        actor_label: str = "",
        # A practices.Practice, which core (the layer below practices) cannot name.
        practice: models.Model | None = None,
        obj: models.Model | None = None,
        detail: dict[str, Any] | None = None,
        ip_address: str | None = None,
    ) -> AuditEvent:
        return cls.objects.create(
            verb=verb,
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=actor_label,
            # The foreign key's type is practices.Practice, which core cannot
            # name; Django itself refuses a row of any other model.
            practice=cast(Any, practice),
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            detail=detail or {},
            ip_address=ip_address,
        )


class Notification(models.Model):
    """One e-mail owed to a person, kept until it is sent (core.notifications sends it).

    Written in the same transaction as what it tells of, so it is never lost:
    a worker job sends it, and the cron sweep sends again whatever a job did
    not (Redis lost the job, the mail server was down). The text is
    paragraphs and one link, rendered as plain text and HTML when sent;
    nothing about a patient except in the signer's own copy.
    """

    class Kind(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", "Posts awaiting your approval"
        APPROVAL_REMINDER = "approval_reminder", "Reminders before an unapproved post is due"
        CHANGES_REQUESTED = "changes_requested", "A doctor asked for changes"
        APPROVAL_WITHDRAWN = "approval_withdrawn", "A doctor put an approved post on hold"
        INTERNAL_REVIEW = "internal_review", "Posts awaiting an agency review"
        APPROVAL_EXPIRED = "approval_expired", "A post was not approved in time"
        PUBLICATION_FAILED = "publication_failed", "A publication failed"
        NEEDS_RECONNECT = "needs_reconnect", "An account needs reconnecting"
        AUTHORIZATION_EXPIRING = "authorization_expiring", "A patient authorization expires soon"
        TIP_PUBLISHED = "tip_published", "Your tip was published"
        SIGNER_COPY = "signer_copy", "Your copy of an authorization"
        MONTHLY_REPORT = "monthly_report", "The practice's monthly report"
        APPROVAL_LINK = "approval_link", "A new approval link you asked for"
        INVITATION = "invitation", "An invitation to join a practice"
        DOCTOR_JOINED = "doctor_joined", "A doctor joined a practice (the lead)"
        BAD_REVIEW = "bad_review", "A bad review or a complaint (always at once)"
        REPLY_AWAITING_APPROVAL = "reply_awaiting_approval", "Replies to reviews awaiting approval"
        REPLY_FAILED = "reply_failed", "A reply could not be sent"

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "At once"
        DIGEST = "digest", "In one daily digest"

    recipient = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    # The address it goes to: the recipient's when sent, or a person without
    # an account (the patient who signed an authorization).
    address = models.EmailField(blank=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    practice = models.ForeignKey(
        "practices.Practice", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField(max_length=200)
    paragraphs = models.JSONField(default=list)
    link = models.CharField(max_length=500, blank=True)
    link_label = models.CharField(max_length=100, blank=True)
    # Once per thing (a reminder per post and hour, a warning per
    # authorization): a second notify with the same key does nothing.
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["delivery", "next_attempt_at"],
                name="notification_unsent",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.subject


class NotificationPreference(models.Model):
    """How a person wants one kind of notification: at once or in the daily digest."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notification_prefs")
    kind = models.CharField(max_length=30, choices=Notification.Kind.choices)
    delivery = models.CharField(max_length=10, choices=Notification.Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.delivery}"


class MailboxMessage(models.Model):
    """An e-mail kept by the demo mailbox backend (core.mailbox), never sent anywhere."""

    to = models.CharField(max_length=500)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html = models.TextField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class AuthenticatorApp(TimestampMixin, ThrottlingMixin, Device):  # type: ignore[misc]  # untyped bases
    """An authenticator app (TOTP) for the second step at sign-in, its secret encrypted.

    django-otp's TOTPDevice keeps the secret in clear: a copy of the database
    would be enough to make codes. This device is TOTPDevice with the secret
    in an EncryptedTextField; the rest (time steps, drift, the guard against a
    code used twice, throttling after wrong codes, the otpauth:// address) is
    TOTPDevice's own code, borrowed as it is. Migration 0009 moved the apps
    enrolled before it.
    """

    key = EncryptedTextField(default=default_key)  # hex, as TOTPDevice's (20 random bytes)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    bin_key = TOTPDevice.bin_key
    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings

    class Meta(Device.Meta):  # type: ignore[misc]  # untyped base
        verbose_name = "authenticator app"
