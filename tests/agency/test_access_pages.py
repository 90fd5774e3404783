"""Which pages each role opens, for its own practice and for another: every role against
every object's page, and each role's home."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.agency.support import ROLES, page_status

POST_DETAIL = {
    "lead": 200,
    "strategist": 200,
    "other_strategist": 404,
    "staff": 403,
    "other_staff": 404,
    "doctor": 200,
    "other_doctor": 404,
    "outsider": 404,
}
TIP_DETAIL = {
    "lead": 200,
    "strategist": 200,
    "other_strategist": 404,
    "staff": 200,
    "other_staff": 404,
    "doctor": 403,
    "other_doctor": 404,
    "outsider": 404,
}
PRACTICE_DETAIL = {
    "lead": 200,
    "strategist": 200,
    "other_strategist": 404,
    "staff": 403,
    "other_staff": 404,
    "doctor": 403,
    "other_doctor": 404,
    "outsider": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_post_detail_matrix(client, scene, role):
    url = reverse("post_detail", args=[scene["post"].pk])
    assert page_status(client, scene["people"][role], url) == POST_DETAIL[role]


@pytest.mark.parametrize("role", ROLES)
def test_tip_detail_matrix(client, scene, role):
    url = reverse("tip_detail", args=[scene["tip"].pk])
    assert page_status(client, scene["people"][role], url) == TIP_DETAIL[role]


@pytest.mark.parametrize("role", ROLES)
def test_practice_detail_matrix(client, scene, role):
    url = reverse("practice_detail", args=[scene["practice"].slug])
    assert page_status(client, scene["people"][role], url) == PRACTICE_DETAIL[role]


def test_staff_cannot_see_a_colleagues_tip(client, scene):
    url = reverse("tip_detail", args=[scene["tip"].pk])
    assert page_status(client, scene["people"]["second_staff"], url) == 403


def test_anonymous_is_sent_to_login(client, scene):
    response = client.get(reverse("post_detail", args=[scene["post"].pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_missing_objects_are_404_for_everyone(client, scene):
    assert (
        page_status(client, scene["people"]["lead"], reverse("post_detail", args=[999999])) == 404
    )


@pytest.mark.parametrize(
    ("role", "url_name", "expected"),
    [
        ("lead", "dashboard", 200),
        ("strategist", "dashboard", 200),
        ("staff", "dashboard", 403),
        ("doctor", "dashboard", 403),
        ("outsider", "dashboard", 403),
        ("doctor", "approvals", 200),
        ("staff", "approvals", 403),
        ("outsider", "approvals", 403),
        ("staff", "staff_home", 200),
        ("doctor", "staff_home", 403),
        ("outsider", "staff_home", 403),
    ],
)
def test_role_homes_are_guarded(client, scene, role, url_name, expected):
    assert page_status(client, scene["people"][role], reverse(url_name)) == expected
