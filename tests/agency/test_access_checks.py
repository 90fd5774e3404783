"""The access checks behind the pages: what each role may load by its id, and which posts,
tips and authorizations each role's lists hold."""

from __future__ import annotations

import pytest

from posts import access
from tests.agency.support import ROLES, outcome

HELPER_EXPECTATIONS = {
    # role: (consent, account)
    "lead": ("ok", "ok"),
    "strategist": ("ok", "ok"),
    "other_strategist": (404, 404),
    "staff": (403, 403),
    "other_staff": (404, 404),
    "doctor": (403, 403),
    "other_doctor": (404, 404),
    "outsider": (404, 404),
}


@pytest.mark.parametrize("role", ROLES)
def test_consent_and_account_helpers_matrix(scene, role):
    user = scene["people"][role]
    expected_consent, expected_account = HELPER_EXPECTATIONS[role]
    assert outcome(access.get_consent_for_user, user, scene["consent"].pk) == expected_consent
    assert outcome(access.get_account_for_user, user, scene["account"].pk) == expected_account


@pytest.mark.parametrize("role", ROLES)
def test_publication_helper_matrix(scene, role):
    # The agency's buttons on a publication: the same rules as its account.
    user = scene["people"][role]
    _, expected = HELPER_EXPECTATIONS[role]
    assert outcome(access.get_publication_for_user, user, scene["publication"].pk) == expected


def test_publication_helper_loads_post_practice_and_account_in_one_query(
    scene, django_assert_num_queries
):
    lead = scene["people"]["lead"]
    with django_assert_num_queries(1):
        publication = access.get_publication_for_user(lead, scene["publication"].pk)
        assert publication.post.practice == scene["practice"]
        assert publication.account == scene["account"]
    assert outcome(access.get_publication_for_user, lead, scene["publication"].pk + 1000) == 404


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("lead", 1),
        ("strategist", 1),
        ("other_strategist", 0),
        ("staff", 0),
        ("other_staff", 0),
        ("doctor", 1),
        ("other_doctor", 0),
        ("outsider", 0),
    ],
)
def test_posts_visible_to(scene, role, expected):
    assert access.posts_visible_to(scene["people"][role]).count() == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("lead", 1),
        ("strategist", 1),
        ("other_strategist", 0),
        ("staff", 1),
        ("other_staff", 0),
        ("doctor", 0),
        ("other_doctor", 0),
        ("outsider", 0),
        ("second_staff", 0),
    ],
)
def test_tips_visible_to(scene, role, expected):
    assert access.tips_visible_to(scene["people"][role]).count() == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("lead", 1),
        ("strategist", 1),
        ("other_strategist", 0),
        ("staff", 0),
        ("doctor", 0),
        ("outsider", 0),
    ],
)
def test_consents_visible_to(scene, role, expected):
    assert access.consents_visible_to(scene["people"][role]).count() == expected


def test_doctor_sees_post_photos_but_not_tip_photos(scene):
    from posts.models import MediaAsset, PostMedia

    practice = scene["practice"]
    on_post = MediaAsset.objects.create(
        practice=practice, file="a.jpg", width=1, height=1, size_bytes=1, sha256="a" * 64
    )
    on_tip_only = MediaAsset.objects.create(
        practice=practice, file="b.jpg", width=1, height=1, size_bytes=1, sha256="b" * 64
    )
    PostMedia.objects.create(post=scene["post"], asset=on_post)
    scene["tip"].photos.add(on_tip_only)
    doctor = scene["people"]["doctor"]
    assert access.get_media_for_user(doctor, on_post.pk) == on_post
    assert outcome(access.get_media_for_user, doctor, on_tip_only.pk) == 403
    assert outcome(access.get_media_for_user, scene["people"]["staff"], on_tip_only.pk) == "ok"
    assert outcome(access.get_media_for_user, scene["people"]["other_staff"], on_post.pk) == 404
