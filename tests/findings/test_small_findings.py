"""What trying every role found, the small items: each refused before its fix."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from analytics import figures
from analytics.models import MonthlyReport
from practices.models import SocialAccount
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_report_of_a_month_not_begun_is_not_found(
    client, strategist, practice, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(strategist)
    this_month = timezone.now().astimezone(practice.zone).date().replace(day=1)
    following = f"{figures.add_months(this_month, 1):%Y-%m}"
    # A PDF there is (made ahead, say): only the month's not having begun refuses it.
    MonthlyReport.objects.create(
        practice=practice,
        month=figures.add_months(this_month, 1),
        pdf=ContentFile(b"%PDF-1.4", name="ahead.pdf"),
    )
    for name in ("monthly_report", "monthly_report_csv", "monthly_report_pdf"):
        assert client.get(reverse(name, args=[practice.slug, following])).status_code == 404
    # The month under way and the ones before it are there; the month under way
    # offers no "Next month" (there is none yet), an earlier one does.
    now_page = client.get(reverse("monthly_report", args=[practice.slug, f"{this_month:%Y-%m}"]))
    assert now_page.status_code == 200
    assert reverse("monthly_report", args=[practice.slug, following]) not in now_page.text
    earlier = client.get(reverse("monthly_report", args=[practice.slug, "2026-01"]))
    assert earlier.status_code == 200 and "Next month" in earlier.text


def test_a_post_from_a_tip_starts_with_the_tips_authorization_ticked(
    client, strategist, practice, staff
):
    consent = factories.make_consent(practice)
    tip = factories.make_tip(practice, submitted_by=staff, features_patient=True, consent=consent)
    client.force_login(strategist)
    page = client.get(reverse("post_new"), {"tip": tip.pk}).content.decode()
    assert "The authorization that came with the tip (Maria G.) applies" in page
    (box,) = re.findall(rf'<input[^>]*name="consents"[^>]*value="{consent.pk}"[^>]*>', page)
    assert "checked" in box


def test_the_leads_navigation_leads_to_the_admin_and_the_jobs(client, lead, strategist):
    lead.is_superuser = lead.is_staff = True
    lead.save()
    client.force_login(lead)
    page = client.get(reverse("dashboard")).content.decode()
    assert f'<a href="{reverse("admin:index")}">Admin</a>' in page
    assert f'<a href="{reverse("django_rq:home")}">Jobs</a>' in page
    client.force_login(strategist)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Admin</a>" not in page and "Jobs</a>" not in page


def test_an_empty_account_filter_says_what_it_looked_for(client, strategist, practice):
    factories.make_account(practice, "facebook")
    client.force_login(strategist)
    status = SocialAccount.Status.NEEDS_RECONNECT
    page = client.get(reverse("accounts_overview"), {"status": status}).content.decode()
    assert "No accounts match “Needs reconnect”." in page
    assert "No accounts connected" not in page
    # Nonsense in the filter: every account, as if unfiltered.
    page = client.get(reverse("accounts_overview"), {"status": "nonsense"}).content.decode()
    assert "1 account." in page


def test_what_a_staff_members_tips_earned_is_labelled_on_a_phone(client, staff, practice):
    from practices.models import Membership

    Membership.objects.filter(user=staff).update(policy_confirmed_at=timezone.now())
    factories.make_tip(practice, submitted_by=staff)
    client.force_login(staff)
    page = client.get(reverse("staff_home")).content.decode()
    table = page[page.index("What your tips earned") :]
    assert '<table class="table labelled">' in table[:200]
    assert '<td data-label="Tips sent">1</td>' in table


def test_my_tips_shows_the_newest_first_ten_a_page(client, staff, practice):
    from posts.models import Tip
    from practices.models import Membership

    Membership.objects.filter(user=staff).update(policy_confirmed_at=timezone.now())
    for n in range(12):
        tip = factories.make_tip(practice, submitted_by=staff, text=f"Tip number {n:02d}")
        Tip.objects.filter(pk=tip.pk).update(created_at=timezone.now() - timedelta(hours=12 - n))
    client.force_login(staff)
    page = client.get(reverse("staff_home")).content.decode()
    shown = re.findall(r"Tip number (\d\d)", page)
    assert shown == [f"{n:02d}" for n in range(11, 1, -1)]
    assert "Older tips" in page
    older = client.get(reverse("staff_home"), {"page": 2}).content.decode()
    assert re.findall(r"Tip number (\d\d)", older) == ["01", "00"]


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("draft", "Planned for"),
        ("scheduled", "Goes out"),
        ("published", "Went out"),
        ("failed", "Was due"),
    ],
)
def test_a_posts_time_is_worded_by_where_it_stands(client, strategist, practice, status, words):
    from posts.models import Post

    post = factories.make_post(
        practice, status=status, scheduled_at=timezone.now() + timedelta(days=1)
    )
    client.force_login(strategist)
    for url in (post.get_absolute_url(), reverse("post_edit", args=[post.pk])):
        page = client.get(url).text
        assert f"{words} " in page and "Scheduled for" not in page and "Set for" not in page
    assert Post.objects.filter(pk=post.pk, status=status).exists()


def test_platforms_go_by_their_names_everywhere(client, strategist, practice):
    from posts.models import PostMedia

    accounts = [factories.make_account(practice, p) for p in ("linkedin", "google_business", "x")]
    post = factories.make_post(practice, targets=accounts, overrides={"x": "Short for X."})
    from posts.media import photos as media
    from tests import media_samples as samples

    asset = media.store_photo(practice=practice, upload=samples.photo(), by=strategist)
    PostMedia.objects.create(post=post, asset=asset, position=0)
    client.force_login(strategist)
    detail = client.get(post.get_absolute_url()).text
    assert "<h3>X</h3>" in detail and "<h3>x</h3>" not in detail
    editor = client.get(reverse("post_edit", args=[post.pk])).text
    assert "LinkedIn</label>" in editor and "Google Business Profile</label>" in editor
    assert "Linkedin" not in editor and "Google_Business" not in editor


def test_the_time_zone_picker_puts_the_common_zones_first_and_groups_the_rest(client, strategist):
    client.force_login(strategist)
    page = client.get(reverse("security")).text
    picker = page[page.index('name="time_zone"') :]
    picker = picker[: picker.index("</select>")]
    groups = re.findall(r'<optgroup label="([^"]+)">', picker)
    assert groups[0] == "Common" and "America" in groups and "Europe" in groups
    assert groups[1:] == sorted(groups[1:])
    first = picker[picker.index('<optgroup label="Common">') :]
    assert first.index("Eastern time (New York)") < first.index("Pacific time (Los Angeles)")
    assert (
        '<option value="America/Argentina/Buenos_Aires">Argentina, Buenos Aires</option>' in picker
    )
    client.post(reverse("time_zone"), {"time_zone": "America/Chicago"})
    strategist.refresh_from_db()
    assert strategist.time_zone == "America/Chicago"


def test_a_person_without_a_zone_reads_times_on_their_practices_clock(
    client, strategist, practice, lead
):
    assert strategist.time_zone == "" and practice.time_zone == "America/Chicago"
    client.force_login(strategist)
    page = client.get(reverse("notification_settings")).text
    assert "(America/Chicago)" in page and "(UTC)" not in page
    strategist.time_zone = "Europe/Lisbon"
    strategist.save()
    assert "(Europe/Lisbon)" in client.get(reverse("notification_settings")).text
    assert lead.own_zone() == "UTC"  # no practice of their own: the agency's clock
