"""A strategist drafts a post from a tip, fixes what the editor finds, sends and schedules it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from posts.media import photos as media
from posts.models import CaptionTemplate, Post
from tests import factories
from tests import media_samples as samples
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_draft_from_a_tip_fix_the_findings_send_and_schedule(
    live_server, laptop, strategist, doctor, staff, practice
):
    practice.default_hashtags = "#LakesideFamily #IVF"
    practice.save()
    CaptionTemplate.objects.create(
        practice=practice, name="Anniversary", text="Happy work anniversary to our team!"
    )
    accounts = {
        platform: factories.make_account(practice, platform)
        for platform in ("facebook", "google_business", "x")
    }
    tip = factories.make_tip(
        practice, submitted_by=staff, text="Nurse Jo celebrates ten years with us today!"
    )
    photos = [
        media.store_photo(
            practice=practice,
            upload=samples.photo(f"jo{i}.jpg", color=(60 * i, 120, 200)),
            by=staff,
        )
        for i in range(2)
    ]
    for position, asset in enumerate(photos):
        tip.tipphoto_set.create(asset=asset, position=position)
    page = laptop
    log_in(page, live_server.url, "strategist")

    # From the tip: its story and photos come along.
    page.goto(f"{live_server.url}{tip.get_absolute_url()}")
    page.get_by_role("link", name="Draft a post from this tip").click()
    expect(page.locator("textarea[name=caption]")).to_have_value(
        "Nurse Jo celebrates ten years with us today!"
    )
    for asset in photos:
        expect(page.locator(f"input[name=photos][value='{asset.pk}']")).to_be_checked()
    for account in accounts.values():
        page.locator(f"input[name=targets][value='{account.pk}']").check()

    # A caption template, one click away (the tip's story is written over below).
    page.get_by_text("Start from a template").click()
    page.get_by_role("button", name="Use it").click()
    expect(page.locator("textarea[name=caption]")).to_have_value(
        "Happy work anniversary to our team!"
    )
    page.locator("textarea[name=caption]").fill("Nurse Jo celebrates ten years with us today!")

    # Previews and counters follow the typing.
    x_counter = page.locator(".counter[data-platform=x]")
    expect(x_counter).to_contain_text("44 / 280 weighted characters")
    caption = page.locator("textarea[name=caption]")
    caption.fill("Nurse Jo celebrates ten years with us! Call her at 773-555-0199 🎉")
    expect(x_counter).to_contain_text("66 / 280 weighted characters")  # the emoji counts 2
    expect(page.locator(".preview.x .text")).to_contain_text("773-555-0199")

    # The compliance panel finds the phone number; Google refuses two photos.
    compliance = page.locator("#compliance")
    expect(compliance).to_contain_text("A phone or fax number that is not the practice's")
    checks = page.locator("#publishability")
    expect(checks).to_contain_text("Google Business Profile: This platform takes at most 1")
    expect(checks).to_contain_text("Choose which photo goes to this platform.")

    # The fix for Google: the second photo goes everywhere but there.
    page.locator(f"input[name=to_{photos[1].pk}][value=google_business]").uncheck()
    expect(checks).to_contain_text("Every target takes this post as it is.")

    when = timezone.localtime(timezone.now() + timedelta(days=2), practice.zone)
    page.fill("input[name=date]", when.date().isoformat())
    page.fill("input[name=time]", "09:30")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/posts/\d+/edit/$"))
    post = Post.objects.get()
    assert post.photo_choices == {"google_business": [photos[0].pk]}
    assert post.tip == tip

    # Sending is refused while the phone number is there: listed beside the button.
    page.get_by_role("button", name="Send for approval").click()
    expect(page.locator("#not-sent li")).to_contain_text(
        "A phone or fax number that is not the practice's"
    )
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT

    # Fixed: the panel clears as the text changes, and the post goes to the doctor.
    page.locator("textarea[name=caption]").fill("Nurse Jo celebrates ten years with us! 🎉")
    expect(compliance).to_contain_text("Nothing found")
    expect(x_counter).to_contain_text("41 / 280")
    # The practice's hashtags, one click away.
    page.get_by_text("The practice's hashtags and voice").click()
    page.get_by_role("button", name="Add them to the caption").click()
    expect(page.locator("textarea[name=caption]")).to_have_value(
        "Nurse Jo celebrates ten years with us! 🎉\n\n#LakesideFamily #IVF"
    )
    expect(x_counter).to_contain_text("63 / 280")  # a line break counts one
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message.success")).to_contain_text("Saved.")
    page.get_by_role("button", name="Send for approval").click()
    expect(page.locator(".message.success")).to_contain_text("Sent to the practice's doctors")
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW

    # The doctor approves (their side is its own page); the strategist schedules.
    post.approve(by=doctor, via="login")
    page.reload()
    page.get_by_role("button", name=re.compile(r"^Schedule")).click()
    expect(page.locator(".message.success")).to_contain_text("Scheduled for")
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    local = practice.local(post.scheduled_at)
    assert (local.date(), local.hour, local.minute) == (when.date(), 9, 30)
    assert post.publications.count() == 3
    assert post.caption.endswith("#LakesideFamily #IVF")


def test_a_video_added_in_the_editor_goes_with_a_progress_bar(
    live_server, laptop, strategist, practice, settings, tmp_path
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    account = factories.make_account(practice, "linkedin")
    clip = tmp_path / "tour.mov"
    clip.write_bytes(samples.video_bytes("vertical"))
    page = laptop
    log_in(page, live_server.url, "strategist")
    page.goto(f"{live_server.url}/posts/new/?practice={practice.slug}")
    page.fill("textarea[name=caption]", "Our new waiting room, in four seconds.")
    page.locator(f"input[name=targets][value='{account.pk}']").check()
    page.set_input_files("input[name=upload_video]", [str(clip)])
    # Choosing the file sends nothing to the live checks (they leave files out).
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message.success")).to_contain_text("Saved.")
    expect(page).to_have_url(re.compile(r"/posts/\d+/edit/$"))
    expect(page.locator("#video .video-status.processing")).to_be_visible()
    post = Post.objects.get()
    assert post.media.get().is_video

    # A refusal comes back as the page, with the reason.
    page.goto(f"{live_server.url}/posts/new/?practice={practice.slug}")
    page.fill("textarea[name=caption]", "Not a video.")
    notes = tmp_path / "notes.mov"
    notes.write_bytes(samples.pdf_bytes())
    page.set_input_files("input[name=upload_video]", [str(notes)])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("“notes.mov” is not a video we can read")).to_be_visible()
    assert Post.objects.count() == 1
