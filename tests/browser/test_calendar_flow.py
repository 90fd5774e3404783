"""The calendar in a browser: drag a post to another day, or move it by keyboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from posts.models import Post
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_drag_a_post_to_another_day_then_move_it_back_by_keyboard(
    live_server, laptop, strategist, doctor, practice
):
    account = factories.make_account(practice, "facebook")
    post = factories.make_post(practice, targets=[account], title="Flu clinic")
    post.submit_for_review()
    post.approve(by=doctor, via="login")
    # Monday of next week, 09:30 on the practice's clock: the whole week is ahead.
    today = timezone.localtime(timezone.now(), practice.zone)
    monday = (today + timedelta(days=7 - today.weekday())).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    post.schedule(at=monday)
    page = laptop
    log_in(page, live_server.url, "strategist")
    page.goto(
        f"{live_server.url}/practices/{practice.slug}/calendar/?view=week"
        f"&date={monday.date().isoformat()}"
    )

    chip = page.locator(".chip", has_text="Flu clinic")
    expect(chip).to_contain_text("09:30")
    expect(chip).to_contain_text("Scheduled")
    wednesday = (monday + timedelta(days=2)).date().isoformat()
    chip.drag_to(page.locator(f'.day[data-date="{wednesday}"]'))
    expect(page.locator(".message.success")).to_contain_text("Moved “Flu clinic” to Wednesday")
    expect(page.locator(f'.day[data-date="{wednesday}"] .chip')).to_contain_text("Flu clinic")
    post.refresh_from_db()
    assert practice.local(post.scheduled_at).date().isoformat() == wednesday
    assert post.status == Post.Status.SCHEDULED and post.approval_is_current()

    # By keyboard: the post's own Move form.
    chip = page.locator(".chip", has_text="Flu clinic")
    chip.locator("summary").focus()
    page.keyboard.press("Enter")
    date_field = chip.locator("input[name=date]")
    date_field.focus()
    friday = (monday + timedelta(days=4)).date()
    page.keyboard.type(friday.strftime("%m%d%Y"))
    page.keyboard.press("Enter")
    expect(page.locator(".message.success")).to_contain_text("to Friday")
    post.refresh_from_db()
    local = practice.local(post.scheduled_at)
    assert (local.date(), local.hour, local.minute) == (friday, 9, 30)


def test_the_move_form_fits_its_day_and_a_chip_shows_its_photo(
    live_server, laptop, strategist, practice, settings, tmp_path
):
    from posts.media import photos as media
    from posts.models import PostMedia
    from tests import media_samples as samples

    settings.MEDIA_ROOT = str(tmp_path / "media")
    post = factories.make_post(
        practice,
        title="Flu clinic with a long title that runs on",
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(days=2),
    )
    asset = media.store_photo(practice=practice, upload=samples.photo(), by=strategist)
    PostMedia.objects.create(post=post, asset=asset, position=0)
    page = laptop
    log_in(page, live_server.url, "strategist")
    day = practice.local(post.scheduled_at).date().isoformat()
    page.goto(f"{live_server.url}/practices/{practice.slug}/calendar/?view=week&date={day}")
    chip = page.locator(".chip", has_text="Flu clinic")
    expect(chip.locator("img.chip-thumb")).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('img.chip-thumb');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    chip.locator("summary").click()
    cell = page.locator(f'.day[data-date="{day}"]').bounding_box()
    for part in ("input[name=date]", "button[type=submit]"):
        box = chip.locator(part).bounding_box()
        assert box["x"] >= cell["x"] and box["x"] + box["width"] <= cell["x"] + cell["width"], part
