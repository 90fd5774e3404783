"""The strategist's day in a browser: queue a post into the next slot, subscribe to the
calendar, read the dashboard on a phone."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from posts.models import Post
from posts.rules import slots
from practices.models import PostingSlot, Practice
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_to_queue_lands_in_the_next_free_slot_and_in_the_calendar_feed(
    live_server, laptop, strategist, practice
):
    practice.approval_policy = Practice.ApprovalPolicy.NEVER
    practice.save()
    account = factories.make_account(practice, "facebook")
    for weekday in (1, 4):
        PostingSlot.objects.create(
            practice=practice, platform="facebook", weekday=weekday, time=time(9, 30)
        )
    post = factories.make_post(practice, targets=[account], title="Open house")
    (expected, *_) = slots.occurrences(
        list(practice.slots.all()),
        practice,
        start=timezone.now() + slots.LEAD_TIME,
        end=timezone.now() + timedelta(days=8),
    )
    page = laptop
    log_in(page, live_server.url, "strategist")
    page.goto(f"{live_server.url}/posts/{post.pk}/edit/")
    page.get_by_role("button", name="Approve (no doctor needed)").click()
    expect(page.locator(".message.success")).to_contain_text("Approved under the practice")
    page.get_by_role("button", name="Add to queue").click()
    expect(page.locator(".message.success")).to_contain_text("the next free Facebook slot")
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED and post.scheduled_at == expected.at

    day = practice.local(expected.at).date().isoformat()
    page.goto(f"{live_server.url}/practices/{practice.slug}/calendar/?view=week&date={day}")
    expect(page.locator(f'.day[data-date="{day}"] .chip')).to_contain_text("09:30 Open house")

    # The address on the practice's page answers a calendar app with the post in it.
    page.goto(f"{live_server.url}{practice.get_absolute_url()}")
    url = page.get_by_label("Calendar address").input_value()
    assert re.search(r"/calendar/[\w-]+\.ics$", url)
    response = page.request.get(url.replace("http://127.0.0.1:8000", live_server.url))
    assert response.status == 200
    (event,) = Calendar.from_ical(response.body()).walk("VEVENT")
    assert str(event["summary"]) == "Open house: Facebook"


def test_the_dashboard_keeps_its_labels_on_a_phone(live_server, phone, strategist, practice):
    page = phone()
    log_in(page, live_server.url, "strategist")
    page.goto(f"{live_server.url}/dashboard/")
    cell = page.locator('td[data-label="New tips"]').first
    expect(cell).to_be_visible()
    before = cell.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert before == '"New tips: "'
    header = page.locator("thead").first
    expect(header).to_be_hidden()  # the column names now travel with each cell
