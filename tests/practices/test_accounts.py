from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import totp_code
from tests.publishing_support import sent_mail

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase 42"


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("lead", "dashboard"),
        ("strategist", "dashboard"),
        ("doctor", "approvals"),
        ("staff", "staff_home"),
    ],
)
def test_login_lands_each_role_on_its_home(client, request, role, home):
    user = request.getfixturevalue(role)
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    if user.is_agency:
        # The agency signs in with two factors: the code from their app comes next.
        assert response.redirect_chain[-1][0] == reverse("two_factor_verify")
        response = client.post(
            reverse("two_factor_verify"), {"code": totp_code(user.otp_device)}, follow=True
        )
    assert response.redirect_chain[-1][0] == reverse(home)
    assert response.status_code == 200


def test_login_with_email(client, strategist):
    response = client.post(
        reverse("login"), {"username": strategist.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("two_factor_verify")
    response = client.post(
        reverse("two_factor_verify"), {"code": totp_code(strategist.otp_device)}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")


def test_wrong_password_shows_an_error(client, strategist):
    response = client.post(reverse("login"), {"username": "strategist", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.text


def test_logout(client, strategist):
    client.force_login(strategist)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_reset_by_email(client, doctor):
    response = client.post(reverse("password_reset"), {"email": doctor.email})
    assert response.status_code == 302
    assert len(sent_mail()) == 1
    message = sent_mail()[0]
    assert message.to == [doctor.email]
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", message.body).group(1)
    page = client.get(link, follow=True)
    assert page.status_code == 200
    response = client.post(
        page.redirect_chain[-1][0],
        {
            "new_password1": "a brand new passphrase 42",
            "new_password2": "a brand new passphrase 42",
        },
    )
    assert response.status_code == 302
    assert client.login(username="doctor", password=NEW_PASSWORD)


def test_password_reset_for_unknown_address_sends_nothing_and_says_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert sent_mail() == []


def test_user_without_practice_sees_a_clear_page(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "not linked to a practice" in response.text


def test_login_page_has_csp_header(client, db):
    response = client.get(reverse("login"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
