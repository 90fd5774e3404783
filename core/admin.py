from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from core.models import Assignment, AuditEvent, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that change only through the app's rules (or never): view only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "agency_role", "is_active"]
    list_filter = ["agency_role", "is_active", "is_staff"]
    search_fields = ["username", "email", "first_name", "last_name"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Agency", {"fields": ["agency_role"]}),
    ]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
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
