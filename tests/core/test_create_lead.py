"""manage.py create_lead: the README's one admin step leaves a lead who can work."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from core.models import AuditEvent, AuthenticatorApp, User
from tests import ROOT
from tests.factories import totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual pass phrase 41"


def test_the_lead_it_creates_reaches_the_dashboard_and_the_admin(client, monkeypatch):
    monkeypatch.setenv("ROUNDS_LEAD_PASSWORD", PASSWORD)
    out = io.StringIO()
    call_command(
        "create_lead",
        "--username",
        "dana",
        "--email",
        "Dana@Agency.example",
        "--no-input",
        stdout=out,
    )
    lead = User.objects.get(username="dana")
    assert lead.is_agency_lead and lead.is_superuser and lead.is_staff
    assert lead.email == "dana@agency.example"
    assert AuditEvent.objects.filter(verb="lead_created", object_id=str(lead.pk)).exists()

    assert client.login(username="dana", password=PASSWORD)
    # A new lead sets up two-factor sign-in before any page opens.
    assert client.get(reverse("home")).url == reverse("two_factor_setup")
    client.get(reverse("two_factor_setup"))
    app = AuthenticatorApp.objects.get(user=lead, confirmed=False)
    assert client.post(reverse("two_factor_setup"), {"code": totp_code(app)}).status_code == 200
    assert client.get(reverse("home")).url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_weak_password_creates_nobody(monkeypatch):
    monkeypatch.setenv("ROUNDS_LEAD_PASSWORD", "dana")
    with pytest.raises(CommandError, match=r"too similar|too short|too common"):
        call_command("create_lead", "--username", "dana", "--email", "d@a.example", "--no-input")
    assert not User.objects.filter(username="dana").exists()


def test_no_password_with_no_input_is_refused(monkeypatch):
    monkeypatch.delenv("ROUNDS_LEAD_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="ROUNDS_LEAD_PASSWORD"):
        call_command("create_lead", "--username", "dana", "--email", "d@a.example", "--no-input")


def test_an_existing_username_is_refused(lead, monkeypatch):
    monkeypatch.setenv("ROUNDS_LEAD_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_lead", "--username", "LEAD", "--email", "x@a.example", "--no-input")


def test_without_a_terminal_it_says_how_to_run_it_and_creates_nobody():
    # What `docker compose exec -T web python manage.py create_lead ...` does:
    # no terminal, standard input at its end. Once an EOFError traceback.
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "create_lead",
            "--username",
            "dana",
            "--email",
            "d@a.example",
        ],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "EOFError" not in result.stderr
    assert "run with --no-input and the password in ROUNDS_LEAD_PASSWORD" in result.stderr
