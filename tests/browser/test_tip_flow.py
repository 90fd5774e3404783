"""A nurse sends a tip from her phone; the strategist finds it in the practice's inbox."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import Notification
from posts.models import Tip
from practices.models import PatientConsent
from tests import media_samples as samples
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path("/tmp/rounds-tip-form-phone.png")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def photo_files(tmp_path) -> list[Path]:
    paths = []
    for i, color in enumerate([(210, 120, 80), (60, 140, 200)]):
        path = tmp_path / f"IMG_000{i + 1}.jpg"
        path.write_bytes(samples.jpeg_bytes(1200, 900, color=color, gps=True))
        paths.append(path)
    return paths


def test_staff_sends_a_tip_with_photos_and_a_new_consent_and_the_strategist_sees_it(
    live_server, phone, laptop, staff, strategist, practice, photo_files
):
    practice.social_media_policy = "Only photograph people who agreed to it."
    practice.save()
    page = phone()
    log_in(page, live_server.url, "staff")
    expect(page).to_have_url(re.compile(r"/tips/$"))
    expect(page.get_by_role("heading", name="Share a story")).to_be_visible()

    # Without a patient the authorization questions stay out of the way.
    expect(page.locator("#patient-section")).to_be_hidden()

    page.get_by_text("Patient story", exact=True).click()
    page.set_input_files("input[name=photos]", [str(p) for p in photo_files])
    expect(page.locator(".photo-preview img")).to_have_count(2)
    expect(page.locator(".photo-count")).to_have_text("2 of at most 10 photos")
    page.fill("textarea[name=text]", "Dana graduated from physical therapy today 🎉")

    page.get_by_text("A patient appears in this or is described").click()
    expect(page.locator("#patient-section")).to_be_visible()
    page.get_by_text("Record a new authorization now").click()
    expect(page.locator("#new-consent")).to_be_visible()
    expect(page.locator("#existing-consent")).to_be_hidden()
    page.fill("input[name='consent-patient_label']", "Dana R.")
    page.fill("input[name='consent-signer_name']", "Dana Rivera")
    page.fill("input[name='consent-signer_email']", "dana@example.org")
    consent_fields = page.locator("#new-consent")
    consent_fields.locator("label.choice", has_text="Photo").click()
    consent_fields.locator("label.choice", has_text="Story").click()
    consent_fields.locator("label.choice", has_text="Facebook").click()
    consent_fields.locator("label.choice", has_text="Instagram").click()
    expires = (timezone.now() + timedelta(days=730)).date().isoformat()
    page.fill("input[name='consent-expires_on']", expires)
    expect(page.get_by_text("Right to revoke.")).to_be_visible()
    page.get_by_text("The person signing has read the statements above.").click()
    page.fill("input[name='consent-typed_signature']", "Dana Rivera")
    expect(page.locator("input[name='consent-document']")).to_be_hidden()  # upload only
    page.get_by_text("I have read the practice's social media policy").click()

    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("button", name="Send tip").click()
    expect(page.get_by_text("Thank you! Your tip is on its way to the agency.")).to_be_visible()
    my_tips = page.locator("#my-tips")
    expect(my_tips.locator(".tip-card")).to_have_count(1)
    expect(my_tips).to_contain_text("Patient story")
    expect(my_tips).to_contain_text("Dana graduated from physical therapy today 🎉")
    expect(my_tips).to_contain_text("2 photos")

    tip = Tip.objects.get()
    assert tip.photos.count() == 2 and tip.features_patient
    consent = PatientConsent.objects.get()
    assert tip.consent == consent and consent.method == "esignature"
    assert consent.signer_ip == "127.0.0.1" and consent.statements_acknowledged
    # The signer's copy is owed to the address given (a worker sends it).
    assert Notification.objects.filter(
        kind=Notification.Kind.SIGNER_COPY, address="dana@example.org"
    ).exists()

    # The strategist, on a laptop, finds it in the practice's inbox.
    log_in(laptop, live_server.url, "strategist")
    laptop.goto(f"{live_server.url}/practices/{practice.slug}/tips/")
    card = laptop.locator(".inbox-tip")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Patient story")
    expect(card).to_contain_text("Patient: Dana R.")
    expect(card.locator("img")).to_have_count(2)
    card.get_by_role("link", name="Patient story").click()

    # A click on the photo sets the focal point.
    image = laptop.locator(".focal-editor img").first
    expect(image).to_be_visible()
    box = image.bounding_box()
    image.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.75})
    expect(laptop.get_by_text("Focal point saved")).to_be_visible()
    asset = tip.photos.order_by("tipphoto__position").first()
    asset.refresh_from_db()
    assert abs(asset.focal_x - 0.25) < 0.02 and abs(asset.focal_y - 0.75) < 0.02


def test_the_plain_form_works_without_javascript(live_server, phone, staff, photo_files):
    page = phone(java_script_enabled=False)
    log_in(page, live_server.url, "staff")
    page.get_by_text("Team", exact=True).click()
    page.set_input_files("input[name=photos]", [str(photo_files[0])])
    page.fill("textarea[name=text]", "Our new front desk.")
    page.get_by_text("I have read the practice's social media policy").click()
    page.get_by_role("button", name="Send tip").click()
    expect(page.get_by_text("Thank you! Your tip is on its way to the agency.")).to_be_visible()
    assert Tip.objects.get().photos.count() == 1


def test_a_rejected_photo_shows_the_message_in_place(live_server, phone, staff, tmp_path):
    bad = tmp_path / "scan.jpg"
    bad.write_bytes(samples.pdf_bytes())
    page = phone()
    log_in(page, live_server.url, "staff")
    page.get_by_text("Team", exact=True).click()
    page.set_input_files("input[name=photos]", [str(bad)])
    page.get_by_text("I have read the practice's social media policy").click()
    page.get_by_role("button", name="Send tip").click()
    expect(page.locator(".form-problems")).to_contain_text("Your tip was not sent yet.")
    expect(page.locator("#field-photos")).to_contain_text("looks like a PDF")
    assert Tip.objects.count() == 0
