"""Around a doctor's decision: holding an approved post before it goes out, a post no one
approved in time, and the reminders sent before that."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.approval import requests as approval_requests
from posts.models import ApprovalLink, Post, Publication
from posts.publishing import dispatch
from tests.posts.approval.support import link_from, send, sent_link, shown_hash
from tests.publishing_support import sent_mail

pytestmark = pytest.mark.django_db


def test_a_doctor_holds_an_approved_post_before_it_goes_out(client, strategist, post, doctor):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    client.post(
        path + "decide/", {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"}
    )
    sent_mail().clear()
    client.post(path + "decide/", {"post": post.pk, "action": "hold", "comment": "Wait a week."})
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW
    assert not post.approval_is_current()
    assert not post.publications.exists()
    assert dispatch.claim_due(now=post.scheduled_at + timedelta(minutes=1)) == []
    told = [m for m in sent_mail() if m.to == [strategist.email]]
    assert len(told) == 1 and "on hold" in told[0].subject and "Wait a week." in told[0].body


def test_a_post_already_going_out_cannot_be_held(client, strategist, post, doctor):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    client.post(
        path + "decide/", {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"}
    )
    post.refresh_from_db()
    post.start_publishing()
    response = client.post(path + "decide/", {"post": post.pk, "action": "hold"}, follow=True)
    assert "can no longer be held" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHING


def test_an_unapproved_post_is_never_published_and_the_strategist_is_told(
    client, strategist, post, doctor
):
    send(client, strategist, post)
    sent_mail().clear()
    due = post.scheduled_at + timedelta(minutes=1)
    assert approval_requests.expire_overdue(now=post.scheduled_at - timedelta(minutes=1)) == 0
    assert approval_requests.expire_overdue(now=due) == 1
    assert approval_requests.expire_overdue(now=due) == 0
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVAL_EXPIRED
    # Never scheduled, it has nothing a dispatcher could take.
    assert not Publication.objects.filter(post=post).exists()
    told = [m for m in sent_mail() if m.to == [strategist.email]]
    assert len(told) == 1 and "not approved in time" in told[0].subject
    # The doctor can no longer approve it.
    path = approval_requests.issue_link(doctor, post.practice)
    assert f"post-{post.pk}" not in client.get(path).content.decode()


def test_reminders_go_at_24_and_2_hours_once_each(client, strategist, post, doctor, settings):
    settings.APPROVAL_REMINDER_HOURS = [24, 2]
    send(client, strategist, post)
    Post.objects.filter(pk=post.pk).update(updated_at=timezone.now() - timedelta(days=1))
    sent_mail().clear()
    at = post.scheduled_at
    assert approval_requests.send_reminders(now=at - timedelta(hours=30)) == 0
    assert approval_requests.send_reminders(now=at - timedelta(hours=23)) == 1
    assert approval_requests.send_reminders(now=at - timedelta(hours=22)) == 0
    assert approval_requests.send_reminders(now=at - timedelta(hours=1)) == 1
    assert approval_requests.send_reminders(now=at - timedelta(minutes=30)) == 0
    reminders = [m for m in sent_mail() if m.to == [doctor.email]]
    assert len(reminders) == 2
    assert all("Reminder" in m.subject for m in reminders)
    assert client.get(link_from(reminders[1])).status_code == 200
    # One link per reminder sent, not one per run.
    assert ApprovalLink.objects.filter(doctor=doctor).count() == 3
