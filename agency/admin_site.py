"""The Django admin, for superusers only, and the RQ pages behind the same check.

The admin has no per-practice scoping: whoever gets in sees and edits every
practice, person and queue. So it is the agency lead's (a superuser; `manage.py
create_lead` makes one) and nobody else's: an `is_staff` account that is not a
superuser gets no admin page at all, not even RQ's, where one click empties or
requeues a queue of publications.

Installed as the default admin site by `agency.apps.AdminConfig`, so the
`admin.site.register` calls of every app register here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver

from core.models import User


class SuperuserAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form: a staff account that is not a superuser is refused
    with the usual wrong-password message, before a session is opened."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not (isinstance(user, User) and user.is_superuser):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class SuperuserAdminSite(admin.AdminSite):
    login_form = SuperuserAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        # Django's own check (active and staff), then superuser on top: every
        # admin page and every RQ page asks this one method (admin_view).
        return bool(super().has_permission(request) and request.user.is_superuser)


type URL = URLPattern | URLResolver


def superusers_only(
    patterns: Sequence[URL], site: admin.AdminSite | None = None
) -> list[URLPattern]:
    """The same URL patterns, each view behind the admin site's permission check.

    For django_rq's views, which check only `is_staff` themselves
    (`staff_member_required`, and its JSON statistics any staff session).
    """
    chosen = site or admin.site

    def guard(pattern: URL) -> URLPattern:
        if isinstance(pattern, URLResolver):
            raise TypeError("superusers_only() wraps views, not included URL lists")
        view: Callable[..., HttpResponse] = pattern.callback
        return URLPattern(
            pattern.pattern, chosen.admin_view(view), pattern.default_args, pattern.name
        )

    return [guard(pattern) for pattern in patterns]
