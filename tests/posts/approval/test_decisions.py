"""A doctor's decisions, through the link or signed in: each is bound to the version of the
post the page showed, for one post, for all of them, or when asking for changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from posts.authoring import editor
from posts.content import content_of
from posts.models import Approval, Post
from tests import factories
from tests.posts.approval.support import send, sent_link, shown_hash
from tests.publishing_support import sent_mail

pytestmark = pytest.mark.django_db


def test_approving_through_the_link_records_the_version_who_and_how_and_schedules(
    client, strategist, post, doctor
):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    response = client.post(
        path + "decide/",
        {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"},
        HTTP_USER_AGENT="Phone browser 1.0",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert set(post.publications.values_list("status", flat=True)) == {"pending"}
    approval = post.approvals.get(decision=Approval.Decision.APPROVED)
    assert approval.content_hash == post.content_hash()
    assert approval.reviewer == doctor and approval.via == Approval.Via.LINK
    assert approval.link is not None and approval.link.doctor == doctor
    assert approval.user_agent == "Phone browser 1.0"
    assert approval.ip_address is not None
    assert approval.snapshot["caption"] == post.caption
    event = AuditEvent.objects.get(verb="post_approved")
    assert event.actor == doctor and event.detail["via"] == "link"


def test_a_signed_in_doctor_reaches_the_same_page_from_home(client, strategist, post, doctor):
    send(client, strategist, post)
    client.force_login(doctor)
    page = client.get(reverse("approvals"))
    assert page.status_code == 200
    client.post(
        reverse("approval_decide", args=[post.practice.slug]),
        {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"},
    )
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert post.approvals.get().via == Approval.Via.LOGIN


# -- bound to the version shown ---------------------------------------------------------------


def test_a_post_changed_after_the_page_was_opened_is_not_approved(client, strategist, post, doctor):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    Post.objects.filter(pk=post.pk).update(caption="Something else entirely.")
    response = client.post(
        path + "decide/",
        {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"},
        follow=True,
    )
    assert "changed after the page was opened" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW and not post.approvals.exists()


def test_an_edit_after_approval_voids_it_and_the_doctor_sees_what_changed(
    client, strategist, post, doctor, photos
):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    client.post(
        path + "decide/", {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"}
    )
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED

    content = content_of(post)
    content.caption = "Flu shots are in: walk in any weekday afternoon."
    content.photos = [photos[0], photos[2]]
    editor.save(
        practice=post.practice,
        post=post,
        content=content,
        version=post.version,
        by=strategist,
        confirm_void=True,
    )
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert not post.approval_is_current()
    assert not post.publications.exists()  # nothing left to publish

    path = sent_link(client, strategist, post, doctor)
    body = client.get(path).content.decode()
    assert "Changed since you approved it" in body
    assert "<del>morning.</del>" in body and "<ins>afternoon.</ins>" in body
    assert "Photos added:" in body and "Photos removed:" in body


def test_asking_for_changes_needs_a_comment_and_tells_the_strategist(
    client, strategist, post, doctor
):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    shown = shown_hash(page, post)
    response = client.post(
        path + "decide/", {"post": post.pk, "shown": shown, "action": "changes"}, follow=True
    )
    assert "needs a comment" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW
    client.post(
        path + "decide/",
        {"post": post.pk, "shown": shown, "action": "changes", "comment": "Use the smiling one."},
    )
    post.refresh_from_db()
    assert post.status == Post.Status.CHANGES_REQUESTED
    assert post.approvals.get().comment == "Use the smiling one."
    told = [m for m in sent_mail() if m.to == [strategist.email]]
    assert len(told) == 1 and "Use the smiling one." in told[0].body
    assert reverse("post_edit", args=[post.pk]) in told[0].body


def test_approve_all_approves_exactly_the_posts_shown_as_shown(
    client, strategist, practice, post, doctor, accounts
):
    second = factories.make_post(
        practice,
        author=strategist,
        targets=accounts[:1],
        caption="Closed Monday for the holiday.",
        scheduled_at=timezone.now() + timedelta(days=4),
    )
    send(client, strategist, second)
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    body = page.content.decode()
    assert "Approve all 2 posts" in body
    shown = re.findall(r'name="shown" value="(\d+:\w+)"', body)
    assert len(shown) == 2
    # One of them changes before the doctor taps "approve all".
    Post.objects.filter(pk=second.pk).update(caption="Closed Monday and Tuesday.")
    client.post(path + "all/", {"shown": shown})
    post.refresh_from_db()
    second.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert second.status == Post.Status.IN_REVIEW and not second.approvals.exists()


def test_the_approval_page_query_count_does_not_grow_with_posts(
    client, strategist, practice, post, doctor, accounts, django_assert_max_num_queries
):
    path = sent_link(client, strategist, post, doctor)
    client.get(path)  # the link's first use is written down (then at most once a minute)
    with django_assert_max_num_queries(100) as one:
        client.get(path)
    consent = factories.make_consent(practice, platforms=["facebook", "x"])
    for i in range(3):
        more = factories.make_post(
            practice, author=strategist, targets=accounts, caption=f"Post {i}"
        )
        more.consents.add(consent)
        more.comments.create(author=strategist, body=f"Note {i}")
        more.submit_for_review()
    with django_assert_max_num_queries(100) as four:
        page = client.get(path)
    # Every post's photos, authorizations, targets, notes and last approval are
    # read for all the posts at once: the same queries for one post or four.
    assert len(four.captured_queries) == len(one.captured_queries)
    assert all(f"Post {i}" in page.text for i in range(3))
    assert "Note 2" in page.text and consent.patient_label in page.text
    # The hashes shown, read for all posts at once, are those a decision checks.
    shown = re.findall(r'name="shown" value="(\d+:\w+)"', page.text)
    assert len(shown) == 4
    client.post(path + "all/", {"shown": shown})
    assert not Post.objects.filter(practice=practice, status=Post.Status.IN_REVIEW).exists()
