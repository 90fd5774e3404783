"""A practice set up in the browser without the admin: the lead makes it, the checklist
says what is left, the doctor is invited and joins from the e-mailed link on a phone.
Each page is checked with axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.models import User
from practices.models import Membership, Practice
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import _violations
from tests.publishing_support import sent_mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^/\s]+(/invite/[^/\s]+/)")


def test_the_lead_sets_up_a_practice_and_its_doctor_joins_from_a_phone(live_server, browser, phone):
    factories.make_user("lead", agency_role=User.AgencyRole.LEAD)
    factories.make_strategist(username="sam")
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(10_000)
    desk = context.new_page()
    log_in(desk, base, "lead")

    desk.get_by_role("link", name="New practice").click()
    expect(desk.get_by_role("heading", name="A new practice")).to_be_visible()
    assert _violations(desk) == []
    desk.get_by_label("Name", exact=True).fill("Riverside Pediatrics")
    desk.get_by_label("Specialty").select_option("pediatrics")
    desk.get_by_label("Time zone").select_option("America/Denver")
    desk.get_by_label("Posting goal (posts a week)").fill("4")
    desk.get_by_label("Strategist", exact=True).select_option(label="sam")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Create the practice").click()
    expect(desk.get_by_role("heading", name="Riverside Pediatrics", exact=True)).to_be_visible()
    checklist = desk.locator("#setup")
    expect(checklist).to_contain_text("A strategist runs it")
    expect(checklist.get_by_role("link", name="Invite the doctor")).to_be_visible()
    assert _violations(desk) == []

    checklist.get_by_role("link", name="Invite the doctor").click()
    assert _violations(desk) == []
    desk.get_by_label("E-mail address").fill("dr.lee@riverside.example")
    desk.get_by_label("First name").fill("Robin")
    desk.get_by_label("Joins as").select_option("doctor")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Send the invitation").click()
    expect(desk.locator(".message.success")).to_contain_text("dr.lee@riverside.example")
    expect(desk.get_by_role("table").nth(1)).to_contain_text("dr.lee@riverside.example")

    # The doctor, on a phone, from the e-mail.
    (message,) = [m for m in sent_mail() if m.to == ["dr.lee@riverside.example"]]
    path = LINK.search(message.body).group(1)
    doctor = phone()
    doctor.goto(base + path)
    expect(doctor.get_by_role("heading", name="Join Riverside Pediatrics")).to_be_visible()
    doctor.get_by_label("First name").fill("Robin")
    doctor.get_by_label("Last name").fill("Lee")
    doctor.get_by_label("Password", exact=True).fill("a long walk by the river")
    doctor.get_by_label("The password again").fill("a long walk by the river")
    with doctor.expect_navigation():
        doctor.get_by_role("button", name="Create my account and join").click()
    expect(doctor).to_have_url(re.compile(r"/approvals/$"))
    expect(doctor.locator(".message.success")).to_contain_text("Welcome to Riverside Pediatrics")
    practice = Practice.objects.get(name="Riverside Pediatrics")
    joined = Membership.objects.get(practice=practice, user__email="dr.lee@riverside.example")
    assert joined.role == "doctor"
    # The link is spent.
    doctor.goto(base + path)
    expect(doctor.get_by_role("heading", name="This invitation no longer works")).to_be_visible()
    context.close()
