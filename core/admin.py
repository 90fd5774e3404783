from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from core.http import client_ip
from core.models import Assignment, AuditEvent, AuthenticatorApp, User

# django-stubs makes the admin classes generic over their model, but Django's
# own classes cannot be subscripted at runtime (that takes
# django_stubs_ext.monkeypatch(), which production does not install): the
# model is named for mypy only.
if TYPE_CHECKING:
    _AnyModelAdmin = admin.ModelAdmin[Any]
    _UserAdminBase = BaseUserAdmin[User]
    _AssignmentAdminBase = admin.ModelAdmin[Assignment]
else:
    _AnyModelAdmin = admin.ModelAdmin
    _UserAdminBase = BaseUserAdmin
    _AssignmentAdminBase = admin.ModelAdmin


class ReadOnlyAdmin(_AnyModelAdmin):
    """For records that change only through the app's rules (or never): view only.

    The base of the admins of many models, so of any model.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(_UserAdminBase):
    list_display = ["username", "email", "first_name", "last_name", "agency_role", "is_active"]
    list_filter = ["agency_role", "is_active", "is_staff"]
    search_fields = ["username", "email", "first_name", "last_name"]
    fieldsets = [
        # Django's UserAdmin always sets fieldsets; the stubs allow None.
        *(BaseUserAdmin.fieldsets or ()),
        ("Agency", {"fields": ["agency_role"]}),
    ]


@admin.register(Assignment)
class AssignmentAdmin(_AssignmentAdminBase):
    list_display = ["strategist", "practice", "is_primary", "created_at"]
    list_filter = ["is_primary", "practice"]
    search_fields = ["strategist__username", "strategist__email", "practice__name"]
    autocomplete_fields = ["strategist", "practice"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: audit events are append-only (HIPAA 164.312(b))."""

    list_display = [
        "created_at",
        "verb",
        "actor",
        "actor_label",
        "practice",
        "object_type",
        "object_id",
        "ip_address",
    ]
    list_filter = ["verb", "practice", "object_type"]
    search_fields = ["verb", "actor__username", "actor_label", "object_id"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "practice"]


@admin.register(AuthenticatorApp)
class AuthenticatorAppAdmin(ReadOnlyAdmin):
    """Who has an authenticator app; its secret is never shown.

    Deleting one (a lost phone) is how a person is made to enrol again at
    their next sign-in; each deletion is audited.
    """

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_select_related = ["user"]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self.delete_queryset(request, AuthenticatorApp.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for device in queryset.select_related("user"):
                AuditEvent.record(
                    "two_factor_app_removed",
                    actor=request.user if isinstance(request.user, User) else None,
                    obj=device.user,
                    detail={"device": device.persistent_id, "by": "admin"},
                    ip_address=client_ip(request),
                )
            queryset.delete()
