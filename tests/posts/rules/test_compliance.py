"""The compliance panel's rules (posts.rules.compliance): identifiers, authorizations, reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.media import photos as media
from posts.models import IllegalTransition, PostMedia
from posts.rules import compliance
from tests import factories
from tests import media_samples as samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(practice):
    practice.phone = "(312) 555-0100"
    practice.fax = "312.555.0101"
    practice.email = "hello@lakesidefertility.example"
    practice.street_address = "400 N Lake Shore Drive, Chicago"
    practice.save()
    return practice


def found(text, practice, names=None):
    return [
        f.message.split(":")[0]
        for f in compliance.identifiers_in(text, practice=practice, names=names or {})
    ]


PHONE = "A phone or fax number that is not the practice's"
EMAIL = "An e-mail address that is not the practice's"
DATE = "A date tied to a person"
NUMBER = "A record, account or health-plan number"
SSN = "A social-security-like number"
STREET = "A street address that is not the practice's"
NAME = "A patient's name their authorization does not allow using"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call Maria at 773-555-0199 to hear her story.", [PHONE]),
        ("Text (773) 555 0199 today", [PHONE]),
        ("Our line: (312) 555-0100, fax 312-555-0101.", []),  # the practice's own
        ("Write to maria.garcia@gmail.com", [EMAIL]),
        ("Write to hello@lakesidefertility.example or dr.lee@lakesidefertility.example", []),
        ("Baby Ava, born on March 3, 2026, is home!", [DATE]),
        ("DOB 04/12/1988", [DATE]),
        ("She was admitted on 2026-02-01 and discharged two days later.", [DATE]),
        ("Join our open house on March 3, 2027.", []),  # an event, tied to no one
        ("MRN 00482913 was updated", [NUMBER]),
        ("Member ID: XJH448812", [NUMBER]),
        ("Account # 55120-88", [NUMBER]),
        ("SSN 123-45-6789", [SSN]),
        ("Visit her at 1200 W Maple Street", [STREET]),
        ("Visit us at 400 N Lake Shore Drive", []),  # the practice's address
        ("We treated 400 patients last year.", []),
        ("Happy 10th anniversary, Nurse Jo!", []),
    ],
)
def test_identifiers_in_text(clinic, text, expected):
    assert found(text, clinic) == expected


def test_names_from_an_authorization_that_does_not_allow_them(clinic):
    names = {"Maria Garcia": False, "Maria": False, "Ann Lee": True}
    assert found("Maria's journey, in her words.", clinic, names) == [NAME]
    assert found("Thank you, Ann Lee!", clinic, names) == []
    assert found("Mariachi night at the clinic", clinic, names) == []


def test_a_name_is_flagged_when_its_authorization_does_not_cover_name(clinic):
    factories.make_consent(clinic, patient_label="Maria G.", uses=["photo", "story"])
    post = factories.make_post(clinic, caption="Maria's story of hope.")
    findings = compliance.review(post, platforms=["facebook"])
    assert [f.kind for f in findings] == [compliance.IDENTIFIER]
    factories.make_consent(clinic, patient_label="Maria G.", uses=["photo", "story", "name"])
    assert compliance.review(post, platforms=["facebook"]) == []


def test_overrides_are_checked_too_and_say_where(clinic):
    post = factories.make_post(clinic, overrides={"x": "Call 773-555-0199"})
    (finding,) = compliance.review(post, platforms=["x"])
    assert finding.where == "X text"
    assert finding.blocks


def test_patient_uses_need_an_authorization_until_the_scheduled_time(clinic):
    consent = factories.make_consent(
        clinic, uses=["photo", "story"], expires_at=timezone.now() + timedelta(days=2)
    )
    post = factories.make_post(
        clinic, features_patient=True, patient_uses=["story"], caption="A story."
    )
    post.consents.set([consent])
    assert compliance.review(post, platforms=["facebook"]) == []
    post.scheduled_at = timezone.now() + timedelta(days=5)
    (finding,) = compliance.review(post, platforms=["facebook"])
    assert finding.kind == compliance.AUTHORIZATION and "expired" in finding.message
    post.scheduled_at = None
    (finding,) = compliance.review(post, platforms=["linkedin"])
    assert "does not cover LinkedIn" in finding.message
    post.patient_uses = ["story", "name"]
    messages = [f.message for f in compliance.review(post, platforms=["facebook"])]
    assert messages == ["The authorization for Maria G. does not allow: name."]


def test_a_patient_post_without_any_authorization(clinic):
    post = factories.make_post(clinic, features_patient=True, patient_uses=["photo"])
    messages = [f.message for f in compliance.review(post, platforms=["facebook"])]
    assert messages == ["The post features a patient but no authorization is attached."]


def test_a_photo_that_came_with_an_authorization_relies_on_it_in_any_post(clinic, staff, redis_db):
    consent = factories.make_consent(clinic, platforms=["facebook"])
    tip = factories.make_tip(clinic, submitted_by=staff, features_patient=True, consent=consent)
    asset = media.store_photo(practice=clinic, upload=samples.photo(), by=staff)
    tip.tipphoto_set.create(asset=asset, position=0)
    # A post not drafted from that tip, using its photo.
    post = factories.make_post(clinic, caption="Our new waiting room.")
    PostMedia.objects.create(post=post, asset=asset, position=0)
    messages = [f.message for f in compliance.review(post, platforms=["facebook"])]
    assert messages == [
        "Photo 1: it came with the authorization for Maria G., which this post does not "
        "rely on (draft it from that tip, or attach the authorization)."
    ]
    post.consents.set([consent])
    assert compliance.review(post, platforms=["facebook"]) == []
    messages = [f.message for f in compliance.review(post, platforms=["instagram"])]
    assert messages == [
        "The authorization for Maria G. does not cover Instagram.",
        "Photo 1: the authorization for Maria G. does not cover Instagram.",
    ]
    # Approving keeps the same rule (the publisher's: posts/publishing/test_checks_at_publishing).
    post.consents.clear()
    post.submit_for_review()
    with pytest.raises(IllegalTransition, match="which this post does not rely on"):
        post.approve(by=staff, via="login")


def test_testimonials_get_the_disclosure_reminder_which_does_not_block(clinic):
    post = factories.make_post(clinic, is_testimonial=True)
    (finding,) = compliance.review(post, platforms=["facebook"])
    assert finding.kind == compliance.REMINDER and not finding.blocks
    assert "FTC 16 CFR 255" in finding.message


def test_accepting_needs_a_reason_and_covers_only_what_was_found(clinic, strategist):
    post = factories.make_post(clinic, caption="Call Dr. Lee at 773-555-0199.")
    with pytest.raises(ValueError, match="say why"):
        compliance.accept_identifiers(post=post, reason="  ", by=strategist)
    compliance.accept_identifiers(post=post, reason="Dr. Lee's public line.", by=strategist)
    assert compliance.blocking(compliance.review(post, platforms=["facebook"])) == []
    post.caption += " Or 773-555-0142."
    (blocking,) = compliance.blocking(compliance.review(post, platforms=["facebook"]))
    assert "773-555-0142" in blocking.message
