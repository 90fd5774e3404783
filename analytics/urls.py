from __future__ import annotations

from django.urls import path

from analytics import views

urlpatterns = [
    path("analytics/", views.agency_overview, name="agency_overview"),
    path("practices/<slug:slug>/analytics/", views.practice_analytics, name="practice_analytics"),
    path("practices/<slug:slug>/reports/", views.report_choose, name="report_choose"),
    path(
        "practices/<slug:slug>/reports/<str:month>/",
        views.monthly_report,
        name="monthly_report",
    ),
    path(
        "practices/<slug:slug>/reports/<str:month>.pdf",
        views.monthly_report_pdf,
        name="monthly_report_pdf",
    ),
    path(
        "practices/<slug:slug>/reports/<str:month>/pdf/",
        views.monthly_report_pdf_make,
        name="monthly_report_pdf_make",
    ),
    path(
        "practices/<slug:slug>/reports/<str:month>.csv",
        views.monthly_report_csv,
        name="monthly_report_csv",
    ),
]
