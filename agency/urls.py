from __future__ import annotations

import django_rq.urls
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from agency import account, signin, views
from agency.admin_site import superusers_only

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    # -- sign-in (agency/signin.py): throttled password, two factors, security page
    path("login/", signin.login, name="login"),
    path("login/code/", signin.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/", signin.two_factor_setup, name="two_factor_setup"),
    path("account/security/", signin.security, name="security"),
    path("account/time-zone/", signin.time_zone, name="time_zone"),
    path("account/recovery-codes/", signin.recovery_codes_new, name="recovery_codes_new"),
    path("account/notifications/", account.notification_settings, name="notification_settings"),
    path("mailbox/", account.mailbox_list, name="mailbox"),
    path("mailbox/<int:pk>/", account.mailbox_message, name="mailbox_message"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", signin.password_reset, name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("", include("practices.urls")),
    path("", include("engagement.urls")),
    path("practices/<slug:slug>/", views.practice_detail, name="practice_detail"),
    path("", include("posts.urls")),
    path("", include("analytics.urls")),
    # django_rq's pages check only is_staff: each goes through the admin's own
    # check here (superusers only, agency/admin_site.py).
    path("admin/rq/", include((superusers_only(django_rq.urls.urlpatterns), "django_rq"))),
    path("admin/", admin.site.urls),
]
