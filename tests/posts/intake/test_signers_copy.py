"""The signer's copy of an authorization (45 CFR 164.508(c)(4)): e-mailed or printed."""

from __future__ import annotations

from django.urls import reverse

from posts.models import Tip
from practices.models import Membership
from tests import factories
from tests import media_samples as samples
from tests.posts.intake.support import (
    LINK_TIP,
    STAFF_HOME,
    counts,
    esigned_consent,
    link,
)
from tests.publishing_support import sent_mail

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
    # Only for the person who sent the tip (and the agency): not a colleague at the
    # same practice, and not someone of another practice.
    colleague = factories.make_member(practice, Membership.Role.STAFF, "colleague")
    staff_client.force_login(colleague)
    assert staff_client.get(response["Location"]).status_code == 403
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
