"""Setting up the app that gives the codes: before any page for someone without one, with a
QR code drawn here, confirmed only by a code from the app, and never on the password alone."""

from __future__ import annotations

import base64

from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from core.models import AuditEvent, AuthenticatorApp
from tests.agency.support import SETUP, VERIFY, enrol, password_step
from tests.factories import totp_code


def test_an_agency_member_without_an_app_enrols_before_any_page(client, newcomer):
    response = password_step(client, "newcomer")
    assert response.url == SETUP
    assert client.get(reverse("dashboard")).url.startswith(SETUP)
    assert client.post(reverse("logout")).status_code == 302


def test_the_setup_page_shows_a_qr_code_and_the_secret_without_javascript(client, newcomer):
    password_step(client, "newcomer")
    page = client.get(SETUP).text
    device = AuthenticatorApp.objects.get(user=newcomer, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode()
    assert '<svg role="img"' in page and "<title>QR code for your app</title>" in page
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page
    # Drawn here: no image from elsewhere, no script for it.
    assert "otpauth://" not in page and "chart.googleapis" not in page
    assert page.count("<script") == 1  # base.html's htmx, nothing more
    # Reloading shows the same secret (a person may have scanned it already).
    assert secret[:8] in client.get(SETUP).text.replace(" ", "")
    assert AuthenticatorApp.objects.filter(user=newcomer).count() == 1


def test_another_session_with_the_password_never_sees_the_secret_being_enrolled(client, newcomer):
    from tests.signin_support import SignInClient

    password_step(client, "newcomer")
    client.get(SETUP)
    ours = AuthenticatorApp.objects.get(user=newcomer, confirmed=False)
    # Someone else who has the password opens the setup page meanwhile.
    intruder = SignInClient()
    password_step(intruder, "newcomer")
    page = intruder.get(SETUP).text
    secret = base64.b32encode(ours.bin_key).decode()
    assert secret[:8] not in page.replace(" ", "")

    # The person confirms their own app: the secret the other session was shown dies.
    client.post(SETUP, {"code": totp_code(ours)})
    assert list(AuthenticatorApp.objects.filter(user=newcomer)) == [ours]
    ours.refresh_from_db()
    assert ours.confirmed


def test_enrolment_confirms_the_app_and_shows_ten_recovery_codes_once(client, newcomer):
    codes = enrol(client, newcomer)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert AuthenticatorApp.objects.get(user=newcomer).confirmed
    assert client.get(reverse("dashboard")).status_code == 200
    security = client.get(reverse("security")).text
    assert "10 unused recovery codes left" in security
    assert not any(code in security for code in codes)
    event = AuditEvent.objects.get(verb="two_factor_enrolled")
    assert event.actor == newcomer and event.detail["replaced_app"] is False
    assert not any(code in str(event.detail) for code in codes)


def test_a_wrong_code_does_not_confirm_the_app(client, newcomer):
    password_step(client, "newcomer")
    client.get(SETUP)
    response = client.post(SETUP, {"code": "123456"})
    assert "That code did not match" in response.text
    assert not AuthenticatorApp.objects.get(user=newcomer).confirmed
    assert client.get(reverse("dashboard")).url.startswith(SETUP)
    assert AuditEvent.objects.filter(verb="two_factor_failed", actor=newcomer).exists()


def test_recovery_codes_are_not_stored_in_clear(client, newcomer):
    codes = enrol(client, newcomer)
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored


def test_a_password_alone_cannot_move_the_second_factor(client, strategist):
    password_step(client, "strategist")
    response = client.get(SETUP)
    assert response.status_code == 302 and response.url.startswith(VERIFY)
    assert client.post(SETUP, {"code": "123456"}).url.startswith(VERIFY)


def test_moving_to_a_new_phone_replaces_the_old_app(client, strategist):
    old = strategist.otp_device
    client.force_login(strategist)
    client.get(SETUP)
    new = AuthenticatorApp.objects.get(user=strategist, confirmed=False)
    client.post(SETUP, {"code": totp_code(new)})
    assert list(AuthenticatorApp.objects.filter(user=strategist)) == [new]
    assert not AuthenticatorApp.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.get(verb="two_factor_enrolled").detail["replaced_app"] is True
