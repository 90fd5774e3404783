"""The doctor approves on a phone: each post once, its decision within the first
screen, the platforms folded below; the e-mail says what waits."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from posts.approval import requests as approval_requests
from posts.media import photos as media
from posts.models import PostMedia
from tests import factories
from tests import media_samples as samples
from tests.publishing_support import sent_mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "approval"
SCREEN = 844  # the phone's viewport height, in CSS pixels


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_each_post_is_decided_within_its_first_screen(
    live_server, phone, settings, practice, strategist, doctor
):
    settings.SITE_URL = live_server.url
    accounts = [factories.make_account(practice, p) for p in ("facebook", "instagram", "x")]
    posts = []
    for n, title in enumerate(("Flu clinic", "Meet Nurse Jo")):
        post = factories.make_post(
            practice,
            author=strategist,
            title=title,
            targets=accounts,
            caption=f"{title}: walk in any weekday morning, no appointment needed. "
            "Bring your insurance card and a friend. #health #community",
            scheduled_at=timezone.now() + timedelta(days=2 + n),
        )
        for position in range(2):
            asset = media.store_photo(
                practice=practice,
                upload=samples.photo(f"p{n}{position}.jpg", color=(90 * position, 120, 200)),
                by=strategist,
            )
            PostMedia.objects.create(post=post, asset=asset, position=position)
        post.submit_for_review()
        posts.append(post)
    approval_requests.ask_doctors(posts[-1])

    # The e-mail says what waits: each post's title, time and the start of its text.
    (message,) = [m for m in sent_mail() if m.to == [doctor.email]]
    for post in posts:
        assert post.title in message.body
        when = practice.local(post.scheduled_at)
        assert f"{when:%a} {when.day} {when:%b}, {when:%H:%M}" in message.body
    assert "walk in any weekday morning" in message.body

    page = phone()
    page.goto(re.search(r"https?://\S+/a/\S+/", message.body).group(0))
    for post in posts:
        article = page.locator(f"#post-{post.pk}")
        expect(article).to_contain_text("walk in any weekday morning")
        top = article.bounding_box()["y"]
        approve = article.get_by_role("button", name="Approve this post")
        assert approve.bounding_box()["y"] + approve.bounding_box()["height"] - top <= SCREEN
        # The platforms' looks are there, folded.
        looks = article.locator("details.platform-looks")
        expect(looks.locator(".preview")).to_have_count(3)
        expect(looks.locator(".preview").first).to_be_hidden()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3000, height  # it was 6,100 px for two posts
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)

    # Unfolded, every platform shows as it will appear.
    page.locator(f"#post-{posts[0].pk} summary", has_text="How it looks").click()
    expect(page.locator(f"#post-{posts[0].pk} .preview.instagram")).to_be_visible()
    page.locator(f"#post-{posts[0].pk}").get_by_role("button", name="Approve this post").click()
    expect(page.locator(".message.success")).to_contain_text("It goes out")
