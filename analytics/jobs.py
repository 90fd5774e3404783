"""The monthly report's PDF, made by a worker, and the e-mail on the first of the month."""

from __future__ import annotations

import logging
from datetime import date, datetime

import django_rq
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from analytics import figures, pdf
from analytics.models import MonthlyReport
from core import files
from core.models import Notification
from core.notifications import notify
from practices.alerts import doctors_of, strategist_for
from practices.models import Practice

logger = logging.getLogger(__name__)


def enqueue_pdf(practice: Practice, month: date) -> None:
    django_rq.get_queue("default").enqueue(
        make_pdf, practice.pk, month.isoformat(), result_ttl=600, job_timeout=300
    )


def make_pdf(practice_id: int, month: str) -> str:
    """Make (or make again) a practice's report for a month; the stored file's name."""
    practice = Practice.objects.get(pk=practice_id)
    first = figures.month_start(date.fromisoformat(month))
    data = pdf.render(figures.report(practice, month=first))
    with files.files_removed_on_failure(), transaction.atomic():
        report = (
            MonthlyReport.objects.select_for_update().filter(practice=practice, month=first).first()
        )
        if report is None:
            report = MonthlyReport(practice=practice, month=first)
        old = report.pdf.name if report.pk else ""
        report.pdf.name = files.save_file(report.pdf, f"{practice.slug}-{first:%Y-%m}.pdf", data)
        report.save()
        # The storage reuses the old name when its file is gone (media lost, a restore
        # without it): that name is the new PDF's now, not one to delete.
        if old and old != report.pdf.name:
            files.delete_on_commit(report.pdf.storage, old)
    return str(report.pdf.name)


def send_monthly_reports(*, now: datetime | None = None) -> int:
    """From the first of each month: last month's report for every practice, made once
    and e-mailed to its doctors and its primary strategist (each once)."""
    now = now or timezone.now()
    sent = 0
    for practice in Practice.objects.all().order_by("pk"):
        today = now.astimezone(practice.zone).date()
        month = figures.add_months(figures.month_start(today), -1)
        if not MonthlyReport.objects.filter(practice=practice, month=month).exists():
            try:
                make_pdf(practice.pk, month.isoformat())
            except Exception:  # one practice's failure must not stop the others
                logger.exception("the %s report of practice %s failed", month, practice.pk)
                continue
        told = Notification.objects.filter(
            key__startswith=f"monthly-report:{practice.pk}:{month:%Y-%m}:"
        ).exists()
        if not told:
            sent += _tell(practice, month)
    return sent


def _tell(practice: Practice, month: date) -> int:
    found = figures.report(practice, month=month)
    totals = found.totals
    people = [*doctors_of(practice)]
    strategist = strategist_for(practice)
    if strategist is not None:
        people.append(strategist)
    told = 0
    for person in people:
        told += (
            notify(
                kind=Notification.Kind.MONTHLY_REPORT,
                to=person,
                practice=practice,
                message="monthly_report",
                context={
                    "practice": practice,
                    "month": month,
                    "totals": totals,
                    "rate": totals.engagement_rate,
                },
                link=reverse("monthly_report", args=[practice.slug, f"{month:%Y-%m}"]),
                key=f"monthly-report:{practice.pk}:{month:%Y-%m}:{person.pk}",
            )
            is not None
        )
    return told
