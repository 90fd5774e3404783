"""A practice made without the admin: the lead's form, its brand and strategists, and the
checklist on its page of what is left before it runs."""

from __future__ import annotations

import html
import io

import pytest
from django.urls import reverse
from PIL import Image

from core.models import Assignment, AuditEvent
from practices.models import Invitation, Membership, PostingSlot, Practice, SocialAccount
from tests import factories, media_samples

pytestmark = pytest.mark.django_db


def details(**changes):
    form = {
        "name": "Riverside Pediatrics",
        "specialty": "pediatrics",
        "time_zone": "America/Denver",
        "street_address": "12 River Road",
        "city": "Boulder",
        "state": "CO",
        "phone": "303-555-0100",
        "email": "office@riverside.example",
        "posts_per_week": "4",
        "approval_policy": "patient_content",
        "brand_colour": "#aa3366",
        "brand_voice": "",
        "default_hashtags": "",
        "social_media_policy": "",
    }
    form.update(changes)
    return form


def test_the_lead_makes_a_practice_with_its_brand_and_strategists(client, lead, strategist):
    second = factories.make_strategist(username="second")
    client.force_login(lead)
    logo = media_samples.upload(
        "logo.jpg", media_samples.jpeg_bytes(1800, 600, gps=True), "image/jpeg"
    )
    response = client.post(
        reverse("practice_new"),
        details(logo_upload=logo, primary_strategist=second.pk, other_strategists=[strategist.pk]),
    )
    practice = Practice.objects.get(name="Riverside Pediatrics")
    assert response.status_code == 302 and response["Location"] == practice.get_absolute_url()
    assert practice.slug == "riverside-pediatrics"
    assert (practice.time_zone, practice.posts_per_week, practice.brand_colour) == (
        "America/Denver",
        4,
        "#aa3366",
    )
    assert practice.approval_policy == Practice.ApprovalPolicy.PATIENT_CONTENT
    assigned = {a.strategist_id: a.is_primary for a in Assignment.objects.filter(practice=practice)}
    assert assigned == {second.pk: True, strategist.pk: False}
    # The logo: cleaned (no camera, no place) and made small for the report's header.
    served = client.get(reverse("practice_logo", args=[practice.slug]))
    data = b"".join(served.streaming_content)
    assert served["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (600, 200)
    assert media_samples.CAMERA_MAKE.encode() not in data
    assert media_samples.GPS_AREA.encode() not in data
    verbs = set(AuditEvent.objects.filter(practice=practice).values_list("verb", flat=True))
    assert {"practice_created", "strategist_assigned"} <= verbs
    # The strategist now sees it, and its page lists what is left to do.
    client.force_login(strategist)
    page = client.get(practice.get_absolute_url()).content.decode()
    assert "Before Riverside Pediatrics runs on its own" in page
    assert reverse("practice_people", args=[practice.slug]) in page


def test_a_new_practice_with_a_taken_name_gets_an_address_of_its_own(client, lead, practice):
    client.force_login(lead)
    for _ in range(2):
        response = client.post(reverse("practice_new"), details(name=practice.name))
        assert response.status_code == 302
    client.post(reverse("practice_new"), details(name="New"))
    slugs = set(Practice.objects.values_list("slug", flat=True))
    assert {"lakeside-fertility", "lakeside-fertility-2", "new-practice"} <= slugs
    assert client.get(reverse("practice_new")).status_code == 200  # still the form


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"brand_colour": "red"}, "is not a colour such as"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"name": ""}, "This field is required"),
        (
            {"logo_upload": media_samples.upload("logo.png", media_samples.HTML_PAGE, "image/png")},
            "logo.png",
        ),
    ],
)
def test_bad_details_are_refused_and_nothing_is_made(client, lead, changes, message):
    client.force_login(lead)
    response = client.post(reverse("practice_new"), details(**changes))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Practice.objects.filter(name="Riverside Pediatrics").exists()
    assert not AuditEvent.objects.filter(verb="practice_created").exists()


def test_only_the_lead_makes_practices_and_chooses_strategists(
    client, strategist, other_strategist, practice
):
    client.force_login(strategist)
    assert client.get(reverse("practice_new")).status_code == 403
    assert client.post(reverse("practice_new"), details()).status_code == 403
    # A strategist keeps the practice's details up to date, but not who runs it.
    edit = reverse("practice_edit", args=[practice.slug])
    assert "primary_strategist" not in client.get(edit).content.decode()
    response = client.post(
        edit,
        details(name=practice.name, posts_per_week="5", primary_strategist=other_strategist.pk),
    )
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.posts_per_week == 5
    assert list(
        Assignment.objects.filter(practice=practice).values_list("strategist", flat=True)
    ) == [strategist.pk]
    # Another practice's strategist does not even learn that it exists.
    client.force_login(other_strategist)
    assert client.get(edit).status_code == 404


def test_the_lead_changes_who_runs_a_practice_and_it_is_audited(
    client, lead, strategist, other_strategist, practice
):
    client.force_login(lead)
    response = client.post(
        reverse("practice_edit", args=[practice.slug]),
        details(name=practice.name, primary_strategist=other_strategist.pk),
    )
    assert response.status_code == 302
    assert list(
        Assignment.objects.filter(practice=practice).values_list("strategist", "is_primary")
    ) == [(other_strategist.pk, True)]
    events = AuditEvent.objects.filter(practice=practice).values_list("verb", "object_id")
    assert ("strategist_removed", str(strategist.pk)) in events
    assert ("strategist_assigned", str(other_strategist.pk)) in events


