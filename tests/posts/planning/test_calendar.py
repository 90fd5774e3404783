"""The content calendar: days on each practice's clock, moving a post, who sees what."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from posts.models import Post
from posts.planning import calendar
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_post_sits_on_its_practices_day(practice):
    # 02:00 UTC on a Wednesday is Tuesday evening in Chicago.
    at = datetime(2027, 6, 9, 2, 0, tzinfo=UTC)
    factories.make_post(practice, title="Evening", status=Post.Status.SCHEDULED, scheduled_at=at)
    days = calendar.month_days(date(2027, 6, 1))
    assert days[0] == date(2027, 5, 31) and days[-1] == date(2027, 7, 4)  # Monday to Sunday
    found = calendar.days_with_posts(
        Post.objects.all(), days, in_range=(date(2027, 6, 1), date(2027, 6, 30))
    )
    (day,) = [d for d in found if d.posts]
    assert day.day == date(2027, 6, 8)


def test_the_month_page_shows_the_practices_posts_only(
    client, strategist, practice, other_practice
):
    at = timezone.now() + timedelta(days=1)
    factories.make_post(practice, title="Ours", status=Post.Status.SCHEDULED, scheduled_at=at)
    factories.make_post(
        other_practice, title="Theirs", status=Post.Status.SCHEDULED, scheduled_at=at
    )
    client.force_login(strategist)
    day = practice.local(at).date().isoformat()
    page = client.get("/calendar/", {"date": day}).content.decode()
    assert "Ours" in page and "Theirs" not in page
    week = client.get(f"/practices/{practice.slug}/calendar/", {"view": "week", "date": day})
    assert "Ours" in week.content.decode()
    assert client.get(f"/practices/{other_practice.slug}/calendar/").status_code == 404


def scheduled(practice, doctor, when):
    account = factories.make_account(practice, "facebook")
    post = factories.make_post(practice, targets=[account], title="Moving")
    post.submit_for_review()
    post.approve(by=doctor, via="login")
    post.schedule(at=when)
    post.refresh_from_db()
    return post


def test_moving_keeps_the_time_of_day_and_the_approval(client, strategist, doctor, practice):
    when = timezone.now() + timedelta(days=2)
    post = scheduled(practice, doctor, when)
    before = practice.local(post.scheduled_at)
    target = (before + timedelta(days=3)).date()
    client.force_login(strategist)
    response = client.post(
        f"/posts/{post.pk}/move/",
        {"date": target.isoformat(), "version": post.version, "next": "/calendar/"},
        follow=True,
    )
    assert "Moved “Moving” to" in response.content.decode()
    post.refresh_from_db()
    after = practice.local(post.scheduled_at)
    assert after.date() == target and after.time() == before.time()
    assert post.status == Post.Status.SCHEDULED and post.approval_is_current()
    assert post.publications.get().next_attempt_at == post.scheduled_at


def test_moving_across_a_clock_change_keeps_the_wall_time(doctor, practice, strategist):
    # 09:30 CST on Friday 5 November 2027 moved to Monday 8 November, after the
    # clocks went back: still 09:30, now CST (UTC-6) instead of CDT (UTC-5).
    post = scheduled(practice, doctor, datetime(2027, 11, 5, 14, 30, tzinfo=UTC))
    moved = calendar.move(post=post, day=date(2027, 11, 8), version=post.version, by=strategist)
    assert moved.scheduled_at == datetime(2027, 11, 8, 15, 30, tzinfo=UTC)


def test_moving_into_the_skipped_hour_is_refused(doctor, practice, strategist):
    post = scheduled(practice, doctor, datetime(2027, 3, 12, 8, 30, tzinfo=UTC))  # Fri 02:30 CST
    with pytest.raises(calendar.IllegalTransition, match="does not exist on March 14, 2027"):
        calendar.move(post=post, day=date(2027, 3, 14), version=post.version, by=strategist)


def test_moving_to_the_past_or_from_a_stale_page_is_refused(client, strategist, doctor, practice):
    post = scheduled(practice, doctor, timezone.now() + timedelta(days=2))
    client.force_login(strategist)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    past = client.post(f"/posts/{post.pk}/move/", {"date": yesterday}, follow=True)
    assert "have passed" in past.content.decode()
    stale = client.post(
        f"/posts/{post.pk}/move/",
        {"date": (timezone.localdate() + timedelta(days=4)).isoformat(), "version": 999},
        follow=True,
    )
    assert "someone saved this post after you opened it" in stale.content.decode()


def test_another_practices_post_cannot_be_moved(client, strategist, other_practice):
    post = factories.make_post(
        other_practice, status=Post.Status.SCHEDULED, scheduled_at=timezone.now() + timedelta(1)
    )
    client.force_login(strategist)
    tomorrow = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert client.post(f"/posts/{post.pk}/move/", {"date": tomorrow}).status_code == 404


def test_the_calendar_keeps_a_fixed_number_of_queries(
    client, strategist, practice, django_assert_num_queries
):
    account = factories.make_account(practice, "x")
    for n in range(10):
        factories.make_post(
            practice,
            targets=[account],
            status=Post.Status.SCHEDULED,
            scheduled_at=timezone.now() + timedelta(days=n % 5, hours=1),
        )
    client.force_login(strategist)
    client.get("/calendar/")
    # The month counts each day's posts beside the chips it shows: one more. The
    # chips' photos, and the practices to filter by: one each.
    with django_assert_num_queries(9):
        client.get("/calendar/")
    with django_assert_num_queries(8):
        client.get("/calendar/?view=week")


def test_every_value_on_a_chip_is_escaped(client, strategist, practice):
    at = timezone.now() + timedelta(days=1)
    practice.name = 'Lakeside <b>"Fertility"</b>'
    practice.save()
    factories.make_post(
        practice, title="<script>alert(1)</script>", status=Post.Status.SCHEDULED, scheduled_at=at
    )
    client.force_login(strategist)
    day = practice.local(at).date().isoformat()
    page = client.get("/calendar/", {"date": day}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Lakeside &lt;b&gt;&quot;Fertility&quot;&lt;/b&gt;" in page


def test_a_busy_day_shows_four_chips_and_how_many_more_the_week_shows(client, strategist, practice):
    at = timezone.now() + timedelta(days=2)
    day = practice.local(at).date()
    for n in range(6):
        factories.make_post(
            practice,
            title=f"Busy {n}",
            status=Post.Status.SCHEDULED,
            scheduled_at=at.replace(minute=0) + timedelta(minutes=n),
        )
    client.force_login(strategist)
    url = f"/practices/{practice.slug}/calendar/"
    month = client.get(url, {"date": day.isoformat()}).content.decode()
    # In time order: the first four, then the count of the rest, linking to their week.
    assert [n for n in range(6) if f"Busy {n}</a>" in month] == [0, 1, 2, 3]
    assert f'<a href="{url}?view=week&amp;date={day.isoformat()}">+2 more</a>' in month
    week = client.get(url, {"view": "week", "date": day.isoformat()}).content.decode()
    assert all(f"Busy {n}</a>" in week for n in range(6))
    assert "more</a>" not in week
    # The day's heading: the weekday in full for screen readers, short for the eye.
    assert f'<span class="sr-only">{day:%A} </span>{day:%a} {day.day} {day:%b}</h2>' in week


def day_cell(page: str, day) -> str:
    start = page.index(f'data-date="{day.isoformat()}"')
    return page[start : page.index("</li>\n", page.index("</ul>", start))]


def test_a_late_evening_counts_on_the_practices_own_day(client, strategist, practice):
    # 23:10 to 23:50 on a Wednesday in Chicago: already Thursday in UTC.
    evening = datetime(2027, 3, 10, 23, 10, tzinfo=practice.zone)
    for n in range(5):
        factories.make_post(
            practice,
            title=f"Late {n}",
            status=Post.Status.SCHEDULED,
            scheduled_at=evening + timedelta(minutes=10 * n),
        )
    client.force_login(strategist)
    month = client.get("/calendar/", {"date": evening.date().isoformat()}).content.decode()
    cell = day_cell(month, evening.date())
    assert [n for n in range(5) if f"Late {n}</a>" in cell] == [0, 1, 2, 3]
    assert "+1 more</a>" in cell
    assert "Late" not in day_cell(month, evening.date() + timedelta(days=1))


def test_month_chips_move_by_dragging_and_week_chips_also_by_their_form(
    client, strategist, practice
):
    post = factories.make_post(
        practice,
        title="Flu clinic",
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(days=2),
    )
    client.force_login(strategist)
    day = practice.local(post.scheduled_at).date().isoformat()
    month = client.get("/calendar/", {"date": day}).content.decode()
    assert f'data-move-url="/posts/{post.pk}/move/" data-version="{post.version}"' in month
    assert 'class="move-form"' not in month
    assert '<form method="post" id="move-form" hidden>' in month  # what a drop sends
    assert f'<a href="/calendar/?view=week&amp;date={day}">' in month  # the keyboard's way
    week = client.get("/calendar/", {"view": "week", "date": day}).content.decode()
    assert f'<form method="post" action="/posts/{post.pk}/move/" class="move-form">' in week


def test_a_chip_shows_its_first_photo_and_the_calendar_filters_by_practice(
    client, strategist, practice, other_practice
):
    from posts.media import photos as media
    from posts.models import PostMedia
    from tests import media_samples as samples

    post = factories.make_post(
        practice,
        title="Flu clinic",
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(days=2),
    )
    asset = media.store_photo(practice=practice, upload=samples.photo(), by=strategist)
    PostMedia.objects.create(post=post, asset=asset, position=0)
    client.force_login(strategist)
    day = practice.local(post.scheduled_at).date().isoformat()
    page = client.get("/calendar/", {"date": day}).text
    assert f'<img src="/media/{asset.pk}/thumbnail/" alt="" class="chip-thumb"' in page
    # The filter leads to the practice's own calendar, on the same view and day.
    assert f'<option value="{practice.slug}">{practice.name}</option>' in page
    assert other_practice.slug not in page
    response = client.get("/calendar/", {"practice": practice.slug, "view": "week", "date": day})
    assert response.status_code == 302
    assert response["Location"] == f"/practices/{practice.slug}/calendar/?view=week&date={day}"
    assert client.get("/calendar/", {"practice": other_practice.slug}).status_code == 404
