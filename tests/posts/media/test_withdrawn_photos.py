"""A signed URL lives a day, but a patient's photo stops being public the moment the
authorization is revoked or lapses, or the post is cancelled; one still used elsewhere stays."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from posts.media import photos as media
from posts.models import Post
from posts.publishing import takedown
from practices.models import PatientConsent
from tests import factories
from tests.posts.media.support import fetch, on_post, path

# On the media folder and on an S3 bucket (tests/media_storage.py).
pytestmark = pytest.mark.usefixtures("media_storage")


def test_a_signed_photo_is_gone_once_the_authorization_is_revoked(
    client, asset, practice, strategist, django_capture_on_commit_callbacks
):
    consent = factories.make_consent(practice)
    # Partly out already: a revocation takes it down but does not cancel it, so
    # only the revoked authorization can refuse its photo.
    post = on_post(
        asset, features_patient=True, patient_uses=["photo"], status=Post.Status.PARTIALLY_FAILED
    )
    post.consents.add(consent)
    urls = [
        media.signed_variant_url(asset=asset, spec=spec)
        for spec in ("instagram_square", "original")
    ]
    assert [fetch(client, url).status_code for url in urls] == [200, 200]

    client.force_login(strategist)
    today = practice.local(timezone.now()).date().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("consent_revoke", args=[practice.slug, consent.pk]),
            {"received_on": today, "note": "Letter received."},
        )
    client.logout()
    consent.refresh_from_db()
    assert consent.revoked_at is not None
    post.refresh_from_db()
    assert post.status == Post.Status.PARTIALLY_FAILED
    for url in urls:
        response = fetch(client, url)
        assert response.status_code == 410
        assert response["Cache-Control"] == "no-store"


def test_a_post_relying_on_its_tips_authorization_loses_its_photo_with_it(
    client, asset, practice, strategist, staff
):
    # The post has no authorization attached: it relies on its tip's. The photo is
    # not one the tip brought, the post is still going out (a failed post waits
    # for a retry) and the authorization is revoked in its row: only the post's
    # reliance on its tip's authorization can refuse the photo.
    consent = factories.make_consent(practice)
    tip = factories.make_tip(practice, submitted_by=staff, consent=consent)
    on_post(asset, tip=tip, status=Post.Status.FAILED)
    url = media.signed_variant_url(asset=asset, spec="instagram_square")
    assert fetch(client, url).status_code == 200
    PatientConsent.objects.filter(pk=consent.pk).update(revoked_at=timezone.now())
    assert fetch(client, url).status_code == 410


def test_a_signed_photo_is_gone_once_its_post_is_cancelled(client, asset):
    post = on_post(asset, status=Post.Status.SCHEDULED)
    url = media.signed_variant_url(asset=asset, spec="facebook")
    assert fetch(client, url).status_code == 200
    post.cancel(reason="Not this week.")
    assert fetch(client, url).status_code == 410


def test_a_signed_photo_is_gone_once_the_authorization_expires(client, asset, practice):
    consent = factories.make_consent(practice)
    post = on_post(asset, status=Post.Status.SCHEDULED)
    post.consents.add(consent)
    url = media.signed_variant_url(asset=asset, spec="facebook")
    assert fetch(client, url).status_code == 200
    PatientConsent.objects.filter(pk=consent.pk).update(expires_at=timezone.now())
    assert fetch(client, url).status_code == 410


def test_a_photo_another_live_post_still_uses_is_served(client, asset, practice, strategist):
    consent = factories.make_consent(practice)
    relying = on_post(asset, status=Post.Status.SCHEDULED)
    relying.consents.add(consent)
    on_post(asset, status=Post.Status.SCHEDULED)  # a team photo also used elsewhere
    takedown.revoke_consent(
        consent=consent, received_at=timezone.now(), note="Letter", by=strategist
    )
    relying.refresh_from_db()
    assert relying.status == Post.Status.CANCELLED
    url = media.signed_variant_url(asset=asset, spec="facebook")
    assert fetch(client, url).status_code == 200


def test_a_photo_whose_tip_authorization_lapsed_is_withdrawn_from_any_post(client, asset, practice):
    from datetime import timedelta

    from django.utils import timezone

    from posts.models import Tip, TipPhoto

    consent = factories.make_consent(practice)
    tip = Tip.objects.create(
        practice=practice,
        kind="patient_story",
        text="A story",
        features_patient=True,
        consent=consent,
    )
    TipPhoto.objects.create(tip=tip, asset=asset, position=0)
    on_post(asset)  # not drafted from the tip, and relying on nothing
    url = path(media.signed_variant_url(media.variant_for(asset, "x")))
    assert client.get(url).status_code == 200
    consent.revoked_at = timezone.now() - timedelta(seconds=1)
    consent.save(update_fields=["revoked_at"])
    assert client.get(url).status_code == 410
