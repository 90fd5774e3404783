from __future__ import annotations

from django.urls import path

from practices import (
    consent_views,
    invitation_views,
    onboarding_views,
    people_views,
    slot_views,
    views,
)

urlpatterns = [
    # Before practices/<slug>/ (agency.urls) takes "new" for a practice's slug.
    path("practices/new/", onboarding_views.practice_new, name="practice_new"),
    path("practices/<slug:slug>/edit/", onboarding_views.practice_edit, name="practice_edit"),
    path("practices/<slug:slug>/logo.png", onboarding_views.practice_logo, name="practice_logo"),
    path("practices/<slug:slug>/people/", people_views.practice_people, name="practice_people"),
    path(
        "practices/<slug:slug>/people/invite/",
        people_views.invitation_send,
        name="invitation_send",
    ),
    path(
        "practices/<slug:slug>/invitations/<int:pk>/send-again/",
        people_views.invitation_send_again,
        name="invitation_send_again",
    ),
    path(
        "practices/<slug:slug>/invitations/<int:pk>/revoke/",
        people_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "practices/<slug:slug>/people/<int:pk>/remove/",
        people_views.member_remove,
        name="member_remove",
    ),
    path(
        "practices/<slug:slug>/strategists/<int:pk>/remove/",
        people_views.strategist_remove,
        name="strategist_remove",
    ),
    path("invite/<str:token>/", invitation_views.invitation, name="invitation"),
    path("practices/<slug:slug>/slots/", slot_views.slot_add, name="slot_add"),
    path(
        "practices/<slug:slug>/slots/<int:pk>/delete/",
        slot_views.slot_delete,
        name="slot_delete",
    ),
    path("practices/<slug:slug>/consents/", consent_views.consent_list, name="consent_list"),
    path(
        "practices/<slug:slug>/consents/<int:pk>/document/",
        consent_views.consent_document,
        name="consent_document",
    ),
    path(
        "practices/<slug:slug>/connect/<str:platform>/", views.connect_start, name="connect_start"
    ),
    path("connect/callback/<str:platform>/", views.connect_callback, name="connect_callback"),
    path("connect/choose/", views.connect_choose, name="connect_choose"),
    path("accounts/", views.accounts_overview, name="accounts_overview"),
    path("accounts/<int:pk>/disconnect/", views.account_disconnect, name="account_disconnect"),
]
