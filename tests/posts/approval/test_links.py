"""The link e-mailed to each doctor: what it opens, what it refuses to open, and when it
stops working."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from posts.models import ApprovalLink, Post
from practices.models import Membership
from tests import factories
from tests import media_samples as samples
from tests.posts.approval.support import link_from, send, sent_link
from tests.publishing_support import sent_mail

pytestmark = pytest.mark.django_db

REFUSED = "This link no longer works"


# -- the e-mail and the link ---------------------------------------------------------------


def test_sending_for_approval_e_mails_each_doctor_a_link_that_opens_the_page(
    client, strategist, practice, post, doctor
):
    second = factories.make_member(practice, Membership.Role.DOCTOR, "second_doctor")
    send(client, strategist, post, note="The photo is from Tuesday's clinic.")
    assert post.status == Post.Status.IN_REVIEW
    messages = sent_mail()
    assert sorted(m.to[0] for m in messages) == sorted([doctor.email, second.email])
    message = next(m for m in messages if m.to == [doctor.email])
    assert practice.name in message.subject
    html = {mimetype: content for content, mimetype in message.alternatives}["text/html"]
    path = link_from(message)
    assert path in html and practice.name in html
    # Two different links: each doctor's own.
    assert link_from(messages[0]) != link_from(messages[1])

    page = client.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Flu shots are in: walk in any weekday morning." in body
    assert "The photo is from Tuesday&#x27;s clinic." in body
    assert "Facebook preview" in body and "X preview" in body
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"
    # Its photos come through the link too.
    photo = re.search(r'src="(/a/[^"]+/photos/\d+/[^"]+/)"', body).group(1)
    assert client.get(photo).status_code == 200


@pytest.mark.parametrize("spoil", ["forged", "expired", "revoked", "closed", "no longer a doctor"])
def test_a_link_that_no_longer_works_is_refused_with_one_plain_answer(
    client, strategist, post, doctor, spoil
):
    path = sent_link(client, strategist, post, doctor)
    link = ApprovalLink.objects.get(doctor=doctor)
    if spoil == "forged":
        token = path.split("/")[2]
        path = f"/a/{token[:-2]}{'AB' if not token.endswith('AB') else 'CD'}/"
    elif spoil == "expired":
        ApprovalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    elif spoil == "revoked":
        ApprovalLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    elif spoil == "closed":
        assert client.post(path + "done/").status_code == 200
    else:
        Membership.objects.filter(user=doctor).update(role=Membership.Role.STAFF)
    for response in (
        client.get(path),
        client.post(path + "decide/", {"post": post.pk, "shown": "x", "action": "approve"}),
    ):
        assert response.status_code == 403
        assert REFUSED in response.content.decode()
        assert "expired" not in response.content.decode().lower()
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW


def test_a_link_stops_working_once_its_doctor_signs_out(client, strategist, post, doctor):
    path = sent_link(client, strategist, post, doctor)
    client.force_login(doctor)
    assert client.get(path).status_code == 200  # their own link, signed in as themselves
    client.post(reverse("logout"))
    response = client.get(path)
    assert response.status_code == 403 and REFUSED in response.content.decode()


def test_a_link_does_not_work_for_another_doctor_signed_in(
    client, strategist, post, doctor, other_doctor, practice
):
    path = sent_link(client, strategist, post, doctor)
    colleague = factories.make_member(practice, Membership.Role.DOCTOR, "colleague")
    for person in (other_doctor, colleague):
        client.force_login(person)
        assert client.get(path).status_code == 403
    client.logout()


def test_a_link_reaches_the_approval_page_and_nothing_else(
    client, strategist, post, doctor, other_practice, accounts
):
    path = sent_link(client, strategist, post, doctor)
    assert client.get(path).status_code == 200
    for url in (
        reverse("home"),
        reverse("dashboard"),
        reverse("approvals"),
        post.get_absolute_url(),
        reverse("post_edit", args=[post.pk]),
        reverse("staff_home"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    # Another practice's post cannot be decided through it.
    elsewhere = factories.make_post(other_practice, status=Post.Status.IN_REVIEW)
    client.post(
        path + "decide/",
        {"post": elsewhere.pk, "shown": elsewhere.content_hash(), "action": "approve"},
    )
    elsewhere.refresh_from_db()
    assert elsewhere.status == Post.Status.IN_REVIEW
    # Nor a photo that is not in a post its doctors see.
    from posts.media import photos as media

    stray = media.store_photo(
        practice=post.practice, upload=samples.photo("stray.jpg"), by=post.author
    )
    assert client.get(f"{path}photos/{stray.pk}/thumbnail/").status_code == 404


def test_the_agency_closes_every_link_of_a_practice(
    client, strategist, post, doctor, other_strategist
):
    path = sent_link(client, strategist, post, doctor)
    client.force_login(other_strategist)  # not this practice's
    response = client.post(reverse("approval_links_revoke", args=[post.practice.slug]))
    assert response.status_code == 404
    client.logout()
    assert client.get(path).status_code == 200
    client.force_login(strategist)
    client.post(reverse("approval_links_revoke", args=[post.practice.slug]))
    client.logout()
    assert client.get(path).status_code == 403
    assert AuditEvent.objects.filter(verb="approval_links_revoked").exists()
