"""The admin's app configuration: Django's, with the superusers-only site."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """In INSTALLED_APPS instead of "django.contrib.admin" (Django's documented
    way to replace the default site: every `admin.site.register` lands on it)."""

    default_site = "agency.admin_site.SuperuserAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscovery: every app's admin module, django_rq's too
        from agency import rq_admin

        rq_admin.register()
