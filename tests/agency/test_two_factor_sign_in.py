"""The code asked for after the password: who is asked, what opens once it is given, and how
wrong or reused codes are refused and slowed down."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from core.models import AuditEvent, AuthenticatorApp
from tests import factories
from tests.agency.support import SETUP, VERIFY, password_step
from tests.factories import totp_code


def test_the_agency_is_asked_for_a_code_after_the_password(client, strategist):
    response = password_step(client, "strategist")
    assert response.status_code == 302 and response.url == VERIFY
    page = client.get(VERIFY)
    assert "Enter your code" in page.text and 'autocomplete="one-time-code"' in page.text
    response = client.post(VERIFY, {"code": totp_code(strategist.otp_device)})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/dashboard/",
        "/accounts/",
        "/account/security/",
        "/admin/",
        "/practices/lakeside-fertility/consents/",
    ],
)
def test_after_the_password_alone_no_page_opens(client, strategist, url):
    password_step(client, "strategist")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(VERIFY)


def test_the_admin_is_behind_the_second_step_too(client, db):
    factories.make_user("boss", agency_role="lead", is_staff=True, is_superuser=True)
    password_step(client, "boss")
    assert client.get("/admin/agency/auditevent/").url.startswith(VERIFY)


def test_staff_and_doctors_are_not_asked(client, staff, doctor):
    assert password_step(client, "staff").url == reverse("home")
    assert client.get(reverse("staff_home")).status_code == 200
    client.logout()
    assert password_step(client, "doctor").url == reverse("home")
    assert client.get(reverse("approvals")).status_code == 200


def test_staff_cannot_open_the_setup_page(client, staff):
    client.force_login(staff)
    assert client.get(SETUP).status_code == 403
    assert client.get(reverse("security")).status_code == 403


def test_the_page_asked_for_is_reached_after_both_steps(client, strategist, practice):
    consents = reverse("consent_list", args=[practice.slug])
    response = client.get(consents)
    assert response.url == f"{reverse('login')}?next={consents}"
    response = password_step(client, "strategist", next_url=consents)
    assert response.url == f"{VERIFY}?next={consents.replace('/', '%2F')}"
    response = client.post(VERIFY, {"code": totp_code(strategist.otp_device), "next": consents})
    assert response.url == consents
    assert client.get(consents).status_code == 200


def test_a_next_address_elsewhere_is_ignored(client, strategist):
    password_step(client, "strategist")
    response = client.post(
        VERIFY, {"code": totp_code(strategist.otp_device), "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")


def test_a_wrong_code_is_refused_and_audited(client, strategist):
    password_step(client, "strategist")
    response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 200
    assert "That code did not work" in response.text
    assert client.get(reverse("dashboard")).url.startswith(VERIFY)
    failed = AuditEvent.objects.get(verb="two_factor_failed")
    assert failed.actor == strategist and "000000" not in str(failed.detail)


def test_wrong_codes_slow_down_even_the_right_one(client, strategist, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a minute after the first wrong code
    password_step(client, "strategist")
    client.post(VERIFY, {"code": "000000"})
    response = client.post(VERIFY, {"code": totp_code(strategist.otp_device)})
    assert response.status_code == 200
    assert re.search(r"Too many wrong codes\. Wait \d+ seconds", response.text)
    assert client.get(reverse("dashboard")).url.startswith(VERIFY)


def test_a_code_is_accepted_once(client, strategist):
    code = totp_code(strategist.otp_device)
    password_step(client, "strategist")
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.logout()
    password_step(client, "strategist")
    assert client.post(VERIFY, {"code": code}).status_code == 200
    assert client.get(reverse("dashboard")).url.startswith(VERIFY)


def test_verification_is_audited_and_gives_a_new_session_key(client, strategist):
    password_step(client, "strategist")
    before = client.session.session_key
    client.post(VERIFY, {"code": totp_code(strategist.otp_device)})
    assert client.session.session_key != before
    event = AuditEvent.objects.get(verb="two_factor_verified")
    assert event.actor == strategist and event.detail == {"method": "app"}
    assert event.ip_address == "127.0.0.1"


def test_removing_the_app_ends_what_it_verified(client, strategist):
    client.force_login(strategist)
    assert client.get(reverse("dashboard")).status_code == 200
    AuthenticatorApp.objects.filter(user=strategist).delete()
    # No app left: back to enrolment, even in a session that was verified.
    assert client.get(reverse("dashboard")).url.startswith(SETUP)
