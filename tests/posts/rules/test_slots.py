"""Posting slots: where they fall (daylight saving included), which are free, add to queue."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from posts.models import Post
from posts.rules import slots
from practices.models import PostingSlot, Practice
from tests import factories

pytestmark = pytest.mark.django_db


def slot(practice, platform="facebook", weekday=1, at=time(9, 30)):
    return PostingSlot.objects.create(
        practice=practice, platform=platform, weekday=weekday, time=at
    )


def test_slots_fall_on_the_practices_clock(practice):
    tuesday = slot(practice, weekday=1, at=time(9, 30))
    start = datetime(2027, 6, 6, tzinfo=UTC)  # a Sunday
    found = slots.occurrences([tuesday], practice, start=start, end=start + timedelta(days=14))
    assert [o.at.astimezone(UTC) for o in found] == [
        datetime(2027, 6, 8, 14, 30, tzinfo=UTC),  # 09:30 CDT
        datetime(2027, 6, 15, 14, 30, tzinfo=UTC),
    ]


def test_a_slot_in_the_skipped_hour_does_not_happen_that_week(practice):
    # Chicago, Sunday 14 March 2027: 02:00 becomes 03:00.
    sunday = slot(practice, weekday=6, at=time(2, 30))
    start = datetime(2027, 3, 10, tzinfo=UTC)
    found = slots.occurrences([sunday], practice, start=start, end=start + timedelta(days=14))
    assert [practice.local(o.at).date().isoformat() for o in found] == ["2027-03-21"]


def test_a_slot_in_the_repeated_hour_happens_once_at_the_first(practice):
    # Chicago, Sunday 7 November 2027: 01:00–02:00 happens twice.
    sunday = slot(practice, weekday=6, at=time(1, 30))
    start = datetime(2027, 11, 6, tzinfo=UTC)
    (found,) = slots.occurrences([sunday], practice, start=start, end=start + timedelta(days=2))
    assert found.at.astimezone(UTC) == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)  # 01:30 CDT


def test_add_to_queue_schedules_an_approved_post_in_the_next_free_slot(
    client, strategist, practice
):
    practice.approval_policy = Practice.ApprovalPolicy.NEVER
    practice.save()
    account = factories.make_account(practice, "facebook")
    slot(practice, weekday=1)
    slot(practice, weekday=3)
    first = factories.make_post(practice, targets=[account], title="First")
    second = factories.make_post(practice, targets=[account], title="Second")
    client.force_login(strategist)
    for post in (first, second):
        client.post(f"/posts/{post.pk}/send/", {"version": post.version})
        post.refresh_from_db()
        response = client.post(f"/posts/{post.pk}/queue/", {"version": post.version}, follow=True)
        assert "the next free Facebook slot" in response.content.decode()
        post.refresh_from_db()
        assert post.status == Post.Status.SCHEDULED
        assert post.publications.get().next_attempt_at == post.scheduled_at
    assert first.scheduled_at < second.scheduled_at
    expected = slots.occurrences(
        list(practice.slots.all()),
        practice,
        start=timezone.now() + slots.LEAD_TIME,
        end=timezone.now() + timedelta(days=15),
    )
    assert [first.scheduled_at, second.scheduled_at] == [o.at for o in expected[:2]]


def test_a_draft_queued_gets_the_time_and_stays_a_draft(client, strategist, practice):
    account = factories.make_account(practice, "x")
    slot(practice, platform="x")
    post = factories.make_post(practice, targets=[account])
    client.force_login(strategist)
    client.post(f"/posts/{post.pk}/queue/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT and post.scheduled_at is not None
    assert practice.local(post.scheduled_at).strftime("%a %H:%M") == "Tue 09:30"


def test_no_slot_for_the_posts_platforms_says_what_to_do(client, strategist, practice):
    account = factories.make_account(practice, "x")
    slot(practice, platform="facebook")
    post = factories.make_post(practice, targets=[account])
    client.force_login(strategist)
    response = client.post(f"/posts/{post.pk}/queue/", {"version": post.version}, follow=True)
    assert "add slots on the practice" in response.content.decode()
    post.refresh_from_db()
    assert post.scheduled_at is None


def test_empty_slots_of_the_week_show_on_the_dashboard(
    client, strategist, practice, other_practice
):
    account = factories.make_account(practice, "facebook")
    today = timezone.localtime(timezone.now(), practice.zone)
    for days in (1, 2):
        slot(practice, weekday=(today + timedelta(days=days)).weekday(), at=time(10, 0))
    slot(other_practice, weekday=(today + timedelta(days=1)).weekday(), at=time(10, 0))
    held = slots.empty_in_week([practice])[0]
    factories.make_post(
        practice, targets=[account], status=Post.Status.SCHEDULED, scheduled_at=held.at
    )
    client.force_login(strategist)
    page = client.get("/dashboard/").content.decode()
    assert page.count(": write a post</a>") == 1
    assert other_practice.name not in page


def test_slots_are_kept_by_the_practices_agency(client, strategist, other_strategist, practice):
    client.force_login(other_strategist)
    data = {"platform": "facebook", "weekday": 1, "time": "09:30"}
    assert client.post(f"/practices/{practice.slug}/slots/", data).status_code == 404
    assert not PostingSlot.objects.exists()
    client.force_login(strategist)
    client.post(f"/practices/{practice.slug}/slots/", data)
    again = client.post(f"/practices/{practice.slug}/slots/", data, follow=True)
    assert "is a slot already" in again.content.decode()
    (added,) = PostingSlot.objects.all()
    client.force_login(other_strategist)
    assert client.post(f"/practices/{practice.slug}/slots/{added.pk}/delete/").status_code == 404
    client.force_login(strategist)
    client.post(f"/practices/{practice.slug}/slots/{added.pk}/delete/")
    assert not PostingSlot.objects.exists()
