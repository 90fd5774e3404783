from __future__ import annotations

from typing import Any, NoReturn, cast

from django.contrib.auth.models import AbstractUser
from django.db import models

from core.local_time import validate_zone


class User(AbstractUser):
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
        return self.get_full_name() or self.username

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
