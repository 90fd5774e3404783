"""What the approval tests share: sending a post to the doctors, the link a doctor's
e-mail holds, and the version of a post an approval page showed."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.publishing_support import sent_mail

# The path of an approval link, in an e-mail's text.
LINK = re.compile(r"https?://[^/\s]+(/a/[^/\s]+/)")


def send(client, strategist, post, **extra):
    client.force_login(strategist)
    response = client.post(reverse("post_send", args=[post.pk]), {"version": post.version, **extra})
    assert response.status_code == 302
    client.logout()
    post.refresh_from_db()
    return post


def link_from(message) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def sent_link(client, strategist, post, doctor) -> str:
    before = len(sent_mail())
    send(client, strategist, post)
    messages = [m for m in sent_mail()[before:] if m.to == [doctor.email]]
    assert len(messages) == 1
    return link_from(messages[0])


def shown_hash(response, post) -> str:
    match = re.search(
        rf'name="post" value="{post.pk}">\s*<input type="hidden" name="shown" value="(\w+)"',
        response.content.decode(),
    )
    assert match, "the post is not on the page"
    return match.group(1)
