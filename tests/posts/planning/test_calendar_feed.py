"""A practice's calendar feed at a secret, rotatable address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from core.models import AuditEvent
from posts.models import Post
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_feed_is_a_valid_calendar_of_the_practices_posts(client, practice, other_practice):
    account = factories.make_account(practice, "facebook")
    at = timezone.now() + timedelta(days=3)
    scheduled = factories.make_post(
        practice,
        title="Flu clinic",
        caption="Maria's story, in her words.",
        targets=[account],
        status=Post.Status.SCHEDULED,
        scheduled_at=at,
    )
    factories.make_post(practice, title="Draft", status=Post.Status.DRAFT, scheduled_at=at)
    factories.make_post(
        other_practice, title="Elsewhere", status=Post.Status.SCHEDULED, scheduled_at=at
    )

    response = client.get(f"/calendar/{practice.calendar_token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Flu clinic: Facebook"
    assert event.decoded("dtstart") == at.replace(microsecond=0)
    assert str(event["uid"]) == f"post-{scheduled.pk}@{practice.slug}.rounds"
    assert str(event["status"]) == "CONFIRMED"
    assert b"Maria" not in response.content  # never a caption


def test_a_rotated_address_stops_working(client, strategist, practice):
    old = practice.calendar_token
    client.force_login(strategist)
    response = client.post(f"/practices/{practice.slug}/calendar-link/rotate/")
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.calendar_token != old
    assert AuditEvent.objects.filter(verb="calendar_link_rotated").exists()
    client.logout()
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{practice.calendar_token}.ics").status_code == 200


def test_only_the_practices_agency_rotates_it(client, other_strategist, staff, doctor, practice):
    old = practice.calendar_token
    for person, status in ((other_strategist, 404), (staff, 403), (doctor, 403)):
        client.force_login(person)
        assert (
            client.post(f"/practices/{practice.slug}/calendar-link/rotate/").status_code == status
        )
    practice.refresh_from_db()
    assert practice.calendar_token == old


def test_every_practice_has_its_own_address(practice, other_practice):
    assert practice.calendar_token and other_practice.calendar_token
    assert practice.calendar_token != other_practice.calendar_token
