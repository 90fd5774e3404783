"""django_rq's dashboard inside the admin, behind the admin's superuser check.

django_rq registers its dashboard in the admin (RQ_SHOW_ADMIN_LINK) with its
JSON statistics and metrics views left to its own test, which any `is_staff`
session passes. `agency.apps.AdminConfig` registers it again with this class
once every app's admin module is loaded.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern
from django_rq.admin import QueueAdmin
from django_rq.models import Dashboard

from agency.admin_site import superusers_only


class RQDashboardAdmin(QueueAdmin):
    def get_urls(self) -> list[URLPattern]:
        # django_rq's get_urls carries no annotations.
        patterns: list[URLPattern] = super().get_urls()  # type: ignore[no-untyped-call]
        return superusers_only(patterns, self.admin_site)


def register() -> None:
    if admin.site.is_registered(Dashboard):
        admin.site.unregister(Dashboard)
        admin.site.register(Dashboard, RQDashboardAdmin)
