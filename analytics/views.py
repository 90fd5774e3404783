"""The analytics pages: a practice's numbers, the agency overview, the monthly report.

Strategists and the lead see their practices; a practice's doctors see its
page and its reports read-only. Other practices appear only as a peer band
(percentiles of five or more practices), never by name or number.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from analytics import figures, jobs, pdf, periods, series, stats
from analytics.forms import PeriodForm
from analytics.models import MonthlyReport
from core.http import AuthenticatedHttpRequest
from engagement.figures import conversation_figures
from practices import access
from practices.models import Practice
from practices.templatetags.platforms import platform_name

READERS = frozenset({access.LEAD, access.STRATEGIST, access.DOCTOR})
OVERVIEW_PER_PAGE = 50
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _practice(request: AuthenticatedHttpRequest, slug: str) -> Practice:
    return access.get_practice_for_user(request.user, slug, roles=READERS)


@require_GET
@login_required
def practice_analytics(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    practice = _practice(request, slug)
    today = timezone.now().astimezone(practice.zone).date()
    found = figures.practice_figures(practice, today=today)
    drawn = series.practice_charts(practice, found)
    # The month so far, and the reviews' stars over the page's months.
    talk = conversation_figures(
        practice,
        *figures.day_bounds(practice, found.this_month.month, today),
        months=figures.month_bounds(practice, [line.month for line in found.months]),
    )
    return render(
        request,
        "analytics/practice.html",
        {
            "practice": practice,
            "found": found,
            "charts": drawn,
            # The tables keep every month (the charts start at the first with data).
            "month_labels": [line.label for line in found.months],
            "kinds": [
                (figures.KIND_LABELS.get(kind, kind), totals)
                for kind, totals in found.by_kind.items()
            ],
            "grid": [(WEEKDAYS[day], row) for day, row in enumerate(found.grid)],
            "best": [(WEEKDAYS[day], hour, cell) for day, hour, cell in found.best],
            "hours": range(24),
            "is_agency": request.user.is_agency,
            "report_month": found.this_month.month,
            "last_report_month": figures.add_months(found.this_month.month, -1),
            "picker": PeriodForm(practice=practice, today=today),
            "talk": talk,
        },
    )


@require_GET
@login_required
def agency_overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require_agency_lead(request.user)
    sort = request.GET.get("sort", "name")
    if sort not in figures.SORTS:
        sort = "name"
    practices = list(access.practices_visible_to(request.user).order_by("name"))
    today = timezone.localdate()
    # Every practice is added up (one row per practice and month) so that the
    # sort is over all of them; a page of them is shown.
    lines = figures.overview(practices, today=today, sort=sort)
    return render(
        request,
        "analytics/overview.html",
        {
            "page": Paginator(lines, OVERVIEW_PER_PAGE).get_page(request.GET.get("page")),
            "sort": sort,
            "month": figures.month_start(today),
            "today": today,
            "last_month": figures.add_months(figures.month_start(today), -1),
            "last_month_through": min(
                figures.add_months(figures.month_start(today), -1) + timedelta(days=today.day - 1),
                figures.month_start(today) - timedelta(days=1),
            ),
        },
    )


def _today(practice: Practice) -> date:
    return timezone.now().astimezone(practice.zone).date()


def _period(value: str, practice: Practice) -> periods.Period:
    """The period a URL names, if it has begun on the practice's clock (404 if not)."""
    try:
        period = periods.parse(value)
    except periods.BadPeriod as exc:
        raise Http404(str(exc)) from None
    if period.first > _today(practice):
        raise Http404("That period has not begun yet.")
    return period


def _month(value: str, practice: Practice) -> date:
    """The month named YYYY-MM, if it has begun (a PDF is made for a month only)."""
    period = _period(value, practice)
    if period.kind != periods.MONTH:
        raise Http404("PDFs are made for months; print the page for another period.")
    return period.first


@require_GET
@login_required
def monthly_report(request: AuthenticatedHttpRequest, slug: str, month: str) -> HttpResponse:
    """The report of a month, a quarter or a range (`month` names the period)."""
    practice = _practice(request, slug)
    period = _period(month, practice)
    if month != period.slug:  # one address per period ("2026-q4" is "2026-Q4")
        return redirect("monthly_report", slug=slug, month=period.slug)
    today = _today(practice)
    found = figures.report(practice, period=period, today=today)
    following = period.after()
    previous = period.before()
    return render(
        request,
        "analytics/report.html",
        {
            **pdf.report_context(found, today=today),
            "made": (
                MonthlyReport.objects.filter(practice=practice, month=period.first).first()
                if period.kind == periods.MONTH
                else None
            ),
            "is_agency": request.user.is_agency,
            # No link to a period before the first reports can have.
            "previous": previous if previous.first >= periods.EARLIEST else None,
            # No link to a period not begun (it has no report).
            "following": following if following.first <= today else None,
            "picker": PeriodForm(practice=practice, today=today, initial=PeriodForm.shown(period)),
        },
    )


@require_GET
@login_required
def report_choose(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The period picker's answer: the report of the period chosen, or the picker again
    with what is wrong."""
    practice = _practice(request, slug)
    today = _today(practice)
    form = PeriodForm(request.GET, practice=practice, today=today)
    if form.is_valid():
        return redirect("monthly_report", slug=slug, month=form.cleaned_data["period"].slug)
    return render(
        request, "analytics/report_choose.html", {"practice": practice, "picker": form}, status=400
    )


@require_GET
@login_required
def monthly_report_pdf(request: AuthenticatedHttpRequest, slug: str, month: str) -> FileResponse:
    practice = _practice(request, slug)
    report = MonthlyReport.objects.filter(practice=practice, month=_month(month, practice)).first()
    if report is None or not report.pdf:
        raise Http404("This month's PDF has not been made yet.")
    response = FileResponse(report.pdf.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{practice.slug}-{month}.pdf"'
    return response


@require_POST
@login_required
def monthly_report_pdf_make(
    request: AuthenticatedHttpRequest, slug: str, month: str
) -> HttpResponseRedirect:
    """Ask a worker to make (or make again) the month's PDF (the agency; doctors read)."""
    practice = access.get_practice_for_user(request.user, slug)
    first = _month(month, practice)
    jobs.enqueue_pdf(practice, first)
    messages.success(request, "The PDF is being made: it is ready in a moment (reload the page).")
    return redirect("monthly_report", slug=slug, month=month)


@require_GET
@login_required
def monthly_report_csv(request: AuthenticatedHttpRequest, slug: str, month: str) -> HttpResponse:
    """The numbers behind the report: one line per publication of the month."""
    practice = _practice(request, slug)
    period = _period(month, practice)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{practice.slug}-{period.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "published (practice time)",
            "post",
            "platform",
            "kind",
            "reach",
            "engagements",
            "engagement rate %",
        ]
    )
    for row in figures.report_rows(practice, period=period):
        rate = stats.engagement_rate(row.reach, row.engagements)
        writer.writerow(
            [
                f"{row.local:%Y-%m-%d %H:%M}",
                row.post_id,
                platform_name(row.platform),
                figures.KIND_LABELS.get(row.kind, row.kind),
                "" if row.reach is None else row.reach,
                "" if row.engagements is None else row.engagements,
                "" if rate is None else f"{rate:.2f}",
            ]
        )
    return response
