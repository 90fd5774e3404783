"""What trying the editor found: each platform's text starts as the caption, and a
refused send keeps the note for the doctor and lists what to fix."""

from __future__ import annotations

import re

import pytest

from posts.models import Post
from tests import factories
from tests.posts.authoring.support import editor_data

pytestmark = pytest.mark.django_db


def boxes(page: str) -> dict[str, tuple[str, bool]]:
    """Each platform's text box: its text, and whether it is marked as the caption."""
    found = {}
    for block in page.split('<div class="override')[1:]:
        name = re.search(r'name="override_(\w+)"', block).group(1)
        text = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", block, re.S).group(1)
        marked = 'class="help same-as-caption">' in block.split("</div>\n      </div>")[0]
        found[name] = (text, marked)
    return found


def test_each_platforms_text_starts_as_the_caption_until_edited(
    client, strategist, practice, accounts
):
    post = factories.make_post(
        practice, targets=[accounts["facebook"], accounts["x"]], caption="Flu shots are in."
    )
    client.force_login(strategist)
    page = client.get(f"/posts/{post.pk}/edit/").content.decode()
    shown = boxes(page)
    assert shown["facebook"] == ("Flu shots are in.", True)
    assert shown["x"] == ("Flu shots are in.", True)

    # The caption changes, the boxes are sent as the page showed them (no script):
    # they follow the caption; no platform gets a text of its own.
    data = editor_data(post, caption="Flu shots are in, walk in any morning.")
    data["caption_shown"] = "Flu shots are in."
    data["override_facebook"] = data["override_x"] = "Flu shots are in."
    client.post(f"/posts/{post.pk}/edit/", data)
    post.refresh_from_db()
    assert post.caption == "Flu shots are in, walk in any morning." and post.overrides == {}

    # One box edited: that platform's own text, marked as no longer the caption.
    data = editor_data(post)
    data["caption_shown"] = post.caption
    data["override_x"] = "Flu shots: walk in."
    client.post(f"/posts/{post.pk}/edit/", data)
    post.refresh_from_db()
    assert post.overrides == {"x": "Flu shots: walk in."}
    shown = boxes(client.get(f"/posts/{post.pk}/edit/").content.decode())
    assert shown["x"] == ("Flu shots: walk in.", False)
    assert shown["facebook"] == (post.caption, True)


def test_a_refused_send_lists_what_to_fix_and_keeps_the_note(
    client, strategist, practice, accounts
):
    # Nothing to publish to and an identifier in the caption: two reasons.
    post = factories.make_post(practice, caption="Call Maria at 555-201-3344 about her IVF.")
    client.force_login(strategist)
    response = client.post(
        f"/posts/{post.pk}/send/",
        {"version": post.version, "note": "Dr. Lee, the photo is from Tuesday."},
        follow=True,
    )
    page = response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    panel = page[page.index('id="not-sent"') :]
    panel = panel[: panel.index("</div>")]
    reasons = re.findall(r"<li>(.*?)</li>", panel)
    assert len(reasons) >= 2
    assert "Choose at least one account to publish to." in reasons
    assert ">Dr. Lee, the photo is from Tuesday.</textarea>" in page
    # Said once: the next load is the editor as usual.
    again = client.get(f"/posts/{post.pk}/edit/").content.decode()
    assert 'id="not-sent"' not in again
