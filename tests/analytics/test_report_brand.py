"""The monthly report carries the practice's brand (its logo and colour), and a PDF made
again after its file was lost is kept."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from analytics import figures, jobs, pdf
from analytics.models import MonthlyReport
from practices.branding import clean_logo
from tests import media_samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def branded(practice, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    logo = clean_logo(media_samples.upload("logo.png", media_samples.png_bytes(900, 300)))
    practice.logo.save("logo.png", logo, save=False)
    practice.brand_colour = "#aa3366"
    practice.save()
    return practice


def test_the_pdf_opens_with_the_practices_logo_in_its_colour(branded):
    month = timezone.now().astimezone(branded.zone).date().replace(day=1)
    jobs.make_pdf(branded.pk, month.isoformat())
    data = MonthlyReport.objects.get(practice=branded, month=month).pdf.read()
    first = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    # The logo is the one picture of a month without posts, at its own size.
    (image,) = first.images
    assert image.image.size == (600, 200)
    html = render_to_string(
        "analytics/report_pdf.html",
        {
            **pdf.report_context(figures.report(branded, month=month), today=month),
            "pdf": True,
            "fonts": pdf.FONTS.as_uri(),
        },
    )
    assert f'src="{pdf.LOGO_SCHEME}{branded.pk}"' in html
    assert "border-bottom: 2pt solid #aa3366" in html


def test_a_practice_without_a_logo_prints_none(practice, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    month = timezone.now().astimezone(practice.zone).date().replace(day=1)
    jobs.make_pdf(practice.pk, month.isoformat())
    data = MonthlyReport.objects.get(practice=practice, month=month).pdf.read()
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages[0].images) == 0
    with pytest.raises(pdf.RefusedAddress):
        pdf.logo(str(practice.pk))


def test_a_pdf_made_again_after_its_file_was_lost_is_kept(
    practice, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    month = timezone.now().astimezone(practice.zone).date().replace(day=1)
    first = jobs.make_pdf(practice.pk, month.isoformat())
    (tmp_path / first).unlink()  # media lost, or restored without it
    with django_capture_on_commit_callbacks(execute=True):
        again = jobs.make_pdf(practice.pk, month.isoformat())
    report = MonthlyReport.objects.get(practice=practice, month=month)
    assert report.pdf.name == again
    assert (tmp_path / again).read_bytes().startswith(b"%PDF")
    # Made again with the old file there: the old one goes, the new one stays.
    with django_capture_on_commit_callbacks(execute=True):
        third = jobs.make_pdf(practice.pk, month.isoformat())
    assert third != again
    assert not (tmp_path / again).exists() and (tmp_path / third).exists()
