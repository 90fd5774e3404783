from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.admin import ReadOnlyAdmin
from core.http import client_ip
from core.models import User
from practices import services
from practices.models import Membership, PatientConsent, Practice, SocialAccount

# django-stubs makes the admin classes generic over their models, but Django's
# own classes cannot be subscripted at runtime (that takes
# django_stubs_ext.monkeypatch(), which production does not install): the
# models are named for mypy only.
if TYPE_CHECKING:
    _MembershipInlineBase = admin.TabularInline[Membership, Practice]
    _PracticeAdminBase = admin.ModelAdmin[Practice]
    _MembershipAdminBase = admin.ModelAdmin[Membership]
else:
    _MembershipInlineBase = admin.TabularInline
    _PracticeAdminBase = _MembershipAdminBase = admin.ModelAdmin


class MembershipInline(_MembershipInlineBase):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Practice)
class PracticeAdmin(_PracticeAdminBase):
    list_display = [
        "name",
        "specialty",
        "city",
        "state",
        "time_zone",
        "approval_policy",
        "posts_per_week",
    ]
    list_filter = ["specialty", "approval_policy", "state"]
    search_fields = ["name", "slug", "city"]
    prepopulated_fields = {"slug": ["name"]}
    # The logo is cleaned and made small on the practice's own page (practices.branding).
    readonly_fields = ["tip_link_token", "tip_link_rotated_at", "created_at", "logo"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(_MembershipAdminBase):
    list_display = ["user", "practice", "role", "title", "policy_confirmed_at"]
    list_filter = ["role", "practice"]
    search_fields = ["user__username", "user__email", "practice__name"]
    autocomplete_fields = ["user", "practice"]


@admin.register(SocialAccount)
class SocialAccountAdmin(ReadOnlyAdmin):
    # View only: an account is connected, reconnected and disconnected through
    # the OAuth flow (practices.connect), which writes the audit events. A
    # practice, platform, status or external id changed here would send one
    # practice's posts to another's page, or revive a disconnected account.

    list_display = [
        "display_name",
        "platform",
        "practice",
        "status",
        "token_expires_at",
        "throttled_until",
        "updated_at",
    ]
    list_filter = ["platform", "status", "practice"]
    search_fields = ["display_name", "external_id", "practice__name"]
    list_select_related = ["practice"]
    # Tokens never appear in the admin, not even encrypted.
    exclude = ["access_token", "refresh_token"]


@admin.register(PatientConsent)
class PatientConsentAdmin(ReadOnlyAdmin):
    """Authorizations are kept six years: nobody deletes them here."""

    list_display = [
        "patient_label",
        "practice",
        "signer",
        "method",
        "signed_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["practice", "method", "signer", "revoked_at"]
    search_fields = ["patient_label", "signer_name"]
    date_hierarchy = "signed_at"
    list_select_related = ["practice"]
    # The signed document is reached only through the app, where every view
    # and download is an audit event.
    exclude = ["document"]

    # Read-only: authorizations are recorded through the tip form and revoked
    # through the consent registry, which cancels and takes down what relies
    # on them. An edit here would bypass both.

    # Every look at a patient's authorization is an audit event, here as in the app.
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        consent = None
        if response.status_code == 200 and isinstance(response, TemplateResponse):
            # The object's page: its context holds the authorization shown.
            consent = (response.context_data or {}).get("original")
        if consent is not None:
            services.record_consent_viewed(
                consent=consent, by=_staff(request), ip_address=client_ip(request)
            )
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            services.record_consents_listed(
                practice=None,
                consent_ids=[consent.pk for consent in changelist.result_list],
                state="admin",
                by=_staff(request),
                ip_address=client_ip(request),
            )
        return response


def _staff(request: HttpRequest) -> User:
    """The person using the admin: it lets only logged-in staff in."""
    return cast(User, request.user)
