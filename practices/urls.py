from __future__ import annotations

from django.urls import path

from practices import consent_views, slot_views, views

urlpatterns = [
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