def test_the_checklist_follows_what_is_done_and_goes_when_all_is(client, lead, practice):
    client.force_login(lead)
    url = practice.get_absolute_url()

    def left() -> list[str]:
        page = client.get(url).content.decode()
        if "runs on its own" not in page:
            return []
        section = page.split('id="setup"')[1].split("</section>")[0]
        return [
            label
            for label in (
                "A strategist runs it",
                "Its accounts are connected",
                "The doctor is invited",
                "The staff have the tip link",
                "Its posting slots are set",
            )
            if f"<li>{label}" in section
        ]

    assert len(left()) == 5
    factories.make_strategist(practice, username="runs_it")
    factories.make_account(practice)
    Invitation.objects.create(
        practice=practice,
        email="dr@example.test",
        role=Invitation.Role.DOCTOR,
        expires_at="2999-01-01T00:00Z",
    )
    assert left() == ["The staff have the tip link", "Its posting slots are set"]
    factories.make_tip(practice)
    PostingSlot.objects.create(practice=practice, platform="facebook", weekday=1, time="09:00")
    assert left() == []
    # An account that needs reconnecting does not count as connected.
    SocialAccount.objects.filter(practice=practice).update(status="needs_reconnect")
    assert left() == ["Its accounts are connected"]


def test_the_doctor_who_joined_counts_as_invited(client, lead, practice, doctor):
    assert Membership.objects.filter(user=doctor, practice=practice).exists()
    client.force_login(lead)
    page = client.get(practice.get_absolute_url()).content.decode()
    section = page.split('id="setup"')[1].split("</section>")[0]
    assert '<li class="done">The doctor is invited' in section


def test_a_practice_without_a_logo_has_none_to_serve(client, strategist, practice):
    client.force_login(strategist)
    assert client.get(reverse("practice_logo", args=[practice.slug])).status_code == 404


def test_strategists_without_one_to_receive_the_alerts_are_refused(client, lead, strategist):
    client.force_login(lead)
    response = client.post(reverse("practice_new"), details(other_strategists=[strategist.pk]))
    assert response.status_code == 400
    assert "Choose which strategist receives its alerts" in response.content.decode()
    assert not Practice.objects.filter(name="Riverside Pediatrics").exists()


def test_a_strategist_cannot_change_what_needs_approval(client, strategist, practice):
    client.force_login(strategist)
    edit = reverse("practice_edit", args=[practice.slug])
    page = client.get(edit).content.decode()
    assert 'name="approval_policy"' not in page and 'name="internal_review"' not in page
    assert "The agency's lead decides what needs approval" in html.unescape(page)
    response = client.post(
        edit, details(name=practice.name, approval_policy="never", internal_review="on")
    )
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.approval_policy == Practice.ApprovalPolicy.ALWAYS
    assert practice.internal_review is False


def test_saving_the_details_keeps_every_strategist(client, lead, strategist, practice):
    # Made elsewhere (the admin, the demo) both may be marked as receiving the alerts.
    second = factories.make_strategist(practice, username="second")
    assert Assignment.objects.filter(practice=practice, is_primary=True).count() == 2
    client.force_login(lead)
    edit = reverse("practice_edit", args=[practice.slug])
    form = client.get(edit).context["form"]
    assert form.initial["primary_strategist"] == strategist.pk
    assert form.initial["other_strategists"] == [second.pk]
    client.post(
        edit,
        details(
            name=practice.name,
            primary_strategist=strategist.pk,
            other_strategists=form.initial["other_strategists"],
        ),
    )
    assert dict(
        Assignment.objects.filter(practice=practice).values_list("strategist", "is_primary")
    ) == {strategist.pk: True, second.pk: False}
    assert not AuditEvent.objects.filter(verb="strategist_removed").exists()


def test_a_new_logo_replaces_the_old_file_and_a_lost_one_is_not_found(
    client, lead, practice, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(lead)
    edit = reverse("practice_edit", args=[practice.slug])
    with_logo = {"name": practice.name, "approval_policy": "always"}
    for colour in ((200, 0, 0), (0, 0, 200)):
        upload = media_samples.upload("logo.png", media_samples.png_bytes(300, 100, colour))
        with django_capture_on_commit_callbacks(execute=True):
            client.post(edit, details(**with_logo, logo_upload=upload))
    practice.refresh_from_db()
    assert [path.name for path in (tmp_path / "logos").iterdir()] == [
        practice.logo.name.split("/")[-1]
    ]
    (tmp_path / practice.logo.name).unlink()
    assert client.get(reverse("practice_logo", args=[practice.slug])).status_code == 404


def test_an_expired_invitation_does_not_count_as_the_doctor_invited(client, lead, practice):
    Invitation.objects.create(
        practice=practice,
        email="dr@example.test",
        role=Invitation.Role.DOCTOR,
        expires_at="2000-01-01T00:00Z",
    )
    client.force_login(lead)
    page = client.get(practice.get_absolute_url()).content.decode()
    section = page.split('id="setup"')[1].split("</section>")[0]
    assert "<li>The doctor is invited" in section


def test_a_strategist_is_not_sent_to_connect_accounts_only_the_lead_can(
    client, lead, strategist, practice
):
    client.force_login(strategist)
    page = html.unescape(client.get(practice.get_absolute_url()).content.decode())
    section = page.split('id="setup"')[1].split("</section>")[0]
    assert "the agency's lead connects them" in section and "#accounts" not in section
    client.force_login(lead)
    page = client.get(practice.get_absolute_url()).content.decode()
    assert f'{practice.get_absolute_url()}#accounts">Connect one</a>' in page
