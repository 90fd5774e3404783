"""A new strategist sets up two-factor sign-in in a browser, typing the secret by hand as
an app would take it, then signs in again with a recovery code. Each page is checked with axe."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from core.models import AuditEvent, User
from tests import factories
from tests.browser.conftest import PASSWORD
from tests.browser.test_accessibility import _violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_newcomer_enrols_and_later_signs_in_with_a_recovery_code(live_server, browser, practice):
    newcomer = factories.make_user(
        "newcomer", agency_role=User.AgencyRole.STRATEGIST, two_factor=False
    )
    newcomer.assignments.create(practice=practice)

    # axe is injected as an inline script, which the pages' CSP rightly refuses.
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    base = live_server.url

    def sign_in_with_password() -> None:
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "newcomer")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Log in").click()

    sign_in_with_password()
    expect(page).to_have_url(re.compile(r"/account/two-factor/$"))
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your app")).to_be_visible()
    assert _violations(page) == []

    # The secret as printed for typing by hand, turned into a code as an app would.
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    code = totp(base64.b32decode(secret))
    page.fill("input[name=code]", f"{code:06d}")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert _violations(page) == []
    page.get_by_role("link", name="I have kept them").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    # Later, without the phone: a recovery code instead.
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    sign_in_with_password()
    expect(page).to_have_url(re.compile(r"/login/code/$"))
    assert _violations(page) == []
    page.fill("input[name=code]", codes[0])
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    verbs = set(
        AuditEvent.objects.filter(actor__username="newcomer").values_list("verb", flat=True)
    )
    assert {"login", "two_factor_enrolled", "two_factor_verified"} <= verbs
    context.close()
