"""The demo accounts sign in with the password alone, but not in production, not once they
set up an app, and no form can exempt anyone else."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from core.models import User
from posts.management.commands.demo_data import DEMO_PASSWORD
from tests import factories
from tests.agency.support import SETUP, VERIFY
from tests.factories import totp_code


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
