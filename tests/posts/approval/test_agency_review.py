"""The agency's own review, which comes before the doctors when a practice asks for it, and
a practice that asks for no doctor's approval at all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import Notification
from posts.models import Post
from practices.models import Practice
from tests.posts.approval.support import send
from tests.publishing_support import sent_mail

pytestmark = pytest.mark.django_db


def test_an_agency_review_comes_first_when_the_practice_asks_for_one(
    client, strategist, practice, post, doctor, lead
):
    practice.internal_review = True
    practice.save()
    send(client, strategist, post)
    assert post.status == Post.Status.AGENCY_REVIEW
    first = sent_mail()
    assert [m.to for m in first] == [[lead.email]]
    assert "agency review" in first[0].subject
    first.clear()
    # Not by its own author, who is not offered it either.
    client.force_login(strategist)
    editor_page = client.get(reverse("post_edit", args=[post.pk])).content.decode()
    assert "Reviewed: send to the doctors" not in editor_page
    assert "Waiting for the agency lead or another strategist" in editor_page
    client.post(reverse("post_pass_review", args=[post.pk]), {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.AGENCY_REVIEW
    # The doctors never saw it.
    client.force_login(doctor)
    assert client.get(post.get_absolute_url()).status_code == 404
    client.force_login(lead)
    editor_page = client.get(reverse("post_edit", args=[post.pk])).content.decode()
    assert "Reviewed: send to the doctors" in editor_page
    client.post(reverse("post_pass_review", args=[post.pk]), {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW
    assert [m.to for m in sent_mail()] == [[doctor.email]]


def test_the_agency_reviewer_sends_a_post_back_with_a_comment(
    client, strategist, practice, post, lead
):
    practice.internal_review = True
    practice.save()
    send(client, strategist, post)
    client.force_login(lead)
    client.post(
        reverse("post_agency_changes", args=[post.pk]),
        {"version": post.version, "comment": "Shorter, please."},
    )
    post.refresh_from_db()
    assert post.status == Post.Status.CHANGES_REQUESTED
    told = [m for m in sent_mail() if m.to == [strategist.email]]
    assert len(told) == 1 and "Shorter, please." in told[0].body


def test_approval_policies_still_allow_no_doctor(client, strategist, practice, post):
    practice.approval_policy = Practice.ApprovalPolicy.NEVER
    practice.save()
    send(client, strategist, post)
    assert post.status == Post.Status.APPROVED
    assert not Notification.objects.filter(kind=Notification.Kind.AWAITING_APPROVAL).exists()
