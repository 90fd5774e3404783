"""Analytics: the arithmetic, the practice page, peers, best times, staff, the overview,
the monthly report and its CSV, and what a doctor may see."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics import figures, jobs, stats
from analytics.models import MonthlyReport
from posts.models import MetricSnapshot, MonthTotals, Post, Publication
from posts.rules import best_times
from tests import factories
from tests.publishing_support import sent_mail, work

pytestmark = pytest.mark.django_db


# -- the arithmetic ------------------------------------------------------------------------


def test_a_missing_reach_is_left_out_never_counted_as_zero():
    totals = stats.Totals()
    totals.add(1000, 50)
    totals.add(None, None)  # not reported yet
    totals.add(None, 7)  # engagements without reach are not a rate either
    assert totals.posts == 3 and totals.reported == 1
    assert totals.reach == 1000 and totals.engagements == 50
    assert totals.engagement_rate == 5.0
    assert totals.reach_per_post == 1000
    assert stats.Totals().engagement_rate is None and stats.Totals().reach_per_post is None


def test_one_engagement_rate_formula_for_pages_reports_and_the_csv():
    assert stats.engagement_rate(400, 20) == 5.0
    assert stats.engagement_rate(400, None) == 0.0  # reached, nobody engaged yet
    assert stats.engagement_rate(0, 3) is None  # nobody reached: no rate, not infinity
    assert stats.engagement_rate(None, 3) is None  # not reported yet


def test_the_peer_band_is_the_inclusive_quartiles_of_five_or_more_peers():
    assert stats.band([1.0, 2.0, 3.0, 4.0]).enough is False
    assert stats.band([1.0, 2.0, 3.0, 4.0, None, None]).peers == 4
    band = stats.band([5.0, 1.0, 4.0, 2.0, 3.0])
    assert band.enough and band.peers == 5
    assert (band.low, band.median, band.high) == (2.0, 3.0, 4.0)
    band = stats.band([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    assert (band.low, band.median, band.high) == (22.5, 35.0, 47.5)


def test_change_is_unknown_without_both_months():
    assert stats.change(150, 100) == 50.0
    assert stats.change(None, 100) is None
    assert stats.change(100, 0) is None


def test_best_times_need_three_posts_and_rank_by_mean_rate():
    grid = [[best_times.Cell() for _ in range(24)] for _ in range(7)]
    for rate in (4.0, 6.0, 5.0):
        grid[1][9].posts += 1
        grid[1][9].rate_sum += rate
    for rate in (9.0, 9.0):  # higher, but only two posts
        grid[3][12].posts += 1
        grid[3][12].rate_sum += rate
    for rate in (2.0, 2.0, 2.0, 2.0):
        grid[5][10].posts += 1
        grid[5][10].rate_sum += rate
    best = best_times.best(grid)
    assert [(day, hour) for day, hour, _ in best] == [(1, 9), (5, 10)]
    assert best[0][2].rate == 5.0 and best[0][2].posts == 3


# -- the figures from real rows -----------------------------------------------------------


def published(practice, account, at, *, reach, engagements, tip=None):
    post = factories.make_post(
        practice, targets=[account], status=Post.Status.PUBLISHED, scheduled_at=at, tip=tip
    )
    publication = Publication.objects.create(
        post=post,
        account=account,
        status=Publication.Status.PUBLISHED,
        published_at=at,
        reach=reach,
        engagements=engagements,
        metrics_at=at,
    )
    # As posts.publishing.metrics stores a reading: the snapshot, the latest numbers
    # above, and the month's totals worked out again.
    MetricSnapshot.objects.create(publication=publication, fetched_at=at, reach=reach)
    MonthTotals.recount_publications([publication.pk])
    return publication


def local(practice, days_ago, hour=10):
    now = timezone.now().astimezone(practice.zone)
    day = (now - timedelta(days=days_ago)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=practice.zone)


@pytest.fixture
def peers(practice):
    """Six other fertility practices with a post each this month: rates 1% to 6%."""
    made = []
    for n in range(6):
        peer = factories.make_practice(f"Peer {n}", specialty=practice.specialty)
        account = factories.make_account(peer, "facebook")
        published(peer, account, local(peer, 0, hour=1), reach=1000, engagements=10 * (n + 1))
        made.append(peer)
    return made


def test_the_practice_is_compared_with_its_peers_band(practice, peers, other_practice):
    # Another specialty is no peer, however it does.
    published(
        other_practice,
        factories.make_account(other_practice, "facebook"),
        local(other_practice, 0, hour=1),
        reach=1000,
        engagements=900,
    )
    account = factories.make_account(practice, "facebook")
    published(practice, account, local(practice, 0, hour=1), reach=2000, engagements=100)
    published(practice, account, local(practice, 0, hour=2), reach=None, engagements=None)
    today = timezone.now().astimezone(practice.zone).date()
    found = figures.practice_figures(practice, today=today, month_count=3)
    line = found.this_month
    assert line.totals.posts == 2 and line.totals.reported == 1
    assert line.totals.engagement_rate == 5.0
    assert found.unreported == 1
    band = line.rate_band
    assert band.enough and band.peers == 6
    assert (band.low, band.median, band.high) == (2.25, 3.5, 4.75)


def test_with_fewer_than_five_peers_the_page_says_so(client, practice, strategist, peers):
    # Their posts deleted (their month totals are worked out again).
    for peer in peers[:2]:
        Post.objects.filter(practice=peer).delete()
    client.force_login(strategist)
    body = client.get(reverse("practice_analytics", args=[practice.slug])).content.decode()
    assert "fewer than five peers with posts (4)" in body


def test_a_doctor_sees_the_band_but_never_another_practices_name_or_numbers(
    client, practice, doctor, peers, other_practice
):
    account = factories.make_account(practice, "facebook")
    published(practice, account, local(practice, 0, hour=1), reach=2000, engagements=100)
    other_account = factories.make_account(other_practice, "facebook")
    published(other_practice, other_account, local(other_practice, 0), reach=777777, engagements=1)
    client.force_login(doctor)
    month = f"{timezone.now().astimezone(practice.zone):%Y-%m}"
    pages = [
        client.get(reverse("practice_analytics", args=[practice.slug])),
        client.get(reverse("monthly_report", args=[practice.slug, month])),
        client.get(reverse("monthly_report_csv", args=[practice.slug, month])),
    ]
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        for peer in [*peers, other_practice]:
            assert peer.name not in body
        assert "777777" not in body and "77777" not in body
    assert "2000" in pages[2].content.decode()
    # Another practice's analytics: not theirs.
    assert client.get(reverse("practice_analytics", args=[other_practice.slug])).status_code == 404
    assert client.get(reverse("agency_overview")).status_code == 403
    # Read-only: the doctor does not make PDFs (the agency and the monthly run do).
    make = reverse("monthly_report_pdf_make", args=[practice.slug, month])
    assert client.post(make).status_code == 403
    assert "Make a PDF" not in pages[1].content.decode()


def test_staff_see_no_analytics(client, practice, staff):
    client.force_login(staff)
    assert client.get(reverse("practice_analytics", args=[practice.slug])).status_code == 403


def test_best_times_on_the_practices_own_clock(practice):
    account = factories.make_account(practice, "facebook")
    for days in (7, 14, 21):
        published(practice, account, local(practice, days, hour=9), reach=100, engagements=8)
    today = timezone.now().astimezone(practice.zone).date()
    found = figures.practice_figures(practice, today=today)
    (day, hour, cell), *_ = found.best
    assert hour == 9 and cell.posts == 3 and cell.rate == 8.0
    assert day == local(practice, 7, hour=9).weekday()


def test_staff_recognition_counts_tips_posts_and_reach(practice, staff, strategist):
    account = factories.make_account(practice, "facebook")
    posted = factories.make_tip(practice, submitted_by=staff)
    factories.make_tip(practice, submitted_by=staff)  # not (yet) a post
    published(practice, account, local(practice, 0, hour=1), reach=1234, engagements=5, tip=posted)
    today = timezone.now().astimezone(practice.zone).date()
    (line,) = figures.practice_figures(practice, today=today).staff
    assert (line.name, line.tips, line.posted, line.reach) == (str(staff), 2, 1, 1234)


def test_the_report_csv_has_a_line_per_publication_with_missing_left_blank(
    client, practice, strategist
):
    account = factories.make_account(practice, "facebook")
    published(practice, account, local(practice, 0, hour=1), reach=400, engagements=20)
    published(practice, account, local(practice, 0, hour=2), reach=None, engagements=None)
    client.force_login(strategist)
    month = f"{timezone.now().astimezone(practice.zone):%Y-%m}"
    response = client.get(reverse("monthly_report_csv", args=[practice.slug, month]))
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0][4:] == ["reach", "engagements", "engagement rate %"]
    assert [line[4:] for line in lines[1:]] == [["400", "20", "5.00"], ["", "", ""]]
    assert client.get(reverse("monthly_report", args=[practice.slug, "2026-13"])).status_code == 404
    assert client.get(reverse("monthly_report", args=[practice.slug, "soon"])).status_code == 404


def test_the_overview_is_the_leads_and_sorts(client, lead, strategist, practice, other_practice):
    published(
        other_practice,
        factories.make_account(other_practice, "facebook"),
        local(other_practice, 0, hour=1),
        reach=5000,
        engagements=50,
    )
    client.force_login(strategist)
    assert client.get(reverse("agency_overview")).status_code == 403
    client.force_login(lead)
    body = client.get(reverse("agency_overview") + "?sort=reach").content.decode()
    assert body.index(other_practice.name) < body.index(practice.name)
    body = client.get(reverse("agency_overview") + "?sort=name").content.decode()
    assert body.index(practice.name) > body.index(other_practice.name)  # Harbor < Lakeside
    assert client.get(reverse("agency_overview") + "?sort=nonsense").status_code == 200


def test_the_overview_sorts_every_practice_and_shows_a_page_of_them(
    client, lead, practice, other_practice, monkeypatch
):
    monkeypatch.setattr("analytics.views.OVERVIEW_PER_PAGE", 2)
    zeta = factories.make_practice("Zeta Orthopedics")
    for reached, reach in ((zeta, 9000), (practice, 10)):
        account = factories.make_account(reached, "facebook")
        published(reached, account, local(reached, 0, hour=1), reach=reach, engagements=1)
    client.force_login(lead)
    first = client.get(reverse("agency_overview") + "?sort=reach").content.decode()
    # Last by name, first by reach: sorted over all practices before the page is cut.
    assert zeta.name in first and practice.name in first and other_practice.name not in first
    assert first.index(zeta.name) < first.index(practice.name)
    assert "3 practices, page 1 of 2" in first
    assert "?sort=reach&amp;page=2" in first
    second = client.get(reverse("agency_overview") + "?sort=reach&page=2").content.decode()
    assert other_practice.name in second and zeta.name not in second


def test_the_pages_keep_a_fixed_number_of_queries(client, strategist, practice, peers):
    account = factories.make_account(practice, "facebook")
    month = f"{timezone.now().astimezone(practice.zone):%Y-%m}"
    client.force_login(strategist)
    counts = {}
    for rounds in (1, 5):
        for n in range(rounds):
            published(practice, account, local(practice, n, hour=3), reach=100, engagements=3)
        for name, url in (
            ("page", reverse("practice_analytics", args=[practice.slug])),
            ("report", reverse("monthly_report", args=[practice.slug, month])),
        ):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.setdefault(name, []).append(len(captured.captured_queries))
    assert counts["page"][0] == counts["page"][1] <= 15
    assert counts["report"][0] == counts["report"][1] <= 15


def test_staff_see_what_their_own_tips_earned_on_my_tips(client, practice, staff, other_staff):
    account = factories.make_account(practice, "facebook")
    tip = factories.make_tip(practice, submitted_by=staff)
    factories.make_tip(practice, submitted_by=staff)
    published(practice, account, local(practice, 0, hour=1), reach=4321, engagements=9, tip=tip)
    from practices.models import Membership

    Membership.objects.filter(user=staff).update(policy_confirmed_at=timezone.now())
    client.force_login(staff)
    body = client.get(reverse("staff_home")).content.decode()
    assert "What your tips earned" in body
    row = body[body.index("What your tips earned") :]
    assert '<td data-label="Tips sent">2</td>' in row
    assert '<td data-label="Published">1</td>' in row
    assert '<td data-label="People reached">4321</td>' in row


# -- the PDF and the monthly e-mail -------------------------------------------------------


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    # Words as the reader finds them, whatever the lines and spacing.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_worker_makes_the_pdf_with_the_pages_figures_and_no_peer(
    client, practice, doctor, peers, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.AGENCY_NAME = "Bright Health Marketing"
    account = factories.make_account(practice, "facebook")
    published(practice, account, local(practice, 0, hour=1), reach=2000, engagements=100)
    month = timezone.now().astimezone(practice.zone).date().replace(day=1)
    name = jobs.make_pdf(practice.pk, month.isoformat())
    report = MonthlyReport.objects.get(practice=practice, month=month)
    assert report.pdf.name == name
    data = report.pdf.read()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert practice.name in text and "Bright Health Marketing" in text
    assert "2,000" in text and "5.00%" in text
    assert "2.25% – 4.75% (median 3.50%, 6 practices)" in text
    # It opens with the month in words, and carries the page's charts.
    assert "published 1 post that reached 2,000 people" in text
    assert "the peers' median: 3.50%" in text
    assert "Reach per month" in text and "Engagement rate against peers" in text
    for peer in peers:
        assert peer.name not in text
    # Made again: one report, the new file.
    jobs.make_pdf(practice.pk, month.isoformat())
    assert MonthlyReport.objects.filter(practice=practice).count() == 1
    # Served to the practice's doctor; not to another practice's.
    client.force_login(doctor)
    url = reverse("monthly_report_pdf", args=[practice.slug, f"{month:%Y-%m}"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    client.force_login(factories.make_member(peers[0], "doctor", "peer_doctor"))
    assert client.get(url).status_code == 404


def test_asking_for_a_pdf_enqueues_it_for_a_worker(
    client, strategist, practice, redis_db, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    month = f"{timezone.now().astimezone(practice.zone):%Y-%m}"
    client.force_login(strategist)
    assert client.get(reverse("monthly_report_pdf", args=[practice.slug, month])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("monthly_report_pdf_make", args=[practice.slug, month]))
    assert not MonthlyReport.objects.exists()  # not made in the request
    work("default")
    assert MonthlyReport.objects.filter(practice=practice).exists()
    page = client.get(reverse("monthly_report", args=[practice.slug, month])).content.decode()
    assert reverse("monthly_report_pdf", args=[practice.slug, month]) in page


def test_on_the_first_the_doctors_and_the_strategist_get_last_months_report_once(
    practice, doctor, strategist, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    account = factories.make_account(practice, "facebook")
    published(practice, account, local(practice, 40, hour=1), reach=300, engagements=9)
    now = timezone.now()
    assert jobs.send_monthly_reports(now=now) == 2
    assert jobs.send_monthly_reports(now=now) == 0
    messages = sent_mail()
    assert sorted(m.to[0] for m in messages) == sorted([doctor.email, strategist.email])
    last_month = figures.add_months(now.astimezone(practice.zone).date().replace(day=1), -1)
    assert f"{last_month:%B %Y}" in messages[0].subject
    assert (
        reverse("monthly_report", args=[practice.slug, f"{last_month:%Y-%m}"]) in messages[0].body
    )


def test_the_editor_suggests_the_next_best_time_from_the_practices_history(
    client, strategist, practice, other_strategist
):
    account = factories.make_account(practice, "facebook")
    for days in (7, 14, 21):
        published(practice, account, local(practice, days, hour=9), reach=100, engagements=9)
    for days in (8, 15, 22):
        published(practice, account, local(practice, days, hour=16), reach=100, engagements=2)
    suggestion = best_times.next_good_time(practice)
    assert suggestion is not None
    assert (suggestion.hour, suggestion.posts, suggestion.rate) == (9, 3, 9.0)
    assert suggestion.weekday == local(practice, 7, hour=9).weekday()
    assert suggestion.at > timezone.now() and suggestion.at.astimezone(practice.zone).hour == 9
    client.force_login(strategist)
    body = client.get(reverse("best_time", args=[practice.slug])).content.decode()
    assert "Use this time" in body and "9.00% engagement over 3 posts" in body
    client.force_login(other_strategist)
    assert client.get(reverse("best_time", args=[practice.slug])).status_code == 404


def test_without_enough_history_no_time_is_suggested(client, strategist, practice):
    account = factories.make_account(practice, "facebook")
    published(practice, account, local(practice, 7, hour=9), reach=100, engagements=9)
    assert best_times.next_good_time(practice) is None
    client.force_login(strategist)
    body = client.get(reverse("best_time", args=[practice.slug])).content.decode()
    assert "Not enough" in body


def test_a_week_counts_in_the_month_it_ends_in_and_one_under_way_is_not_missed(
    client, strategist, practice
):
    from datetime import date

    account = factories.make_account(practice, "facebook")
    zone = practice.zone
    # Monday 30 November 2026 to Sunday 6 December: December's week.
    for day in (30, 1, 2):
        month = 11 if day == 30 else 12
        at = datetime(2026, month, day, 10, tzinfo=zone)
        published(practice, account, at, reach=100, engagements=1)
    november = figures.report(practice, month=date(2026, 11, 1), today=date(2026, 12, 20))
    assert [week.start for week in november.weeks][-1] == date(2026, 11, 23)
    assert all(week.end.month == 11 for week in november.weeks)
    december = figures.report(practice, month=date(2026, 12, 1), today=date(2026, 12, 20))
    first = december.weeks[0]
    assert (first.start, first.posts) == (date(2026, 11, 30), 3)
    # This week, on the practice page, is under way: neither met nor missed.
    page_weeks = figures.goal_weeks(practice, today=timezone.now().astimezone(zone).date())
    assert page_weeks[-1].under_way and not any(w.under_way for w in page_weeks[:-1])
    client.force_login(strategist)
    page = client.get(reverse("practice_analytics", args=[practice.slug])).text
    assert "<td>Under way</td>" in page


def test_the_charts_start_at_the_first_month_with_figures_and_mark_this_one(
    client, strategist, practice
):
    account = factories.make_account(practice, "facebook")
    published(practice, account, local(practice, 0, hour=1), reach=300, engagements=9)
    published(practice, account, local(practice, 40, hour=1), reach=900, engagements=9)
    client.force_login(strategist)
    page = client.get(reverse("practice_analytics", args=[practice.slug])).text
    reach = page[page.index("Reach per month for") :]
    reach = reach[: reach.index("</svg>")]
    this_month = timezone.now().astimezone(practice.zone).date()
    start = figures.month_start(local(practice, 40, hour=1).date())
    labels = re.findall(r'y="228"[^>]*>([^<]+)</text>', reach)
    assert labels[-1] == f"{this_month:%b} so far"
    assert labels[0] == figures.label(start) and len(labels) <= 3
    # The tables still give every month.
    assert page.count('<th scope="col">') >= 12


def test_the_overview_compares_this_month_so_far_with_the_same_days_before(client, lead, practice):
    from datetime import date

    account = factories.make_account(practice, "facebook")
    zone = practice.zone
    for day, reach in (
        (date(2026, 11, 3), 400),
        (date(2026, 11, 20), 5000),
        (date(2026, 12, 2), 600),
    ):
        at = datetime(day.year, day.month, day.day, 10, tzinfo=zone)
        published(practice, account, at, reach=reach, engagements=4)
    (line,) = [
        line
        for line in figures.overview([practice], today=date(2026, 12, 7))
        if line.practice == practice
    ]
    # 1-7 December against 1-7 November: 600 against 400, not against all of November.
    assert (line.now.reach, line.before.reach) == (600, 400)
    assert line.reach_change == 50.0
    # On 31 December, the same days of November are all of November.
    assert figures.same_days_before([practice], today=date(2026, 12, 31))[practice.pk].reach == 5400
    client.force_login(lead)
    page = client.get(reverse("agency_overview")).text
    assert "the same days of last month" in page


def test_the_pdf_shows_the_top_posts_photo_and_fetches_nothing_else(
    practice, strategist, settings, tmp_path
):
    from pathlib import Path

    from analytics import pdf
    from posts.media import photos as media
    from posts.models import PostMedia
    from tests import ROOT
    from tests import media_samples as samples

    settings.MEDIA_ROOT = str(tmp_path)
    account = factories.make_account(practice, "facebook")
    publication = published(
        practice, account, local(practice, 0, hour=1), reach=12400, engagements=300
    )
    asset = media.store_photo(practice=practice, upload=samples.photo(), by=strategist)
    PostMedia.objects.create(post=publication.post, asset=asset, position=0)
    month = timezone.now().astimezone(practice.zone).date().replace(day=1)
    data = pdf.render(figures.report(practice, month=month))
    reader = pypdf.PdfReader(io.BytesIO(data))
    # The top post's photo: one image in the document (read from its objects, not
    # decoded: decoding here would loosen the photo code's own guard).
    images = {
        item.idnum
        for page in reader.pages
        for item in (page["/Resources"].get("/XObject") or {}).values()
        if item.get_object().get("/Subtype") == "/Image"
    }
    assert len(images) == 1
    # Drawing it left PIL as the photo code needs it: a truncated photo is refused.
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert "12,400" in pdf_text(data)
    # Kept as an artefact of the run, to look at.
    artefacts = ROOT / "test-artifacts" / "report"
    artefacts.mkdir(parents=True, exist_ok=True)
    (artefacts / "monthly-report.pdf").write_bytes(data)
    # Nothing but our own photos and fonts: no address on the network, no other file.
    fetcher = pdf.own_files_only()
    for url in ("https://example.com/logo.png", "file:///etc/passwd", "rounds-media:999999"):
        with pytest.raises(pdf.RefusedAddress):
            fetcher.fetch(url)
    assert Path(pdf.FONTS / "DejaVuSans.ttf").exists()
