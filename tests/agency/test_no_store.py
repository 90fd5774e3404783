"""Nothing shown to a signed-in person is kept by a browser or a proxy cache:
patients, authorizations, their signed forms, photos (HIPAA 164.312(a), shared computers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from posts.media import photos as media
from practices.models import PatientConsent
from tests import factories
from tests import media_samples as samples


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def consent(practice):
    consent = factories.make_consent(
        practice, method=PatientConsent.Method.UPLOAD, typed_signature=""
    )
    consent.document.save("form.pdf", ContentFile(samples.pdf_bytes()), save=False)
    consent.document_content_type = "application/pdf"
    consent.save()
    return consent


@pytest.fixture
def photo(practice, staff):
    return media.store_photo(practice=practice, upload=samples.photo(), by=staff)


def _pages(practice, consent, photo) -> dict[str, str]:
    slug = practice.slug
    return {
        "consent list": reverse("consent_list", args=[slug]),
        "consent detail": reverse("consent_detail", args=[slug, consent.pk]),
        "consent document": reverse("consent_document", args=[slug, consent.pk]),
        "photo": reverse("media_file", args=[photo.pk, "original"]),
        "photo rendering": reverse("media_file", args=[photo.pk, "thumbnail"]),
        "dashboard": reverse("dashboard"),
        "practice": reverse("practice_detail", args=[slug]),
        "tip inbox": reverse("tip_inbox", args=[slug]),
    }


@pytest.mark.parametrize(
    "page",
    [
        "consent list",
        "consent detail",
        "consent document",
        "photo",
        "photo rendering",
        "dashboard",
        "practice",
        "tip inbox",
    ],
)
def test_signed_in_pages_and_files_are_never_stored(
    client, strategist, practice, consent, photo, page
):
    client.force_login(strategist)
    response = client.get(_pages(practice, consent, photo)[page])
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "no-store" in directives
    # Nothing weaker left beside it (the photos were "private, max-age=3600").
    assert not any(d.startswith("max-age=") and d != "max-age=0" for d in directives)


def test_staff_see_their_tip_pages_uncached_too(client, staff):
    client.force_login(staff)
    response = client.get(reverse("staff_home"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_a_stricter_header_set_by_a_view_is_kept(client, strategist, practice, consent):
    # never_cache on the authorization's page says more than no-store: all of it stays.
    client.force_login(strategist)
    response = client.get(reverse("consent_detail", args=[practice.slug, consent.pk]))
    assert "must-revalidate" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_pages_for_no_one_in_particular_are_left_alone(client, practice):
    # The secret tip link's form, to someone not signed in: nothing of anyone's on it.
    response = client.get(reverse("tip_link", args=[practice.tip_link_token]))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_same_page_to_a_signed_in_person_is_not_stored(client, staff, practice):
    client.force_login(staff)
    response = client.get(reverse("tip_link", args=[practice.tip_link_token]))
    assert response["Cache-Control"] == "no-store"
