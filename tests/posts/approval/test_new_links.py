"""A doctor's way back in: closing every link at once, and asking for a new link by
e-mail from a refused one, without anyone learning who is a doctor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent
from posts.models import ApprovalLink
from tests import factories
from tests.posts.approval.support import link_from, sent_link
from tests.publishing_support import sent_mail

pytestmark = pytest.mark.django_db

REFUSED = "This link no longer works"
ANSWER = "If that address is a doctor's at one of the agency's practices"


def test_closing_from_a_new_link_closes_the_older_ones_too(
    client, strategist, post, doctor, practice, accounts
):
    older = sent_link(client, strategist, post, doctor)
    second = factories.make_post(practice, targets=accounts[:1], caption="Open house.")
    newer = sent_link(client, strategist, second, doctor)
    assert client.get(older).status_code == 200
    page = client.get(newer).content.decode()
    assert "Close all my links" in page
    closed = client.post(newer + "done/").content.decode()
    assert "this one and the 1 older one in your e-mails" in closed
    for path in (older, newer):
        response = client.get(path)
        assert response.status_code == 403 and REFUSED in response.content.decode()
        # Nor can the older one still decide: the Hold and Approve buttons are gone with it.
        decided = client.post(
            path + "decide/", {"post": post.pk, "shown": "x", "action": "approve"}
        )
        assert decided.status_code == 403
    assert ApprovalLink.objects.filter(doctor=doctor, revoked_at__isnull=True).count() == 0


def test_a_refused_link_offers_a_new_one_by_e_mail_to_the_address_on_file(
    client, strategist, post, doctor
):
    path = sent_link(client, strategist, post, doctor)
    client.post(path + "done/")
    before = len(sent_mail())
    refused = client.get(path).content.decode()
    assert "E-mail me a new link" in refused
    response = client.post(reverse("approval_link_request"), {"email": doctor.email.upper()})
    assert response.status_code == 200 and ANSWER in response.content.decode()
    (message,) = sent_mail()[before:]
    assert message.to == [doctor.email]  # the address on file, not the one typed
    fresh = link_from(message)
    assert fresh != path
    page = client.get(fresh)
    assert page.status_code == 200 and post.caption in page.content.decode()


@pytest.mark.parametrize("typed", ["nobody@example.test", "staff", "strategist"])
def test_the_answer_is_the_same_for_anyone_else_and_nothing_is_sent(request, client, post, typed):
    # An unknown address, and the addresses of people who are no doctor.
    if typed in ("staff", "strategist"):
        typed = request.getfixturevalue(typed).email
    before = len(sent_mail())
    response = client.post(reverse("approval_link_request"), {"email": typed})
    assert response.status_code == 200 and ANSWER in response.content.decode()
    assert sent_mail()[before:] == []


def test_asking_again_and_again_is_limited(client, post, doctor, settings):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 2
    before = len(sent_mail())
    for _ in range(4):
        response = client.post(reverse("approval_link_request"), {"email": doctor.email})
        assert response.status_code == 200 and ANSWER in response.content.decode()
    assert len(sent_mail()[before:]) == 2
    assert AuditEvent.objects.filter(verb="approval_link_request_limited").count() == 2


def test_a_request_that_is_not_an_address_says_so_and_sends_nothing(client, post):
    response = client.post(reverse("approval_link_request"), {"email": "<script>"})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert sent_mail() == []
