"""The monthly report as a PDF: the report page's own body (its summary, charts and
tables) printed by WeasyPrint, made by a worker (analytics.jobs).

The PDF reads nothing from the network: its fonts are the vendored DejaVu
(any name prints), its photos and the practice's logo come from our own storage under schemes
of our own (rounds-media:<asset id>, rounds-logo:<practice id>), and any other address is refused.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from PIL import ImageFile

from analytics import figures, periods, series
from posts.media import photos as media
from posts.models import MediaAsset
from practices.models import Practice

FONTS = Path(__file__).resolve().parent / "fonts"
MEDIA_SCHEME = "rounds-media:"
LOGO_SCHEME = "rounds-logo:"


class RefusedAddress(ValueError):
    """The PDF asked for something that is not ours to give it."""


def report_context(report: figures.Report, *, today: date) -> dict[str, Any]:
    """What the report's body needs, for the page and the PDF alike."""
    period = report.period
    return {
        "report": report,
        "practice": report.practice,
        "report_charts": series.report_charts(report, today=today),
        "agency": settings.AGENCY_NAME,
        "under_way": period.under_way(today),
        "period_word": PERIOD_WORDS[period.kind],
        "in_words": in_words(period),
    }


PERIOD_WORDS = {periods.MONTH: "month", periods.QUARTER: "quarter", periods.RANGE: "period"}


def in_words(period: periods.Period) -> str:
    """When, after "published": "in November", "in Q4 2026", "from 3 Oct to 20 Nov 2026"."""
    if period.kind == periods.MONTH:
        return f"in {period.first:%B}"
    if period.kind == periods.QUARTER:
        return f"in {period.label}"
    if period.first.year == period.last.year:
        return f"from {period.first:%-d %b} to {period.last:%-d %b %Y}"
    return f"from {period.first:%-d %b %Y} to {period.last:%-d %b %Y}"


def render(report: figures.Report) -> bytes:
    """The report's PDF, letter-sized, the practice's name and the agency's on each page."""
    today = timezone.now().astimezone(report.practice.zone).date()
    html = render_to_string(
        "analytics/report_pdf.html",
        {**report_context(report, today=today), "pdf": True, "fonts": FONTS.as_uri()},
    )
    try:
        from weasyprint import HTML

        document = HTML(string=html, url_fetcher=own_files_only(), base_url=FONTS.as_uri() + "/")
        return bytes(document.write_pdf())
    finally:
        # WeasyPrint turns on PIL's LOAD_TRUNCATED_IMAGES for the whole process when
        # it loads; the photo code refuses a truncated photo and checks the flag
        # (imaging), so the worker is set back before it cleans another photo.
        ImageFile.LOAD_TRUNCATED_IMAGES = False


def own_files_only() -> Any:
    """WeasyPrint's fetcher, for a photo of ours or a vendored font; nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OwnFilesOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith(MEDIA_SCHEME):
                data, content_type = photo(url.removeprefix(MEDIA_SCHEME))
                return URLFetcherResponse(url, data, {"Content-Type": content_type})
            if url.startswith(LOGO_SCHEME):
                return URLFetcherResponse(
                    url, logo(url.removeprefix(LOGO_SCHEME)), {"Content-Type": "image/png"}
                )
            if url.startswith("file:"):
                path = Path(url.removeprefix("file://")).resolve()
                if path.parent == FONTS and path.suffix == ".ttf":
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": "font/ttf"})
            raise RefusedAddress(url)

    return OwnFilesOnly()


def logo(practice_id: str) -> bytes:
    """A practice's logo (a small PNG, practices.branding) from our storage."""
    practice = Practice.objects.filter(pk=int(practice_id) if practice_id.isdigit() else 0).first()
    if practice is None or not practice.logo:
        raise RefusedAddress(f"{LOGO_SCHEME}{practice_id}")
    with practice.logo.open("rb") as handle:
        return bytes(handle.read())


def photo(asset_id: str) -> tuple[bytes, str]:
    """A photo's thumbnail from our storage, and its type."""
    asset = MediaAsset.objects.filter(pk=int(asset_id) if asset_id.isdigit() else 0).first()
    if asset is None:
        raise RefusedAddress(f"{MEDIA_SCHEME}{asset_id}")
    variant = media.variant_for(asset, media.THUMBNAIL)
    with variant.file.open("rb") as handle:
        data = handle.read()
    return data, media.variant_content_type(variant.file.name or "")
