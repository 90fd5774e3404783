"""Sending tips (logged in and through the secret link), My tips, and the tip inbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django_rq
import pytest
from django.urls import reverse
from django.utils import timezone

from core import ratelimit
from core.models import AuditEvent
from posts.models import MediaAsset, MetricSnapshot, Post, Publication, Tip
from practices.models import Membership, PatientConsent
from tests import factories
from tests import media_samples as samples
from tests.publishing_support import sent_mail
from tests.signin_support import SignInClient

STAFF_HOME = reverse("staff_home")
SUCCESS = "Thank you! Your tip is on its way to the agency."


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    connection = django_rq.get_connection("default")
    for key in connection.scan_iter(f"{ratelimit.PREFIX}*"):
        connection.delete(key)


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def counts() -> tuple[int, int, int]:
    return Tip.objects.count(), MediaAsset.objects.count(), PatientConsent.objects.count()


def esigned_consent(**overrides) -> dict:
    expires = (timezone.now() + timedelta(days=730)).date().isoformat()
    data = {
        "features_patient": "on",
        "patient_consent": "new",
        "consent-patient_label": "Dana R.",
        "consent-signer": "patient",
        "consent-signer_name": "Dana Rivera",
        "consent-uses": ["photo", "story"],
        "consent-platforms": ["facebook", "instagram"],
        "consent-expires_on": expires,
        "consent-method": "esignature",
        "consent-statements_acknowledged": "on",
        "consent-typed_signature": "Dana Rivera",
    }
    data.update(overrides)
    return data


@pytest.fixture
def staff_client(client, staff, practice):
    Membership.objects.filter(user=staff).update(policy_confirmed_at=timezone.now())
    client.force_login(staff)
    return client


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


def test_a_tip_with_two_photos(staff_client, staff, practice, media_root):
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
    assert len(files(media_root)) == 2
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


def test_patient_with_an_uploaded_signed_pdf(staff_client, practice, media_root):
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
    on_disk = Path(media_root, consent.document.name).read_bytes()
    assert not on_disk.startswith(b"%PDF") and b"%%EOF" not in on_disk  # encrypted at rest
    with consent.document.open("rb") as document:
        assert document.read() == samples.pdf_bytes()


def test_a_photo_of_the_signed_form_is_cleaned_too(staff_client, media_root):
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


# -- bad input: a clear message, and nothing stored --------------------------


def _bad_inputs(practice, other_practice):
    expired = factories.make_consent(practice, expires_at=timezone.now() - timedelta(days=1))
    story_only = factories.make_consent(practice, patient_label="Lee K.", uses=["story"])
    foreign = factories.make_consent(other_practice, patient_label="Other P.")
    good = samples.photo("good.jpg")
    jpeg = samples.jpeg_bytes()
    base = {"kind": "team", "text": "Hello"}
    return {
        "truncated JPEG": (
            base
            | {
                "photos": [
                    samples.photo("ok.jpg"),
                    samples.upload("cut.jpg", jpeg[: len(jpeg) // 2]),
                ]
            },
            "could not be read completely",
        ),
        "PNG decompression bomb": (
            base | {"photos": [samples.upload("bomb.png", samples.png_bomb(), "image/png")]},
            "pixels",
        ),
        "SVG with script": (
            base | {"photos": [samples.upload("x.svg", samples.SVG_WITH_SCRIPT, "image/svg+xml")]},
            "looks like an SVG drawing",
        ),
        "PDF renamed .jpg": (
            base | {"photos": [samples.upload("scan.jpg", samples.pdf_bytes())]},
            "looks like a PDF",
        ),
        "HTML renamed .png": (
            base | {"photos": [samples.upload("page.png", samples.HTML_PAGE, "image/png")]},
            "looks like a web page",
        ),
        "zero-byte file": (
            base | {"photos": [samples.upload("empty.jpg", b"")]},
            "is empty",
        ),
        "photo 3 of 4 rejected": (
            base
            | {
                "photos": [
                    samples.photo("1.jpg", color=(1, 1, 1)),
                    samples.photo("2.jpg", color=(2, 2, 2)),
                    samples.upload("3.jpg", b"not a photo at all"),
                    samples.photo("4.jpg", color=(4, 4, 4)),
                ]
            },
            "“3.jpg” is not a photo we can read",
        ),
        "20,000-character story": ({"kind": "team", "text": "x" * 20_000}, "under 5000 characters"),
        "NUL bytes in the text": ({"kind": "team", "text": "before\x00after"}, "Null characters"),
        "eleven photos": (
            base | {"photos": [samples.photo(f"{i}.jpg", color=(i, 0, 0)) for i in range(11)]},
            "You chose 11 photos; a tip can have at most 10",
        ),
        "patient but no consent": (
            base | {"features_patient": "on", "photos": [good]},
            "choose their authorization on file, or record a new one",
        ),
        "existing consent not chosen": (
            base | {"features_patient": "on", "patient_consent": "existing"},
            "Please choose the patient&#x27;s authorization.",
        ),
        "expired consent chosen": (
            base | {"features_patient": "on", "patient_consent": "existing", "consent": expired.pk},
            "expired on",
        ),
        "consent that does not allow photos": (
            base
            | {
                "features_patient": "on",
                "patient_consent": "existing",
                "consent": story_only.pk,
                "photos": [samples.photo()],
            },
            "does not allow: photo",
        ),
        "another practice's consent posted by hand": (
            base | {"features_patient": "on", "patient_consent": "existing", "consent": foreign.pk},
            "That authorization is not one of this practice&#x27;s.",
        ),
        "new consent without the statements acknowledged": (
            base | esigned_consent(**{"consent-statements_acknowledged": ""}),
            "must be shown to and acknowledged",
        ),
        "new consent with a signature that does not match": (
            base | esigned_consent(**{"consent-typed_signature": "Someone Else"}),
            "must match the name of the person signing",
        ),
        "new consent already expired": (
            base | esigned_consent(**{"consent-expires_on": "2020-01-01"}),
            "expiry date must be after today",
        ),
        "new consent not covering the photo": (
            base | {"photos": [samples.photo()]} | esigned_consent(**{"consent-uses": ["story"]}),
            "does not allow: photo",
        ),
        "new consent with an HTML page as the signed form": (
            base
            | esigned_consent(
                **{
                    "consent-method": "upload",
                    "consent-document": samples.upload("form.pdf", samples.HTML_PAGE),
                }
            ),
            "Please upload a PDF or a photo",
        ),
        "new consent with a cut-off PDF": (
            base
            | esigned_consent(
                **{
                    "consent-method": "upload",
                    "consent-document": samples.upload("form.pdf", samples.pdf_bytes()[:60]),
                }
            ),
            "PDF that seems to be cut off",
        ),
        "nothing at all": ({"kind": "team"}, "Please add a photo or a few words"),
        "unknown kind": ({"kind": "gossip", "text": "x"}, "Select a valid choice"),
    }


BAD_INPUTS = [
    "truncated JPEG",
    "PNG decompression bomb",
    "SVG with script",
    "PDF renamed .jpg",
    "HTML renamed .png",
    "zero-byte file",
    "photo 3 of 4 rejected",
    "20,000-character story",
    "NUL bytes in the text",
    "eleven photos",
    "patient but no consent",
    "existing consent not chosen",
    "expired consent chosen",
    "consent that does not allow photos",
    "another practice's consent posted by hand",
    "new consent without the statements acknowledged",
    "new consent with a signature that does not match",
    "new consent already expired",
    "new consent not covering the photo",
    "new consent with an HTML page as the signed form",
    "new consent with a cut-off PDF",
    "nothing at all",
    "unknown kind",
]


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_gets_a_message_and_stores_nothing(
    staff_client, practice, other_practice, media_root, case
):
    data, message = _bad_inputs(practice, other_practice)[case]
    before = counts()
    response = staff_client.post(STAFF_HOME, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "Your tip was not sent yet." in page
    assert counts() == before
    assert files(media_root) == set()


def test_a_file_over_the_size_limit(staff_client, settings, media_root):
    settings.MAX_PHOTO_BYTES = 100_000
    big = samples.upload("huge.jpg", samples.jpeg_bytes(3000, 2000))
    assert big.size > 100_000
    response = staff_client.post(STAFF_HOME, {"kind": "team", "photos": [big]})
    assert response.status_code == 200
    assert "“huge.jpg” is" in response.content.decode()
    assert "a photo can be at most 0.1 MB" in response.content.decode()
    assert counts() == (0, 0, 0) and files(media_root) == set()


def test_a_request_larger_than_any_tip_is_refused_unread(client, practice, settings, media_root):
    # What the client announces is checked before a byte of the body is read.
    too_much = settings.MAX_TIP_BYTES + 30 * 1024 * 1024
    response = client.post(
        link(practice), LINK_TIP | {"photos": [samples.photo()]}, CONTENT_LENGTH=str(too_much)
    )
    assert response.status_code == 200
    assert "larger than a tip can take" in response.content.decode()
    assert counts() == (0, 0, 0) and files(media_root) == set()


def test_through_the_link_a_request_too_large_is_refused_before_the_csrf_check_reads_it(
    practice, settings, media_root
):
    from tests.signin_support import SignInClient

    strict = SignInClient(enforce_csrf_checks=True)
    strict.get(link(practice))  # the page, and its CSRF cookie, as a phone would
    too_much = settings.MAX_TIP_BYTES + 30 * 1024 * 1024
    response = strict.post(
        link(practice), LINK_TIP | {"photos": [samples.photo()]}, CONTENT_LENGTH=str(too_much)
    )
    # Reading the body would fail here: the test client holds fewer bytes than announced.
    assert response.status_code == 200
    assert "larger than a tip can take" in response.content.decode()
    assert counts() == (0, 0, 0) and files(media_root) == set()


def test_through_the_link_a_tip_without_the_csrf_token_is_refused(practice, media_root):
    from tests.signin_support import SignInClient

    strict = SignInClient(enforce_csrf_checks=True)
    response = strict.post(link(practice), LINK_TIP)
    assert response.status_code == 403
    assert counts() == (0, 0, 0)


def test_all_bad_photos_are_named_at_once(staff_client):
    response = staff_client.post(
        STAFF_HOME,
        {
            "kind": "team",
            "photos": [samples.upload("one.jpg", b"nope"), samples.upload("two.jpg", b"")],
        },
    )
    page = response.content.decode()
    assert "“one.jpg”" in page and "“two.jpg”" in page


# -- the secret tip link -----------------------------------------------------


def link(practice) -> str:
    return reverse("tip_link", args=[practice.tip_link_token])


LINK_TIP = {
    "submitter_name": "Sam Nurse",
    "submitter_email": "sam@clinic.example",
    "kind": "team",
    "text": "Sam's tenth year with us.",
    "policy_confirmed": "on",
}


def test_the_link_works_without_an_account(client, practice):
    page = client.get(link(practice))
    assert page.status_code == 200
    assert practice.name in page.content.decode()
    assert 'name="submitter_email"' in page.content.decode()
    response = client.post(link(practice), LINK_TIP | {"photos": [samples.photo()]}, follow=True)
    assert SUCCESS in response.content.decode()
    tip = Tip.objects.get()
    assert tip.via_link and tip.submitted_by is None and tip.practice == practice
    assert (tip.submitter_name, tip.submitter_email) == ("Sam Nurse", "sam@clinic.example")
    assert tip.photos.count() == 1


def test_the_link_asks_for_name_email_and_the_policy_each_time(client, practice):
    response = client.post(link(practice), {"kind": "team", "text": "Hi"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("This field is required.") == 2
    assert "Please confirm that you have read the social media policy." in page
    assert Tip.objects.count() == 0


def test_the_link_does_not_show_patients_on_file(client, practice):
    factories.make_consent(practice)
    page = client.get(link(practice)).content.decode()
    assert "Maria G. (until" not in page and 'name="consent"' not in page
    assert 'value="existing"' not in page


def test_the_link_cannot_use_a_consent_on_file(client, practice):
    consent = factories.make_consent(practice)
    response = client.post(
        link(practice),
        LINK_TIP | {"features_patient": "on", "patient_consent": "existing", "consent": consent.pk},
    )
    assert response.status_code == 200
    assert Tip.objects.count() == 0


def test_a_new_consent_through_the_link(client, practice):
    client.post(link(practice), LINK_TIP | esigned_consent(), REMOTE_ADDR="198.51.100.4")
    tip = Tip.objects.get()
    assert tip.consent.recorded_by is None
    assert tip.consent.recorded_by_label == "Sam Nurse via the tip link"
    assert tip.consent.signer_ip == "198.51.100.4"


def test_the_link_reaches_only_its_own_practice(client, practice, other_practice):
    client.post(link(other_practice), LINK_TIP)
    assert Tip.objects.get().practice == other_practice


def test_a_rotated_link_stops_working(client, strategist, practice):
    old = link(practice)
    client.force_login(strategist)
    response = client.post(reverse("tip_link_rotate", args=[practice.slug]))
    assert response.status_code == 302
    client.logout()
    assert client.get(old).status_code == 404
    assert client.post(old, LINK_TIP).status_code == 404
    practice.refresh_from_db()
    assert client.get(link(practice)).status_code == 200
    assert AuditEvent.objects.filter(verb="tip_link_rotated").exists()
    assert Tip.objects.count() == 0


def test_an_unknown_link_is_404(client, db):
    assert client.get(reverse("tip_link", args=["not-a-token"])).status_code == 404


@pytest.mark.parametrize("who", ["staff", "doctor", "other_strategist"])
def test_only_the_agency_rotates_the_link(request, client, practice, who):
    token = practice.tip_link_token
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("tip_link_rotate", args=[practice.slug]))
    assert response.status_code in (403, 404)
    practice.refresh_from_db()
    assert practice.tip_link_token == token


def test_the_link_is_rate_limited_per_email(client, practice, settings):
    settings.TIP_LINK_LIMIT_PER_EMAIL = 2
    for _ in range(2):
        assert client.post(link(practice), LINK_TIP).status_code == 302
    response = client.post(link(practice), LINK_TIP)
    assert response.status_code == 429
    assert "Too many tips" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert Tip.objects.count() == 2
    # Another address still gets through.
    other = LINK_TIP | {"submitter_email": "kim@clinic.example"}
    assert client.post(link(practice), other).status_code == 302


def test_the_link_is_rate_limited_per_link(client, practice, other_practice, settings):
    settings.TIP_LINK_LIMIT_PER_LINK = 3
    for i in range(3):
        data = LINK_TIP | {"submitter_email": f"n{i}@clinic.example"}
        assert client.post(link(practice), data).status_code == 302
    assert client.post(link(practice), LINK_TIP).status_code == 429
    # Another practice's link is counted on its own.
    assert client.post(link(other_practice), LINK_TIP).status_code == 302


def test_the_email_limit_counts_an_address_however_it_is_typed(client, practice, settings):
    # The form stores the address trimmed; the limit counts it trimmed and case-folded.
    settings.TIP_LINK_LIMIT_PER_EMAIL = 2
    assert client.post(link(practice), LINK_TIP).status_code == 302
    spaced = LINK_TIP | {"submitter_email": "  SAM@Clinic.Example "}
    assert client.post(link(practice), spaced).status_code == 302
    assert (
        client.post(
            link(practice), LINK_TIP | {"submitter_email": " sam@clinic.example"}
        ).status_code
        == 429
    )
    assert Tip.objects.count() == 2
    assert set(Tip.objects.values_list("submitter_email", flat=True)) == {
        "sam@clinic.example",
        "SAM@Clinic.Example",
    }


def test_an_ipv6_network_is_one_address_for_the_link(client, practice, settings):
    settings.TIP_LINK_LIMIT_PER_ADDRESS = 2

    def send(n: int, address: str) -> int:
        data = LINK_TIP | {"submitter_email": f"n{n}@clinic.example"}
        return client.post(link(practice), data, REMOTE_ADDR=address).status_code

    assert send(1, "2001:db8:7:7::1") == 302
    assert send(2, "2001:db8:7:7::2") == 302
    assert send(3, "2001:db8:7:7:abcd::3") == 429  # the same /64
    assert send(4, "2001:db8:7:8::1") == 302  # another network


def test_one_client_address_cannot_use_up_the_link(client, practice, other_practice, settings):
    settings.TIP_LINK_LIMIT_PER_ADDRESS = 2
    settings.TIP_LINK_LIMIT_PER_LINK = 3

    def send(n: int, address: str, to=practice) -> int:
        data = LINK_TIP | {"submitter_email": f"n{n}@clinic.example"}
        return client.post(link(to), data, REMOTE_ADDR=address).status_code

    assert [send(n, "203.0.113.5") for n in range(4)] == [302, 302, 429, 429]
    # The refused attempts did not count against the link: others still get in.
    assert send(5, "198.51.100.8") == 302
    assert send(6, "198.51.100.9") == 429  # and now the link's own limit holds
    # Another practice's link is its own budget, from the same address too.
    assert send(7, "203.0.113.5", to=other_practice) == 302
    assert Tip.objects.filter(practice=practice).count() == 3


def test_behind_the_proxy_each_client_address_is_counted(client, practice, settings):
    from ipaddress import ip_network

    settings.TRUSTED_PROXIES = [ip_network("172.30.0.1")]
    settings.TIP_LINK_LIMIT_PER_ADDRESS = 1

    def send(n: int, forwarded_for: str) -> int:
        data = LINK_TIP | {"submitter_email": f"n{n}@clinic.example"}
        return client.post(
            link(practice), data, REMOTE_ADDR="172.30.0.1", HTTP_X_FORWARDED_FOR=forwarded_for
        ).status_code

    assert send(1, "198.51.100.1") == 302
    assert send(2, "198.51.100.2") == 302
    assert send(3, "198.51.100.1") == 429
    # A forged header does not buy a new budget: the proxy's entry is the one read.
    assert send(4, "192.0.2.77, 198.51.100.1") == 429


def test_the_link_refuses_tips_while_attempts_cannot_be_counted(
    client, practice, settings, media_root
):
    # Redis is down (nothing listens there): no tip goes in uncounted.
    settings.RATELIMIT_REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.post(
        link(practice), LINK_TIP | esigned_consent() | {"photos": [samples.photo()]}
    )
    assert response.status_code == 503
    page = response.content.decode()
    assert "Your tip was not sent and nothing was saved" in page
    assert response["Retry-After"] == "60"
    assert counts() == (0, 0, 0) and files(media_root) == set()
    # The form itself still opens.
    assert client.get(link(practice)).status_code == 200


def test_rate_limit_counts_expire(practice):
    verdict = ratelimit.hit("test", "value", limit=1, window=1)
    assert verdict.allowed and verdict.retry_after == 1
    key = next(django_rq.get_connection("default").scan_iter(f"{ratelimit.PREFIX}test:*"))
    assert django_rq.get_connection("default").ttl(key) == 1


# -- My tips -----------------------------------------------------------------


def test_my_tips_says_what_became_of_each(staff_client, staff, practice, strategist):
    factories.make_tip(practice, submitted_by=staff, text="Brand new one")
    declined = factories.make_tip(practice, submitted_by=staff, text="Blurry photo")
    declined.decline(reason="The photo is too dark to use.", by=strategist)
    scheduled_tip = factories.make_tip(practice, submitted_by=staff, status=Tip.Status.DRAFTED)
    factories.make_post(
        practice,
        tip=scheduled_tip,
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(days=2),
    )
    published_tip = factories.make_tip(practice, submitted_by=staff, status=Tip.Status.DRAFTED)
    account = factories.make_account(practice)
    post = factories.make_post(practice, tip=published_tip, status=Post.Status.PUBLISHED)
    publication = Publication.objects.create(
        post=post,
        account=account,
        status=Publication.Status.PUBLISHED,
        permalink="https://www.facebook.com/lakeside/posts/1",
    )
    MetricSnapshot.objects.create(
        publication=publication, reach=1000, fetched_at=timezone.now() - timedelta(days=1)
    )
    MetricSnapshot.objects.create(publication=publication, reach=4000)
    page = staff_client.get(STAFF_HOME).content.decode()
    assert "Declined: The photo is too dark to use." in page
    assert "Goes out" in page
    assert 'href="https://www.facebook.com/lakeside/posts/1"' in page
    assert "Reached <strong>4000</strong> people" in page
    assert "The agency will look at it soon." in page


def test_my_tips_query_count_does_not_grow(
    staff_client, staff, practice, django_assert_max_num_queries
):
    account = factories.make_account(practice)
    for i in range(12):
        tip = factories.make_tip(practice, submitted_by=staff, text=f"Tip {i}")
        post = factories.make_post(practice, tip=tip, status=Post.Status.PUBLISHED)
        publication = Publication.objects.create(
            post=post, account=account, status=Publication.Status.PUBLISHED
        )
        MetricSnapshot.objects.create(publication=publication, reach=i)
    with django_assert_max_num_queries(10):
        response = staff_client.get(STAFF_HOME)
    assert response.content.decode().count("tip-card") >= 12


def test_my_tips_shows_only_my_own(staff_client, practice, other_practice):
    colleague = factories.make_member(practice, Membership.Role.STAFF, "colleague")
    factories.make_tip(practice, submitted_by=colleague, text="Colleague's secret tip")
    factories.make_tip(other_practice, text="Another practice's tip")
    page = staff_client.get(STAFF_HOME).content.decode()
    assert "Colleague's secret tip" not in page and "Another practice" not in page


@pytest.mark.parametrize("who", ["strategist", "doctor", "outsider"])
def test_staff_home_is_for_staff(request, client, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(STAFF_HOME).status_code == 403


# -- the tip inbox -------------------------------------------------------------


def inbox(practice) -> str:
    return reverse("tip_inbox", args=[practice.slug])


def test_inbox_lists_filters_and_counts_queries(
    client, strategist, staff, practice, other_practice, django_assert_max_num_queries
):
    for i in range(8):
        tip = factories.make_tip(
            practice,
            submitted_by=staff,
            kind=Tip.Kind.EVENT if i % 2 else Tip.Kind.TEAM,
            text=f"Inbox tip {i}",
        )
        tip.photos.add(
            MediaAsset.objects.create(
                practice=practice,
                file=f"media/x{i}.jpg",
                width=1,
                height=1,
                size_bytes=1,
                sha256=f"{i:064d}",
            ),
            through_defaults={"position": 0},
        )
    factories.make_tip(other_practice, text="Not this practice")
    client.force_login(strategist)
    with django_assert_max_num_queries(10):
        page = client.get(inbox(practice)).content.decode()
    assert page.count("inbox-tip") == 8 and "Not this practice" not in page
    assert "Draft a post from this tip" in page
    assert practice.tip_link_token in page
    events = client.get(inbox(practice), {"kind": "event"}).content.decode()
    assert events.count("inbox-tip") == 4
    assert (
        client.get(inbox(practice), {"status": "declined"}).content.decode().count("inbox-tip") == 0
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("lead", 200),
        ("strategist", 200),
        ("other_strategist", 404),
        ("staff", 403),
        ("doctor", 403),
        ("other_staff", 404),
        ("outsider", 404),
    ],
)
def test_who_opens_the_inbox(request, client, practice, who, expected):
    client.force_login(request.getfixturevalue(who))
    assert client.get(inbox(practice)).status_code == expected


def test_decline_with_a_reason(client, strategist, staff, practice):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(strategist)
    response = client.post(
        reverse("tip_decline", args=[tip.pk]), {"reason": "We posted this last week."}
    )
    assert response.status_code == 302
    tip.refresh_from_db()
    assert tip.status == Tip.Status.DECLINED and tip.declined_by == strategist
    assert AuditEvent.objects.filter(verb="tip_declined", object_id=str(tip.pk)).exists()


def test_decline_needs_a_reason(client, strategist, staff, practice):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(strategist)
    response = client.post(reverse("tip_decline", args=[tip.pk]), {"reason": ""}, follow=True)
    assert "Please say why" in response.content.decode()
    tip.refresh_from_db()
    assert tip.status == Tip.Status.NEW


@pytest.mark.parametrize(("who", "expected"), [("staff", 403), ("other_strategist", 404)])
def test_only_the_agency_declines(request, client, staff, practice, who, expected):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("tip_decline", args=[tip.pk]), {"reason": "no"})
    assert response.status_code == expected
    tip.refresh_from_db()
    assert tip.status == Tip.Status.NEW


def test_draft_a_post_link_reaches_a_real_page(client, strategist, staff, practice):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(strategist)
    response = client.get(reverse("post_new"), {"tip": tip.pk})
    assert response.status_code == 200
    # The editor, starting from the tip's story.
    assert 'id="editor"' in response.content.decode()
    assert tip.text in response.content.decode()


@pytest.mark.parametrize(("who", "expected"), [("staff", 403), ("other_strategist", 404)])
def test_draft_a_post_page_checks_access(request, client, staff, practice, who, expected):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("post_new"), {"tip": tip.pk}).status_code == expected


def test_tip_detail_for_the_strategist_has_photos_focal_point_and_actions(
    strategist, staff_client, practice
):
    staff_client.post(STAFF_HOME, {"kind": "team", "text": "Hi", "photos": [samples.photo()]})
    tip = Tip.objects.get()
    client = SignInClient()
    client.force_login(strategist)
    page = client.get(tip.get_absolute_url()).content.decode()
    assert 'class="focal-form"' in page and 'name="x"' in page
    assert "Draft a post from this tip" in page and 'id="decline"' in page
    staff_page = staff_client.get(tip.get_absolute_url()).content.decode()
    assert "focal-form" not in staff_page and "Decline" not in staff_page


def test_other_practice_staff_cannot_see_a_tip(client, other_staff, staff, practice):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(other_staff)
    assert client.get(tip.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("value", ["²", "abc", "-1", "1e3", ""])
def test_post_new_with_a_strange_tip_id_is_not_an_error(client, strategist, value):
    client.force_login(strategist)
    response = client.get(reverse("post_new"), {"tip": value})
    assert response.status_code == 200


# -- the signer's copy (45 CFR 164.508(c)(4)) -------------------------------------------


def test_without_the_signers_address_staff_are_offered_a_printable_copy(
    staff_client, staff, practice, other_staff
):
    response = staff_client.post(
        STAFF_HOME,
        {"kind": "patient_story", "text": "Dana's graduation.", "photos": [samples.photo()]}
        | esigned_consent(),
    )
    tip = Tip.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("authorization_copy", args=[tip.pk])
    page = staff_client.get(response["Location"]).content.decode()
    assert "Right to revoke" in page and "Dana Rivera" in page and "Print the copy" in page
    # Only for the person who sent the tip (and the agency).
    staff_client.force_login(other_staff)
    assert staff_client.get(response["Location"]).status_code == 404


def test_with_the_signers_address_the_copy_goes_by_e_mail(staff_client, practice):
    response = staff_client.post(
        STAFF_HOME,
        {"kind": "patient_story", "text": "Dana's graduation.", "photos": [samples.photo()]}
        | esigned_consent(**{"consent-signer_email": "dana@example.org"}),
    )
    assert "#my-tips" in response["Location"]
    (message,) = sent_mail()
    assert message.to == ["dana@example.org"] and "Right to revoke" in message.body


def test_through_the_link_the_copy_is_shown_at_once(client, practice):
    response = client.post(link(practice), LINK_TIP | esigned_consent())
    assert response.status_code == 200
    body = response.content.decode()
    assert "Thank you! Your tip is on its way" in body and "Right to revoke" in body


def test_a_bad_signers_address_is_a_form_error_and_saves_nothing(staff_client):
    response = staff_client.post(
        STAFF_HOME,
        {"kind": "patient_story", "text": "Dana's graduation."}
        | esigned_consent(**{"consent-signer_email": "not an address"}),
    )
    assert response.status_code == 200
    assert counts() == (0, 0, 0)
