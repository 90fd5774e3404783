"""The access tests' practice with its people and objects, and a strategist who has not set
up two-factor sign-in yet."""

from __future__ import annotations

import pytest

from core.models import User
from posts.models import Post, Publication
from practices.models import Membership
from tests import factories


@pytest.fixture
def scene(
    practice,
    other_practice,
    lead,
    strategist,
    other_strategist,
    staff,
    other_staff,
    doctor,
    other_doctor,
    outsider,
):
    """One practice's objects, and the people around it."""
    second_staff = factories.make_member(practice, Membership.Role.STAFF, "second_staff")
    account = factories.make_account(practice)
    tip = factories.make_tip(practice, submitted_by=staff)
    # Sent to the doctor: what every role's row in the matrices is about (drafts: in
    # test_doctor_visibility.py).
    post = factories.make_post(
        practice, author=strategist, targets=[account], status=Post.Status.IN_REVIEW
    )
    consent = factories.make_consent(practice)
    publication = Publication.objects.create(post=post, account=account)
    return {
        "people": {
            "lead": lead,
            "strategist": strategist,
            "other_strategist": other_strategist,
            "staff": staff,
            "other_staff": other_staff,
            "doctor": doctor,
            "other_doctor": other_doctor,
            "outsider": outsider,
            "second_staff": second_staff,
        },
        "practice": practice,
        "account": account,
        "tip": tip,
        "post": post,
        "consent": consent,
        "publication": publication,
    }


@pytest.fixture
def newcomer(practice):
    """A strategist who has not set up an app yet."""
    user = factories.make_user("newcomer", agency_role=User.AgencyRole.STRATEGIST, two_factor=False)
    user.assignments.create(practice=practice)
    return user
