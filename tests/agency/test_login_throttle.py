"""Failed logins are throttled per account and per address; so are password-reset requests.

While locked, even the right password is refused; when Redis cannot count,
sign-in is refused too (fail closed). Counts are real, in this worker's Redis
database (tests/conftest.py empties them before each test).
"""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.urls import reverse

from core import ratelimit
from core.models import AuditEvent
from tests import factories

PASSWORD = "correct horse battery staple"
WRONG = "not-the-password-9"
CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def attempt(client, username, password=WRONG, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# -- per account -------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(client, lead):
    for _ in range(4):
        response = attempt(client, "lead")
        assert response.status_code == 200
        assert "correct username and password" in response.text
    # The fifth wrong password is the last one allowed: the page says so at once.
    fifth = attempt(client, "lead")
    assert fifth.status_code == 429
    response = attempt(client, "lead", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    assert 890 <= int(response["Retry-After"]) <= 900
    assert "Please try again in 15 minutes." in response.text
    assert "even with the right password" in response.text


def test_a_locked_attempt_is_audited_without_the_password(client, lead):
    for _ in range(5):
        attempt(client, "lead")
    attempt(client, "lead", PASSWORD)
    locked = AuditEvent.objects.get(verb="login_locked")
    assert locked.actor_label == "lead" and locked.ip_address == "127.0.0.1"
    assert locked.object_type == "agency.user" and locked.object_id == str(lead.pk)
    assert locked.detail["scope"] == "account"
    assert AuditEvent.objects.filter(verb="login_failed").count() == 5
    for event in AuditEvent.objects.all():
        assert PASSWORD not in str(event.detail) + event.actor_label
        assert WRONG not in str(event.detail) + event.actor_label


def test_the_account_is_counted_however_it_is_typed(client, doctor):
    for typed in ("doctor", " Doctor", "DOCTOR ", "doctor@example.test", "Doctor@Example.test"):
        attempt(client, typed)
    response = attempt(client, "Doctor@example.test", PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    # Audited under the account's name, not the address typed.
    assert AuditEvent.objects.get(verb="login_locked").actor_label == "doctor"


def test_a_name_that_matches_no_one_locks_the_same_way(client, db):
    # A lock must not tell who has an account.
    for _ in range(5):
        attempt(client, "nobody-here")
    response = attempt(client, "nobody-here")
    assert response.status_code == 429
    assert "Please try again in 15 minutes." in response.text


def test_a_locked_account_does_not_lock_someone_else(client, lead, doctor):
    for _ in range(5):
        attempt(client, "lead")
    response = attempt(client, "doctor", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_the_right_password_starts_the_account_count_again(client, doctor):
    for _ in range(4):
        attempt(client, "doctor")
    assert attempt(client, "doctor", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "doctor").status_code == 200
    assert attempt(client, "doctor", PASSWORD).status_code == 302


def test_the_lock_lifts_when_its_window_ends(client, doctor, settings):
    settings.LOGIN_LIMIT_WINDOW = 1
    for _ in range(5):
        attempt(client, "doctor")
    assert attempt(client, "doctor", PASSWORD).status_code == 429
    time.sleep(1.1)
    assert attempt(client, "doctor", PASSWORD).status_code == 302


def test_the_limits_are_settings(client, doctor, settings):
    settings.LOGIN_LIMIT_PER_ACCOUNT = 2
    attempt(client, "doctor")
    assert attempt(client, "doctor").status_code == 429
    assert attempt(client, "doctor", PASSWORD).status_code == 429


# -- per address -------------------------------------------------------------------


def test_many_accounts_tried_from_one_address_lock_the_address(client, doctor, settings):
    settings.LOGIN_LIMIT_PER_ADDRESS = 6
    for n in range(6):
        attempt(client, f"someone{n}", REMOTE_ADDR="198.51.100.7")
    response = attempt(client, "doctor", PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429 and not signed_in(client)
    assert "from your network" in response.text
    assert AuditEvent.objects.get(verb="login_locked").detail["scope"] == "address"
    # The same person from another address gets in.
    assert attempt(client, "doctor", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 302


def test_an_ipv6_network_counts_as_one_address(client, doctor, settings):
    # Whoever holds a /64 holds all of its addresses: trying each in turn
    # must not buy more guesses.
    settings.LOGIN_LIMIT_PER_ADDRESS = 6
    for n in range(6):
        attempt(client, f"someone{n}", REMOTE_ADDR=f"2001:db8:0:1::{n + 1:x}")
    response = attempt(client, "doctor", PASSWORD, REMOTE_ADDR="2001:db8:0:1:ffff::9")
    assert response.status_code == 429 and not signed_in(client)
    # The next network is another address.
    assert attempt(client, "doctor", PASSWORD, REMOTE_ADDR="2001:db8:0:2::1").status_code == 302


# -- every way in -------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return factories.make_user("boss", agency_role="lead", is_staff=True, is_superuser=True)


def test_the_admin_login_page_is_throttled_too(client, superuser):
    login = {"username": "boss", "password": PASSWORD, "next": "/admin/"}
    for _ in range(5):
        attempt(client, "boss")
    response = client.post("/admin/login/", login)
    assert response.status_code == 200  # the admin's own form, with its error
    assert not signed_in(client)
    # The same request once the lock is gone goes through: it was the lock.
    client.logout()
    ratelimit.clear("login-account", f"user:{superuser.pk}")
    assert client.post("/admin/login/", login).status_code == 302


def test_wrong_passwords_on_the_admin_login_page_count(client, lead):
    for _ in range(5):
        client.post("/admin/login/", {"username": "lead", "password": WRONG, "next": "/admin/"})
    assert attempt(client, "lead", PASSWORD).status_code == 429


# -- Redis away: fail closed ---------------------------------------------------------


def test_sign_in_is_refused_when_attempts_cannot_be_counted(client, doctor, settings):
    settings.RATELIMIT_REDIS_URL = CLOSED_PORT
    response = attempt(client, "doctor", PASSWORD)
    assert response.status_code == 503
    assert "Sign-in is unavailable for a moment" in response.text
    assert "try again in a few minutes" in response.text
    assert not signed_in(client)


def test_the_admin_login_is_refused_too_when_attempts_cannot_be_counted(
    client, superuser, settings
):
    settings.RATELIMIT_REDIS_URL = CLOSED_PORT
    admin = client.post(
        "/admin/login/", {"username": "boss", "password": PASSWORD, "next": "/admin/"}
    )
    assert admin.status_code == 200 and not signed_in(client)


def test_only_the_lenient_counter_lets_attempts_through_when_redis_is_down(settings, db):
    # `hit` fails open, for callers whose limit is a courtesy; sign-in asks
    # the strict functions, which say that they could not count.
    settings.RATELIMIT_REDIS_URL = CLOSED_PORT
    assert ratelimit.hit("test", "value", limit=1, window=60).allowed
    with pytest.raises(ratelimit.Unavailable):
        ratelimit.count("test", "value", limit=1, window=60)
    with pytest.raises(ratelimit.Unavailable):
        ratelimit.peek("test", "value", limit=1)


# -- password reset ----------------------------------------------------------------------


def ask_reset(client, email, **extra):
    return client.post(reverse("password_reset"), {"email": email}, **extra)


def test_password_reset_is_limited_per_email_address(client, doctor, settings):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 2
    assert ask_reset(client, doctor.email).status_code == 302
    assert ask_reset(client, " Doctor@Example.test").status_code == 302
    response = ask_reset(client, doctor.email)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many reset requests" in response.text
    assert "Please try again in 60 minutes." in response.text
    assert len(mail.outbox) == 2
    event = AuditEvent.objects.get(verb="password_reset_limited")
    assert event.detail["scope"] == "account" and doctor.email not in str(event.detail)


def test_password_reset_is_limited_per_address(client, doctor, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 3
    for n in range(3):
        ask_reset(client, f"someone{n}@example.test", REMOTE_ADDR="198.51.100.7")
    response = ask_reset(client, doctor.email, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429 and "from your network" in response.text
    assert mail.outbox == []
    assert ask_reset(client, doctor.email, REMOTE_ADDR="203.0.113.9").status_code == 302
    assert len(mail.outbox) == 1


def test_password_reset_is_refused_when_requests_cannot_be_counted(client, doctor, settings):
    settings.RATELIMIT_REDIS_URL = CLOSED_PORT
    response = ask_reset(client, doctor.email)
    assert response.status_code == 503
    assert mail.outbox == []


def test_a_locked_account_can_still_ask_for_a_new_password(client, db):
    user = factories.make_user("kim")
    for _ in range(5):
        attempt(client, "kim")
    assert ask_reset(client, user.email).status_code == 302
    assert len(mail.outbox) == 1
