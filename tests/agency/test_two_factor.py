"""Two-factor sign-in for the agency (HIPAA 164.312(d)): enrolment with a QR code, the code
step after the password, single-use recovery codes, and the demo exemption.

Real django-otp devices throughout; codes are computed from the device's key
as the person's app would (tests.factories.totp_code).
"""

from __future__ import annotations

import base64
import io
import re
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from core.models import AuditEvent, AuthenticatorApp, User
from core.two_factor import _recovery_hash
from posts.management.commands.demo_data import DEMO_PASSWORD
from tests import factories
from tests.factories import totp_code

PASSWORD = "correct horse battery staple"
VERIFY = reverse("two_factor_verify")
SETUP = reverse("two_factor_setup")


def password_step(client, username, password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def recovery_codes(page: str) -> list[str]:
    return re.findall(r"<code>([a-z2-7]{5}-[a-z2-7]{5})</code>", page)


@pytest.fixture
def newcomer(practice):
    """A strategist who has not set up an app yet."""
    user = factories.make_user("newcomer", agency_role=User.AgencyRole.STRATEGIST, two_factor=False)
    user.assignments.create(practice=practice)
    return user


def enrol(client, user) -> list[str]:
    """Through the real pages: password, the setup page, a code from the new app."""
    password_step(client, user.username)
    client.get(SETUP)
    device = AuthenticatorApp.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": totp_code(device)})
    assert response.status_code == 200
    return recovery_codes(response.text)


# -- who is asked -----------------------------------------------------------------


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


# -- enrolment -----------------------------------------------------------------------


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


# -- recovery codes ----------------------------------------------------------------------


def test_a_recovery_code_signs_in_once(client, newcomer):
    codes = enrol(client, newcomer)
    client.logout()
    password_step(client, "newcomer")
    response = client.post(VERIFY, {"code": codes[0].upper().replace("-", " ")})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    event = AuditEvent.objects.get(verb="two_factor_verified")
    assert event.detail == {"method": "recovery_code", "recovery_codes_left": 9}
    client.logout()
    password_step(client, "newcomer")
    assert "That code did not work" in client.post(VERIFY, {"code": codes[0]}).text


def test_few_recovery_codes_left_is_said(client, newcomer):
    codes = enrol(client, newcomer)
    StaticToken.objects.filter(device__user=newcomer).exclude(
        pk__in=StaticToken.objects.filter(device__user=newcomer).order_by("pk")[:3]
    ).delete()
    client.logout()
    password_step(client, "newcomer")
    stored = set(StaticToken.objects.values_list("token", flat=True))
    code = next(c for c in codes if _recovery_hash(c.replace("-", "")) in stored)
    response = client.post(VERIFY, {"code": code}, follow=True)
    assert "2 recovery codes left: make new ones" in response.text


def test_new_recovery_codes_replace_the_old_ones(client, newcomer):
    old = enrol(client, newcomer)
    response = client.post(reverse("recovery_codes_new"))
    new = recovery_codes(response.text)
    assert len(new) == 10 and not set(new) & set(old)
    assert AuditEvent.objects.filter(verb="recovery_codes_regenerated", actor=newcomer).exists()
    client.logout()
    password_step(client, "newcomer")
    assert "That code did not work" in client.post(VERIFY, {"code": old[1]}).text
    time.sleep(1.1)  # django-otp holds the next try a second after a wrong code
    assert client.post(VERIFY, {"code": new[1]}).status_code == 302


def test_the_security_page_is_linked_for_the_agency(client, strategist):
    client.force_login(strategist)
    page = client.get(reverse("dashboard")).text
    assert f'href="{reverse("security")}"' in page
    security = client.get(reverse("security"))
    assert security.status_code == 200
    assert "Move to a new phone or app" in security.text


# -- the demo exemption --------------------------------------------------------------------


@pytest.fixture
def demo(db):
    call_command("demo_data", stdout=io.StringIO())


def test_demo_accounts_sign_in_with_the_password_alone(client, demo):
    assert User.objects.get(username="lead").two_factor_exempt
    response = client.post(reverse("login"), {"username": "lead", "password": DEMO_PASSWORD})
    assert response.url == reverse("home")
    assert client.get(reverse("dashboard")).status_code == 200


def test_the_demo_exemption_is_refused_in_production(client, demo, settings):
    settings.PRODUCTION = True
    response = client.post(reverse("login"), {"username": "lead", "password": DEMO_PASSWORD})
    assert response.url == SETUP
    assert client.get(reverse("dashboard")).url.startswith(SETUP)


def test_a_demo_account_that_sets_up_an_app_is_asked_for_it(client, demo):
    lead = User.objects.get(username="lead")
    device = factories.give_app(lead)
    client.post(reverse("login"), {"username": "lead", "password": DEMO_PASSWORD})
    assert client.get(reverse("dashboard")).url.startswith(VERIFY)
    client.post(VERIFY, {"code": totp_code(device)})
    assert client.get(reverse("dashboard")).status_code == 200


def test_no_form_can_exempt_anyone(client, db):
    field = User._meta.get_field("two_factor_exempt")
    assert field.editable is False
    boss = factories.make_user("boss", agency_role="lead", is_staff=True, is_superuser=True)
    client.force_login(boss)
    page = client.get(reverse("admin:agency_user_change", args=[boss.pk]))
    assert page.status_code == 200
    assert "two_factor_exempt" not in page.text


# -- the app's secret, encrypted at rest ----------------------------------------------


def stored_key(device: AuthenticatorApp) -> str:
    """The key column as the database holds it (not through the model's field)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM agency_authenticatorapp WHERE id = %s", [device.pk])
        return str(cursor.fetchone()[0])


def test_the_apps_secret_is_encrypted_in_the_database(client, lead):
    from core.fields import decrypt

    device = AuthenticatorApp.objects.get(user=lead)
    held = stored_key(device)
    assert device.key not in held and len(device.key) == 40  # 20 bytes, hex
    assert decrypt(held) == device.key
    # And the app's codes still sign in.
    password_step(client, "lead")
    client.post(VERIFY, {"code": totp_code(device)})
    assert client.get(reverse("dashboard")).status_code == 200


def test_apps_enrolled_before_are_moved_to_the_encrypted_device(lead):
    import importlib

    from django.apps import apps
    from django_otp.plugins.otp_totp.models import TOTPDevice

    migration = importlib.import_module("core.migrations.0010_move_authenticator_apps")
    AuthenticatorApp.objects.filter(user=lead).delete()
    old = TOTPDevice.objects.create(user=lead, name="Authenticator app", confirmed=True, last_t=7)
    TOTPDevice.objects.filter(pk=old.pk).update(created_at="2025-01-02T03:04:05Z")
    migration.encrypt_apps(apps, None)
    assert not TOTPDevice.objects.exists()
    moved = AuthenticatorApp.objects.get(user=lead)
    assert (moved.key, moved.name, moved.confirmed, moved.last_t) == (old.key, old.name, True, 7)
    assert moved.created_at.year == 2025
    assert old.key not in stored_key(moved)
    # Back again, for a migration undone.
    migration.decrypt_apps(apps, None)
    assert TOTPDevice.objects.get(user=lead).key == old.key
    assert not AuthenticatorApp.objects.exists()
