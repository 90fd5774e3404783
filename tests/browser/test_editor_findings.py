"""The editor in a browser, as trying it found it: a saved post's checks stay on screen
once the page settles, and each platform's text follows the caption until edited."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_saved_posts_checks_stay_and_its_platform_texts_follow_the_caption(
    live_server, laptop, strategist, practice
):
    accounts = [factories.make_account(practice, p) for p in ("facebook", "x")]
    post = factories.make_post(
        practice, targets=accounts, caption="Call Maria at 555-201-3344 about her visit."
    )
    page = laptop
    log_in(page, live_server.url, "strategist")
    page.goto(f"{live_server.url}/posts/{post.pk}/edit/")

    # The best-time suggestion arrives after the page: it lands in its own place...
    expect(page.locator("#best-time")).to_contain_text("Not enough")
    # ...and the checks the page came with are still there, untouched.
    compliance = page.locator("#compliance")
    expect(compliance).to_contain_text("A phone or fax number that is not the practice's")

    # Each platform's box starts as the caption, marked so, and follows it.
    page.locator("summary", has_text="A different text for one platform").click()
    x_box = page.locator("textarea[name=override_x]")
    facebook_box = page.locator("textarea[name=override_facebook]")
    expect(x_box).to_have_value("Call Maria at 555-201-3344 about her visit.")
    caption = page.locator("textarea[name=caption]")
    caption.fill("Flu shots are in: walk in any weekday morning.")
    expect(x_box).to_have_value("Flu shots are in: walk in any weekday morning.")
    # Edited, a box is that platform's own text: the caption no longer changes it.
    x_box.fill("Flu shots: walk in.")
    x_mark = page.locator(".override", has=x_box).locator(".same-as-caption")
    expect(x_mark).to_be_hidden()
    caption.fill("Flu shots are in, from Monday.")
    expect(x_box).to_have_value("Flu shots: walk in.")
    expect(facebook_box).to_have_value("Flu shots are in, from Monday.")
    # The live checks saw the new caption: the phone number is gone from them.
    expect(compliance).not_to_contain_text("A phone or fax number")
