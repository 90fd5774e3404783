"""The consent registry: list, search, detail, the signed form, revocation, and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from posts.models import Post, Publication
from practices.models import PatientConsent
from tests import factories
from tests import media_samples as samples


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def registry(practice) -> str:
    return reverse("consent_list", args=[practice.slug])


def detail(consent) -> str:
    return reverse("consent_detail", args=[consent.practice.slug, consent.pk])


def document_url(consent) -> str:
    return reverse("consent_document", args=[consent.practice.slug, consent.pk])


def with_pdf(practice, **fields) -> PatientConsent:
    consent = factories.make_consent(
        practice, method=PatientConsent.Method.UPLOAD, typed_signature="", **fields
    )
    consent.document.save("form.pdf", ContentFile(samples.pdf_bytes()), save=False)
    consent.document_content_type = "application/pdf"
    consent.save()
    return consent


@pytest.fixture
def consents(practice, other_practice):
    now = timezone.now()
    return {
        "active": factories.make_consent(
            practice, patient_label="Ana A.", signer_name="Ana Alvarez"
        ),
        "expiring": factories.make_consent(
            practice,
            patient_label="Ben B.",
            signer_name="Bea Brown",
            signer=PatientConsent.Signer.GUARDIAN,
            guardian_authority="Mother of a minor",
            expires_at=now + timedelta(days=10),
        ),
        "expired": factories.make_consent(
            practice,
            patient_label="Cal C.",
            signer_name="Cal Cole",
            expires_at=now - timedelta(days=3),
        ),
        "revoked": factories.make_consent(
            practice,
            patient_label="Dee D.",
            signer_name="Dee Diaz",
            revoked_at=now,
        ),
        "foreign": factories.make_consent(
            other_practice, patient_label="Eve E.", signer_name="Eve Evans"
        ),
    }


def labels(response) -> set[str]:
    page = response.content.decode()
    return {label for label in ("Ana A.", "Ben B.", "Cal C.", "Dee D.", "Eve E.") if label in page}


# -- the list ----------------------------------------------------------------


def test_the_list_shows_the_practice_only(
    client, strategist, consents, django_assert_max_num_queries
):
    for i in range(20):
        factories.make_consent(consents["active"].practice, patient_label=f"Extra {i}")
    client.force_login(strategist)
    with django_assert_max_num_queries(8):
        response = client.get(registry(consents["active"].practice))
    assert response.status_code == 200
    assert labels(response) == {"Ana A.", "Ben B.", "Cal C.", "Dee D."}


def test_listing_is_an_audit_event_with_ids_only(client, strategist, practice, consents):
    client.force_login(strategist)
    client.get(registry(practice), {"q": "Alvarez", "state": "active"})
    event = AuditEvent.objects.get(verb="consent_list_viewed")
    assert event.detail == {"consents": [consents["active"].pk], "filter": "active"}
    assert event.practice == practice and event.actor == strategist
    assert "Alvarez" not in str(event.detail)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("active", {"Ana A.", "Ben B."}),
        ("expiring", {"Ben B."}),
        ("expired", {"Cal C."}),
        ("revoked", {"Dee D."}),
        ("", {"Ana A.", "Ben B.", "Cal C.", "Dee D."}),
    ],
)
def test_filters(client, strategist, practice, consents, state, expected):
    client.force_login(strategist)
    assert labels(client.get(registry(practice), {"state": state})) == expected


@pytest.mark.parametrize(
    ("q", "expected"), [("ana", {"Ana A."}), ("brown", {"Ben B."}), ("zzz", set())]
)
def test_search_by_patient_label_or_signer(client, strategist, practice, consents, q, expected):
    client.force_login(strategist)
    assert labels(client.get(registry(practice), {"q": q})) == expected


def test_a_nonsense_filter_is_not_an_error(client, strategist, practice, consents):
    client.force_login(strategist)
    response = client.get(registry(practice), {"state": "<script>", "page": "x"})
    assert response.status_code == 200


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
def test_who_opens_the_registry(request, client, practice, consents, who, expected):
    client.force_login(request.getfixturevalue(who))
    assert client.get(registry(practice)).status_code == expected
    assert client.get(detail(consents["active"])).status_code == expected


def test_anonymous_is_sent_to_log_in(client, practice):
    assert client.get(registry(practice)).status_code == 302


# -- the detail ----------------------------------------------------------------


def test_detail_shows_the_signature_and_where_it_is_used(
    client, strategist, practice, staff, django_assert_max_num_queries
):
    consent = factories.make_consent(practice, signer_ip="203.0.113.9")
    post = factories.make_post(practice, title="Maria's graduation")
    post.consents.add(consent)
    for _ in range(5):
        factories.make_post(practice).consents.add(consent)
        factories.make_tip(practice, submitted_by=staff, consent=consent, features_patient=True)
    client.force_login(strategist)
    with django_assert_max_num_queries(10):
        page = client.get(detail(consent)).content.decode()
    assert "Maria Garcia" in page and "203.0.113.9" in page
    assert "shown and acknowledged" in page
    assert post.get_absolute_url() in page
    assert "Team tip #" in page


def test_every_view_is_an_audit_event_without_patient_data(client, strategist, practice):
    consent = factories.make_consent(practice)
    client.force_login(strategist)
    client.get(detail(consent))
    client.get(detail(consent))
    events = AuditEvent.objects.filter(verb="consent_viewed", object_id=str(consent.pk))
    assert events.count() == 2
    event = events.first()
    assert event.actor == strategist and event.practice == practice
    assert "Maria" not in str(event.detail)


def test_a_consent_under_another_practices_address_is_404(client, lead, practice, other_practice):
    consent = factories.make_consent(other_practice)
    client.force_login(lead)
    url = reverse("consent_detail", args=[practice.slug, consent.pk])
    assert client.get(url).status_code == 404


# -- the signed form -------------------------------------------------------------


# The signed form's tests run on the media folder and on an S3 bucket (tests/media_storage.py).


def test_the_signed_form_is_encrypted_on_disk_and_served_decrypted(
    client, strategist, practice, media_storage
):
    consent = with_pdf(practice)
    # In the folder or the bucket, as stored: a Fernet token, not the PDF.
    assert media_storage.names() == {consent.document.name}
    raw = media_storage.read(consent.document.name)
    assert not raw.startswith(b"%PDF") and raw.startswith(b"gAAAAA")
    client.force_login(strategist)
    response = client.get(document_url(consent))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == samples.pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    inline = client.get(document_url(consent), {"inline": "1"})
    assert "inline" in inline["Content-Disposition"]
    verbs = list(
        AuditEvent.objects.filter(object_id=str(consent.pk)).values_list("verb", flat=True)
    )
    assert sorted(verbs) == ["consent_document_downloaded", "consent_document_viewed"]


def test_every_download_is_logged(client, strategist, practice, media_storage):
    consent = with_pdf(practice)
    client.force_login(strategist)
    for _ in range(3):
        assert client.get(document_url(consent)).status_code == 200
    assert AuditEvent.objects.filter(verb="consent_document_downloaded").count() == 3


@pytest.mark.parametrize(
    ("who", "expected"), [("staff", 403), ("other_strategist", 404), ("outsider", 404)]
)
def test_the_signed_form_is_for_the_agency(request, client, practice, who, expected, media_storage):
    consent = with_pdf(practice)
    client.force_login(request.getfixturevalue(who))
    assert client.get(document_url(consent)).status_code == expected
    assert not AuditEvent.objects.filter(verb__startswith="consent_document").exists()


def test_no_document_is_404(client, strategist, practice):
    consent = factories.make_consent(practice)
    client.force_login(strategist)
    assert client.get(document_url(consent)).status_code == 404


# -- revocation ---------------------------------------------------------------


def test_revocation_cancels_pending_posts_and_lists_live_ones(client, strategist, practice, staff):
    consent = factories.make_consent(practice)
    account = factories.make_account(practice)
    scheduled = factories.make_post(
        practice,
        status=Post.Status.SCHEDULED,
        targets=[account],
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    scheduled.consents.add(consent)
    pending = Publication.objects.create(post=scheduled, account=account)
    draft = factories.make_post(practice)
    draft.consents.add(consent)
    live = factories.make_post(practice, status=Post.Status.PUBLISHED)
    live.consents.add(consent)
    live_publication = Publication.objects.create(
        post=live, account=account, status=Publication.Status.PUBLISHED
    )
    unrelated = factories.make_post(practice, status=Post.Status.SCHEDULED)

    client.force_login(strategist)
    today = practice.local(timezone.now()).date().isoformat()
    response = client.post(
        reverse("consent_revoke", args=[practice.slug, consent.pk]),
        {"received_on": today, "note": "Letter received at the front desk."},
        follow=True,
    )
    assert "Authorization revoked." in response.content.decode()
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_by == strategist
    assert consent.revocation_note == "Letter received at the front desk."
    for post in (scheduled, draft):
        post.refresh_from_db()
        assert post.status == Post.Status.CANCELLED
    pending.refresh_from_db()
    assert pending.status == Publication.Status.CANCELLED
    live_publication.refresh_from_db()
    assert live_publication.takedown_requested_at is not None
    assert live_publication.takedown_done_at is None
    # A person has to take it down: the dashboard says so.
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f"take down “{live}”" in dashboard
    unrelated.refresh_from_db()
    assert unrelated.status == Post.Status.SCHEDULED
    assert AuditEvent.objects.filter(verb="consent_revoked", object_id=str(consent.pk)).exists()
    assert "2 post(s) relying on it were cancelled." in response.content.decode()


def test_a_revocation_received_earlier(client, strategist, practice):
    consent = factories.make_consent(practice, signed_at=timezone.now() - timedelta(days=30))
    client.force_login(strategist)
    received = (practice.local(timezone.now()) - timedelta(days=5)).date()
    client.post(
        reverse("consent_revoke", args=[practice.slug, consent.pk]),
        {"received_on": received.isoformat()},
    )
    consent.refresh_from_db()
    assert practice.local(consent.revoked_at).date() == received


@pytest.mark.parametrize(
    ("received", "message"),
    [
        (lambda: (timezone.now() + timedelta(days=3)).date(), "cannot be received in the future"),
        (
            lambda: (timezone.now() - timedelta(days=400)).date(),
            "before the authorization was signed",
        ),
    ],
)
def test_impossible_revocation_dates_are_refused(client, strategist, practice, received, message):
    consent = factories.make_consent(practice)
    client.force_login(strategist)
    response = client.post(
        reverse("consent_revoke", args=[practice.slug, consent.pk]),
        {"received_on": received().isoformat()},
        follow=True,
    )
    assert message in response.content.decode()
    consent.refresh_from_db()
    assert consent.revoked_at is None


def test_a_revoked_consent_has_no_revoke_form(client, strategist, practice):
    consent = factories.make_consent(practice, revoked_at=timezone.now())
    client.force_login(strategist)
    page = client.get(detail(consent)).content.decode()
    assert "Record a revocation" not in page and "Revoked" in page
    response = client.post(
        reverse("consent_revoke", args=[practice.slug, consent.pk]),
        {"received_on": practice.local(timezone.now()).date().isoformat()},
        follow=True,
    )
    assert "already been revoked" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "expected"), [("staff", 403), ("doctor", 403), ("other_strategist", 404)]
)
def test_only_the_agency_revokes(request, client, practice, who, expected):
    consent = factories.make_consent(practice)
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse("consent_revoke", args=[practice.slug, consent.pk]),
        {"received_on": timezone.now().date().isoformat()},
    )
    assert response.status_code == expected
    consent.refresh_from_db()
    assert consent.revoked_at is None


def test_a_revoked_consent_can_no_longer_be_picked_for_a_tip(client, staff, practice):
    consent = factories.make_consent(practice, revoked_at=timezone.now())
    client.force_login(staff)
    page = client.get(reverse("staff_home")).content.decode()
    assert f'value="{consent.pk}"' not in page


def test_consents_are_never_deleted(practice):
    consent = factories.make_consent(practice)
    with pytest.raises(PermissionError):
        consent.delete()
    with pytest.raises(PermissionError):
        PatientConsent.objects.filter(pk=consent.pk).delete()


def test_the_list_pages_keep_the_filters(client, strategist, practice):
    for i in range(55):
        factories.make_consent(practice, patient_label=f"Patient {i:02d}")
    client.force_login(strategist)
    page = client.get(registry(practice), {"state": "active"}).content.decode()
    assert "?state=active&amp;page=2" in page
    second = client.get(registry(practice), {"state": "active", "page": "2"}).content.decode()
    assert "Patient 54" in second and "Page 2 of 2" in second


def test_detail_lists_posts_relying_on_it_through_their_tip(client, strategist, practice):
    consent = factories.make_consent(practice)
    tip = factories.make_tip(practice, consent=consent, features_patient=True)
    post = factories.make_post(practice, tip=tip, title="Maria's 5K")
    client.force_login(strategist)
    response = client.get(detail(consent))
    assert list(response.context["posts"]) == [post]
    assert "No post relies on it" not in response.text
