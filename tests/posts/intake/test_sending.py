"""Sending a tip signed in: photos of every kind, stories, patients and their authorizations."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core.models import AuditEvent
from posts.models import MediaAsset, Tip
from practices.models import Membership, PatientConsent
from tests import factories
from tests import media_samples as samples
from tests.posts.intake.support import (
    STAFF_HOME,
    SUCCESS,
    counts,
    esigned_consent,
)

# -- sending, logged in ------------------------------------------------------


def test_staff_home_shows_the_form_and_my_tips(staff_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = staff_client.get(STAFF_HOME)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="photos"' in page and 'capture="environment"' in page
    assert 'accept="image/*,.heic,.heif"' in page and "multiple" in page
    assert "My tips" in page
    assert "no other patients, screens, charts or wristbands" in page


# The tests that store files run on the media folder and on an S3 bucket
# (media_storage: tests/media_storage.py).


def test_a_tip_with_two_photos(staff_client, staff, practice, media_storage):
    response = staff_client.post(
        STAFF_HOME,
        {
            "kind": "event",
            "text": "Health fair on Saturday: we checked 140 blood pressures!",
            "photos": [
                samples.photo("a.jpg"),
                samples.upload("b.png", samples.png_bytes(), "image/png"),
            ],
        },
        follow=True,
    )
    assert SUCCESS in response.content.decode()
    tip = Tip.objects.get()
    assert tip.submitted_by == staff and tip.practice == practice and not tip.via_link
    # An opaque PNG becomes a JPEG like any photo.
    assert [tp.asset.content_type for tp in tip.tipphoto_set.all()] == ["image/jpeg"] * 2
    assert len(media_storage.names()) == 2
    assert AuditEvent.objects.filter(verb="tip_submitted", object_id=str(tip.pk)).exists()
    assert "Health fair" in response.content.decode()  # in My tips


def test_webp_is_accepted_and_stored_as_jpeg(staff_client):
    staff_client.post(
        STAFF_HOME,
        {"kind": "team", "photos": [samples.upload("x.webp", samples.webp_bytes(), "image/webp")]},
    )
    assert MediaAsset.objects.get().content_type == "image/jpeg"


def test_an_iphone_heic_photo_is_accepted(staff_client):
    heic = samples.upload("IMG_4242.HEIC", samples.heic_bytes(), "image/heic")
    response = staff_client.post(STAFF_HOME, {"kind": "team", "photos": [heic]})
    assert response.status_code == 302
    asset = MediaAsset.objects.get()
    assert (asset.content_type, asset.width, asset.height) == ("image/jpeg", 320, 240)


def test_the_same_photo_twice_in_one_tip_is_kept_once(staff_client):
    staff_client.post(
        STAFF_HOME, {"kind": "team", "photos": [samples.photo("a.jpg"), samples.photo("b.jpg")]}
    )
    assert Tip.objects.get().photos.count() == 1


def test_a_story_without_photos_is_fine(staff_client):
    staff_client.post(STAFF_HOME, {"kind": "health_tip", "text": "Wear sunscreen in winter too."})
    assert Tip.objects.get().photos.count() == 0


def test_emoji_and_right_to_left_text_round_trip(staff_client):
    text = "Congratulations 🎉👶🏽 to our team! مبروك للفريق — שלום 🌟"
    response = staff_client.post(STAFF_HOME, {"kind": "milestone", "text": text}, follow=True)
    assert Tip.objects.get().text == text
    assert text in response.content.decode()


def test_first_tip_asks_for_the_policy_once(client, staff, practice):
    practice.social_media_policy = "Never photograph a screen."
    practice.save()
    client.force_login(staff)
    page = client.get(STAFF_HOME).content.decode()
    assert "Never photograph a screen." in page and 'name="policy_confirmed"' in page

    response = client.post(STAFF_HOME, {"kind": "team", "text": "Hello"})
    assert response.status_code == 200
    assert "Please confirm that you have read the social media policy." in response.content.decode()
    assert Tip.objects.count() == 0

    client.post(STAFF_HOME, {"kind": "team", "text": "Hello", "policy_confirmed": "on"})
    assert Membership.objects.get(user=staff).policy_confirmed_at is not None
    assert 'name="policy_confirmed"' not in client.get(STAFF_HOME).content.decode()


def test_patient_with_an_existing_consent(staff_client, practice):
    consent = factories.make_consent(practice)
    page = staff_client.get(STAFF_HOME).content.decode()
    assert "Maria G. (until" in page
    assert "Maria Garcia" not in page  # the signer's full name is not shown to staff
    staff_client.post(
        STAFF_HOME,
        {
            "kind": "patient_story",
            "text": "Maria finished physical therapy today.",
            "photos": [samples.photo()],
            "features_patient": "on",
            "patient_consent": "existing",
            "consent": consent.pk,
        },
    )
    tip = Tip.objects.get()
    assert tip.features_patient and tip.consent == consent


def test_patient_with_a_new_esigned_consent(staff_client, staff, practice):
    staff_client.post(
        STAFF_HOME,
        {"kind": "patient_story", "text": "Dana's graduation.", "photos": [samples.photo()]}
        | esigned_consent(),
        REMOTE_ADDR="203.0.113.7",
    )
    tip = Tip.objects.get()
    consent = tip.consent
    assert consent.practice == practice and consent.method == "esignature"
    assert consent.typed_signature == "Dana Rivera" and consent.statements_acknowledged
    assert consent.signer_ip == "203.0.113.7" and consent.recorded_by == staff
    assert consent.uses == ["photo", "story"] and consent.platforms == ["facebook", "instagram"]
    assert consent.expires_at > timezone.now() + timedelta(days=700)
    event = AuditEvent.objects.get(verb="consent_created")
    assert event.object_id == str(consent.pk) and event.actor == staff
    assert "Dana" not in str(event.detail)


def test_new_consent_shows_the_required_statements_in_full(staff_client):
    page = staff_client.get(STAFF_HOME).content.decode()
    assert "Right to revoke." in page and "in writing" in page
    assert "will not condition my" in page and "treatment" in page
    assert "redisclosed" in page


def test_patient_with_an_uploaded_signed_pdf(staff_client, practice, media_storage):
    data = esigned_consent(
        **{
            "consent-method": "upload",
            "consent-typed_signature": "",
            "consent-document": samples.upload("form.pdf", samples.pdf_bytes(), "application/pdf"),
        }
    )
    staff_client.post(STAFF_HOME, {"kind": "patient_story", "text": "Dana's story."} | data)
    consent = PatientConsent.objects.get()
    assert consent.method == "upload" and consent.document_content_type == "application/pdf"
    on_disk = media_storage.read(consent.document.name)
    assert not on_disk.startswith(b"%PDF") and b"%%EOF" not in on_disk  # encrypted at rest
    with consent.document.open("rb") as document:
        assert document.read() == samples.pdf_bytes()


def test_a_photo_of_the_signed_form_is_cleaned_too(staff_client, media_storage):
    data = esigned_consent(
        **{
            "consent-method": "upload",
            "consent-document": samples.upload("form.jpg", samples.jpeg_bytes(gps=True)),
        }
    )
    staff_client.post(STAFF_HOME, {"kind": "patient_story", "text": "Story."} | data)
    consent = PatientConsent.objects.get()
    assert consent.document_content_type == "image/jpeg"
    with consent.document.open("rb") as document:
        assert samples.CAMERA_SERIAL.encode() not in document.read()


def test_guardian_must_state_their_authority(staff_client):
    response = staff_client.post(
        STAFF_HOME,
        {"kind": "patient_story", "text": "A young patient's story."}
        | esigned_consent(**{"consent-signer": "guardian"}),
    )
    assert "say what gives them the authority" in response.content.decode()
    assert counts() == (0, 0, 0)
    staff_client.post(
        STAFF_HOME,
        {"kind": "patient_story", "text": "A young patient's story."}
        | esigned_consent(
            **{"consent-signer": "guardian", "consent-guardian_authority": "Mother of a minor"}
        ),
    )
    assert PatientConsent.objects.get().guardian_authority == "Mother of a minor"
