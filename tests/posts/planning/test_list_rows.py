"""The long lists' rows, written by templates from values: every value escaped, the facts shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.text import Truncator

from core.row_urls import url_template
from posts.models import Post, Publication, Tip
from practices.models import PatientConsent
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def hostile_practice(practice):
    practice.name = f"Clinic {HOSTILE}"
    practice.save(update_fields=["name"])
    return practice


def assert_escaped(page: str) -> None:
    assert "<script>" not in page
    assert ESCAPED in page


def test_the_accounts_page_escapes_every_value(client, lead, hostile_practice):
    factories.make_account(
        hostile_practice,
        "instagram",
        display_name=f"Page {HOSTILE}",
        status="needs_reconnect",
        status_detail=f"Refused: {HOSTILE}",
    )
    client.force_login(lead)
    page = client.get(reverse("accounts_overview")).text
    assert_escaped(page)
    assert page.count(ESCAPED) == 3  # the practice, the account, why it needs a person
    # The lead's buttons post to the account's own addresses, with the form token.
    slug = hostile_practice.slug
    assert f'action="/practices/{slug}/connect/instagram/"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    detail = client.get(reverse("practice_detail", args=[slug])).text
    assert "<script>" not in detail and f"Page {ESCAPED}" in detail


def test_the_authorizations_list_escapes_and_says_what_each_allows(
    client, strategist, hostile_practice
):
    consent = factories.make_consent(
        hostile_practice,
        patient_label=f"Maria {HOSTILE}",
        signer_name=f"Ana {HOSTILE}",
        signer=PatientConsent.Signer.GUARDIAN,
        uses=["photo", "testimonial"],
        platforms=["instagram", "google_business"],
    )
    client.force_login(strategist)
    page = client.get(reverse("consent_list", args=[hostile_practice.slug])).text
    assert_escaped(page)
    assert f"<td>{consent.use_labels}</td><td>{consent.platform_labels}</td>" in page
    assert "(guardian)" in page
    assert f"/practices/{hostile_practice.slug}/consents/{consent.pk}/" in page
    assert date_format(consent.expires_at.astimezone(hostile_practice.zone), "j M Y") in page


def test_the_tip_inbox_escapes_and_shows_each_tip(client, strategist, hostile_practice):
    consent = factories.make_consent(hostile_practice, patient_label=f"Maria {HOSTILE}")
    sender = factories.make_member(hostile_practice, "staff", username="jo")
    sender.first_name = f"Jo {HOSTILE}"
    sender.save(update_fields=["first_name"])
    long_text = f"{HOSTILE} " + "long " * 60
    factories.make_tip(
        hostile_practice,
        submitted_by=sender,
        text=long_text,
        features_patient=True,
        consent=consent,
    )
    factories.make_tip(
        hostile_practice,
        submitter_name=f"By link {HOSTILE}",
        via_link=True,
        status=Tip.Status.DECLINED,
        decline_reason=f"Blurry {HOSTILE}",
    )
    client.force_login(strategist)
    page = client.get(reverse("tip_inbox", args=[hostile_practice.slug])).text
    assert_escaped(page)
    for shown in (
        f"Patient: Maria {ESCAPED}",
        f"From Jo {ESCAPED}",  # the staff member's full name
        f"From By link {ESCAPED} (tip link)",
        f"Declined: Blurry {ESCAPED}",
        "Draft a post from this tip",  # the new tip only
    ):
        assert shown in page
    assert page.count("Draft a post from this tip") == 1
    # The excerpt is cut as the truncatechars filter cuts it.
    assert f'<p class="excerpt">{escape(Truncator(long_text).chars(220))}</p>' in page


def test_the_post_list_escapes_and_says_what_needs_a_person(client, strategist, hostile_practice):
    author = factories.make_user("author", first_name=f"Sam {HOSTILE}")
    account = factories.make_account(hostile_practice, "linkedin")
    at = datetime(2027, 3, 14, 15, 30, tzinfo=UTC)
    post = factories.make_post(
        hostile_practice,
        author=author,
        title=f"Title {HOSTILE}",
        caption=f"Caption {HOSTILE}",
        targets=[account],
        status=Post.Status.FAILED,
        scheduled_at=at,
    )
    Publication.objects.create(post=post, account=account, status=Publication.Status.FAILED)
    client.force_login(strategist)
    for url in (reverse("post_list"), reverse("practice_post_list", args=[hostile_practice.slug])):
        page = client.get(url).text
        assert_escaped(page)
        assert f"Title {ESCAPED}</a>" in page
        assert f"Sam {ESCAPED}" in page
        assert "1 publication needs a person" in page
        assert "Tue 14 Mar 2027" not in page and "Sun 14 Mar 2027, 10:30 CDT" in page
        assert '<td data-label="Where">LinkedIn</td>' in page
    assert f"Clinic {ESCAPED}" in client.get(reverse("post_list")).text


def test_a_row_url_is_the_url_django_reverses():
    assert url_template("consent_detail", "slug", "pk").format(slug="a-b", pk=7) == (
        reverse("consent_detail", args=["a-b", 7])
    )
