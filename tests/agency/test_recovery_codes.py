"""Recovery codes for a lost phone: each signs in once, running low is said, and new ones
replace the old; the security page where the agency finds them."""

from __future__ import annotations

import time

from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from core.models import AuditEvent
from core.two_factor import _recovery_hash
from tests.agency.support import VERIFY, enrol, password_step, recovery_codes


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
