"""What is checked again at the moment of publishing: authorizations, and the approved version."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.media import photos as media
from posts.models import IllegalTransition, Post, Publication
from practices.models import PatientConsent
from tests import factories
from tests import media_samples as samples
from tests.posts.publishing.support import publications
from tests.publishing_support import (
    scheduled_post,
    sent_mail,
)

pytestmark = pytest.mark.django_db

Status = Publication.Status
Kind = Publication.ErrorKind


# -- checks at the moment of publishing -------------------------------------------


def _patient_post(world, consent, platforms):
    return scheduled_post(
        world, platforms, features_patient=True, patient_uses=["story"], consents=[consent]
    )


def test_the_consent_check_uses_the_authorizations_it_is_given(
    world, sandbox, django_assert_num_queries
):
    # The publisher reads them once per attempt and hands them to every check.
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = _patient_post(world, consent, ["facebook"])
    consents = list(post.relied_consents())
    now = timezone.now()
    with django_assert_num_queries(0):
        assert post.consent_problems(["facebook"], at=now, consents=consents) == []
        assert post.consent_problems(["x"], at=now, consents=consents) != []
        assert post.consent_problems(["facebook"], at=now, consents=[]) == [
            "the post features a patient but no authorization is attached"
        ]
    # Nothing is left on the post for a later step to pick up unseen.
    assert not hasattr(post, "checked_consents")


def test_a_photo_that_came_with_an_authorization_is_checked_at_publishing(world, sandbox, run_due):
    asset = media.store_photo(practice=world["practice"], upload=samples.photo(), by=None)
    post = scheduled_post(world, ["facebook"], photos=[asset])
    # After the approval the same photo comes in with a tip and a patient's
    # authorization that the post does not rely on: nothing goes out.
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    tip = factories.make_tip(world["practice"], features_patient=True, consent=consent)
    tip.tipphoto_set.create(asset=asset, position=0)

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.CONSENT
    assert "which this post does not rely on" in publication.last_error_message
    assert sandbox.ledger() == []


def test_consent_revoked_after_approval_fails_with_nothing_sent(world, sandbox, run_due):
    consent = factories.make_consent(world["practice"], platforms=["facebook", "x"])
    post = _patient_post(world, consent, ["facebook"])
    # Revoked directly (as if between the approval and now), not through the
    # registry: the check at publishing time is what is under test.
    consent.revoked_at = timezone.now() - timedelta(minutes=1)
    consent.save(update_fields=["revoked_at"])

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.CONSENT
    assert "revoked" in publication.last_error_message
    assert sandbox.ledger() == []
    # The e-mail gives the reason's class, not the patient's name.
    assert len(sent_mail()) == 1
    assert "Maria" not in sent_mail()[0].body


def test_consent_expired_before_publishing_fails(world, sandbox, run_due):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    post = _patient_post(world, consent, ["facebook"])
    consent.expires_at = timezone.now() - timedelta(seconds=5)
    consent.save(update_fields=["expires_at"])

    run_due()

    publication = post.publications.get()
    assert publication.status == Status.FAILED
    assert publication.last_error_kind == Kind.CONSENT
    assert "expired" in publication.last_error_message
    assert sandbox.ledger() == []


def test_a_post_is_not_approved_for_a_platform_its_consent_does_not_cover(world, sandbox):
    consent = factories.make_consent(world["practice"], platforms=["facebook"])
    with pytest.raises(IllegalTransition, match="does not cover X"):
        _patient_post(world, consent, ["facebook", "x"])


def test_consent_narrowed_after_approval_stops_only_that_platform(world, sandbox, run_due):
    consent = factories.make_consent(world["practice"], platforms=["facebook", "x"])
    post = _patient_post(world, consent, ["facebook", "x"])
    # The record corrected behind the product's back (it offers no way to edit
    # a signed authorization): the check at publishing time is per platform.
    PatientConsent.objects.filter(pk=consent.pk).update(platforms=["facebook"])

    run_due()

    result = publications(post)
    assert result["facebook"].status == Status.PUBLISHED
    assert result["x"].status == Status.FAILED
    assert "does not cover X" in result["x"].last_error_message
    assert sandbox.ledger("x") == []
    post.refresh_from_db()
    assert post.status == Post.Status.PARTIALLY_FAILED


def test_post_edited_after_approval_is_not_published(world, sandbox, run_due):
    post = scheduled_post(world, ["facebook"])
    Post.objects.filter(pk=post.pk).update(caption="A different text nobody approved.")

    run_due()

    # Refused, nothing sent: back to draft with the reason (the refused publication
    # goes; scheduling the post again makes it anew).
    assert sandbox.ledger() == []
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert not post.publications.exists()
    assert "changed after it was approved" in post.comments.get().body
