"""Automatic logoff (HIPAA 164.312(a)(2)(iii)): an idle timeout per kind of person, an
absolute lifetime, and a login page that says why; a form sent too late saves nothing.

Real sessions: the tests move the times stored in the session (or the
settings), never the clock of the code under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from core import signin
from core.models import AuditEvent
from posts.models import Tip
from practices.models import Membership
from tests import ROOT, factories
from tests import media_samples as samples

MINUTE = 60
HOUR = 60 * MINUTE


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def age_session(client, *, idle: float = 0, signed_in: float | None = None) -> None:
    """Pretend the last request was `idle` seconds ago and sign-in `signed_in` seconds ago."""
    session = client.session
    now = time.time()
    session[signin.LAST_SEEN_AT] = int(now - idle)
    session[signin.SIGNED_IN_AT] = int(now - (idle if signed_in is None else signed_in))
    session.save()


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# -- idle -------------------------------------------------------------------------------


def test_an_idle_agency_session_ends_after_30_minutes_and_says_why(client, strategist):
    client.force_login(strategist)
    age_session(client, idle=31 * MINUTE)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/dashboard/"
    assert not signed_in(client)
    page = client.get(response.url)
    assert "You were signed out after 30 minutes without activity." in page.text
    event = AuditEvent.objects.get(verb="session_expired")
    assert event.actor == strategist and event.detail["reason"] == "idle"


def test_activity_keeps_a_session_going(client, strategist):
    client.force_login(strategist)
    age_session(client, idle=29 * MINUTE)
    assert client.get(reverse("dashboard")).status_code == 200
    assert time.time() - client.session[signin.LAST_SEEN_AT] < 5
    # The idle time counts from that request on.
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_doctor_gets_the_short_timeout(client, doctor):
    client.force_login(doctor)
    age_session(client, idle=31 * MINUTE)
    assert client.get(reverse("approvals")).status_code == 302
    assert not signed_in(client)


def test_staff_get_eight_hours(client, staff):
    client.force_login(staff)
    age_session(client, idle=7 * HOUR)
    assert client.get(reverse("staff_home")).status_code == 200
    age_session(client, idle=8 * HOUR + MINUTE)
    response = client.get(reverse("staff_home"), follow=True)
    assert "You were signed out after 8 hours without activity." in response.text


def test_staff_who_are_also_a_doctor_get_the_short_timeout(client, staff, other_practice):
    Membership.objects.create(user=staff, practice=other_practice, role=Membership.Role.DOCTOR)
    client.force_login(staff)
    age_session(client, idle=31 * MINUTE)
    assert client.get(reverse("staff_home")).status_code == 302


def test_the_timeouts_are_settings(client, strategist, staff, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * MINUTE
    client.force_login(strategist)
    age_session(client, idle=6 * MINUTE)
    response = client.get(reverse("dashboard"), follow=True)
    assert "You were signed out after 5 minutes without activity." in response.text
    settings.SESSION_IDLE_TIMEOUT_STAFF = 90 * MINUTE
    client.force_login(staff)
    age_session(client, idle=91 * MINUTE)
    response = client.get(reverse("staff_home"), follow=True)
    assert "You were signed out after 90 minutes without activity." in response.text


# -- the absolute lifetime ------------------------------------------------------------


def test_a_session_ends_after_12_hours_however_busy(client, strategist):
    client.force_login(strategist)
    age_session(client, idle=MINUTE, signed_in=12 * HOUR + MINUTE)
    response = client.get(reverse("dashboard"), follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('login')}?next=/dashboard/"
    assert "Your session reached its 12-hour limit. Please sign in again." in response.text
    assert AuditEvent.objects.get(verb="session_expired").detail["reason"] == "lifetime"


def test_staff_sessions_end_after_12_hours_too(client, staff, settings):
    settings.SESSION_MAX_AGE = 10 * HOUR
    client.force_login(staff)
    age_session(client, idle=MINUTE, signed_in=10 * HOUR)
    response = client.get(reverse("staff_home"), follow=True)
    assert "Your session reached its 10-hour limit." in response.text


def test_the_session_cookie_lives_no_longer_than_the_lifetime(client, strategist, settings):
    response = client.post(
        reverse("login"),
        {"username": "strategist", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert client.session.get_expiry_age() == settings.SESSION_MAX_AGE == 12 * HOUR
    assert int(client.cookies["sessionid"]["max-age"]) == 12 * HOUR


def test_a_session_from_before_the_clock_ends(client, strategist):
    client.force_login(strategist)
    session = client.session
    del session[signin.SIGNED_IN_AT]
    session.save()
    response = client.get(reverse("dashboard"), follow=True)
    assert "Please sign in again." in response.text
    assert not signed_in(client)


# -- a form sent too late -----------------------------------------------------------------


def test_a_tip_sent_after_the_timeout_saves_nothing_and_says_so(client, staff, practice):
    Membership.objects.filter(user=staff).update(policy_confirmed_at=timezone.now())
    form_page = f"{reverse('staff_home')}?practice={practice.slug}"

    def send_tip(**extra):
        return client.post(
            form_page,
            {"kind": "team", "text": "Nurse Jo's ten years", "photos": [samples.photo()]},
            HTTP_REFERER=f"http://testserver{form_page}",
            **extra,
        )

    client.force_login(staff)
    age_session(client, idle=8 * HOUR + MINUTE)
    response = send_tip(follow=True)
    assert Tip.objects.count() == 0
    # Back to the page the form was on, after signing in again.
    assert response.redirect_chain[0][0] == (
        f"{reverse('login')}?next=/tips/%3Fpractice%3D{practice.slug}"
    )
    assert "You were signed out after 8 hours without activity." in response.text
    assert "What you were sending was not saved: sign in, then send it again." in response.text
    # The same tip, sent again once signed in, goes through.
    client.force_login(staff)
    assert send_tip().status_code == 302
    assert Tip.objects.count() == 1


def test_a_decision_sent_after_the_timeout_changes_nothing(client, strategist, practice, staff):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(strategist)
    age_session(client, idle=31 * MINUTE)
    response = client.post(
        reverse("tip_decline", args=[tip.pk]),
        {"reason": "Too blurry"},
        HTTP_REFERER=f"http://testserver{tip.get_absolute_url()}",
    )
    tip.refresh_from_db()
    assert tip.status == Tip.Status.NEW
    assert response.url == f"{reverse('login')}?next={tip.get_absolute_url()}"


def test_a_form_from_another_site_is_not_a_place_to_go_back_to(client, strategist, practice):
    client.force_login(strategist)
    age_session(client, idle=31 * MINUTE)
    response = client.post(
        reverse("tip_link_rotate", args=[practice.slug]),
        HTTP_REFERER="https://evil.example/phish",
    )
    assert response.url == reverse("login")


@pytest.mark.parametrize("idle", [0, 29 * MINUTE])
def test_the_last_seen_time_is_written_at_most_once_a_minute(client, strategist, idle):
    client.force_login(strategist)
    age_session(client, idle=idle)
    before = client.session[signin.LAST_SEEN_AT]
    client.get(reverse("dashboard"))
    after = client.session[signin.LAST_SEEN_AT]
    assert (after == before) if idle < signin.TOUCH_EVERY else (after > before)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SESSION_IDLE_TIMEOUT", "half an hour", "SESSION_IDLE_TIMEOUT must be a whole number"),
        ("SESSION_MAX_AGE", "30", "SESSION_MAX_AGE must be at least 60"),
        ("LOGIN_LIMIT_PER_ACCOUNT", "0", "LOGIN_LIMIT_PER_ACCOUNT must be at least 1"),
        ("RATELIMIT_REDIS_URL", "localhost:6379", "RATELIMIT_REDIS_URL must be a URL"),
    ],
)
def test_a_bad_sign_in_setting_stops_start_up_naming_it(variable, value, message):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "agency.settings", variable: value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr
