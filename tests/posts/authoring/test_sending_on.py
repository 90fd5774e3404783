"""Sending a post on: for approval, agency review, scheduling, cancelling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEvent
from posts.authoring import editor
from posts.media import outgoing
from posts.models import Approval, Post, PostMedia
from practices.models import Practice
from tests import factories
from tests.posts.authoring.support import editor_data

pytestmark = pytest.mark.django_db


# -- sending on -------------------------------------------------------------------------


def test_send_for_approval_goes_to_the_doctor_under_the_always_policy(
    client, strategist, practice, accounts
):
    post = factories.make_post(practice, targets=[accounts["facebook"]])
    client.force_login(strategist)
    response = client.post(f"/posts/{post.pk}/send/", {"version": post.version})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW
    assert AuditEvent.objects.filter(verb="post_sent_for_approval").exists()


def test_without_a_doctor_in_the_policy_the_agency_approves_and_schedules(
    client, strategist, practice, accounts
):
    practice.approval_policy = Practice.ApprovalPolicy.NEVER
    practice.save()
    post = factories.make_post(
        practice,
        targets=[accounts["facebook"]],
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(strategist)
    client.post(f"/posts/{post.pk}/send/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVED
    approval = post.approvals.get()
    assert approval.reviewer == strategist and approval.decision == Approval.Decision.APPROVED
    client.post(f"/posts/{post.pk}/schedule/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert post.publications.count() == 1
    client.post(f"/posts/{post.pk}/unschedule/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVED
    assert not post.publications.exists()


def test_an_action_from_a_stale_page_is_refused(client, strategist, practice, accounts):
    post = factories.make_post(practice, targets=[accounts["facebook"]])
    client.force_login(strategist)
    response = client.post(f"/posts/{post.pk}/send/", {"version": post.version + 5}, follow=True)
    assert "someone saved this post after you opened it" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_a_phone_number_blocks_sending_until_the_caption_is_fixed(
    client, strategist, practice, accounts
):
    post = factories.make_post(
        practice, targets=[accounts["facebook"]], caption="Call Maria's mom at 312-555-0188."
    )
    client.force_login(strategist)
    response = client.post(f"/posts/{post.pk}/send/", {"version": post.version}, follow=True)
    assert "A phone or fax number that is not the practice&#x27;s" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT

    client.post(
        f"/posts/{post.pk}/edit/",
        editor_data(post, caption="Call us to book your visit."),
    )
    post.refresh_from_db()
    client.post(f"/posts/{post.pk}/send/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW


def test_an_accepted_finding_lets_the_post_go_with_the_reason_kept(
    client, strategist, practice, accounts
):
    post = factories.make_post(
        practice, targets=[accounts["facebook"]], caption="Questions? Dr. Lee: 312-555-0188."
    )
    client.force_login(strategist)
    client.post(
        f"/posts/{post.pk}/accept-identifiers/",
        {"reason": "Dr. Lee's office line, public on our website."},
    )
    post.refresh_from_db()
    assert post.identifier_review_note == "Dr. Lee's office line, public on our website."
    event = AuditEvent.objects.get(verb="identifiers_accepted")
    assert event.detail["reason"] == "Dr. Lee's office line, public on our website."
    assert "312" not in str(event.detail)
    client.post(f"/posts/{post.pk}/send/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW

    # A new identifier blocks again.
    post.reopen()
    post.caption += " Or e-mail maria.g@gmail.com."
    post.save()
    assert editor.readiness(post)


def test_google_refuses_four_photos_until_one_is_chosen_for_it(
    client, strategist, practice, accounts, photos
):
    post = factories.make_post(practice, targets=[accounts["google_business"]])
    for position, asset in enumerate(photos):
        PostMedia.objects.create(post=post, asset=asset, position=position)
    reasons = editor.readiness(post)
    assert any("Google" in reason and "Choose which photo goes" in reason for reason in reasons)

    client.force_login(strategist)
    data = editor_data(post)
    for asset in photos[1:]:
        data[f"to_{asset.pk}"] = []
    assert client.post(f"/posts/{post.pk}/edit/", data).status_code == 302
    post.refresh_from_db()
    assert post.photo_choices == {"google_business": [photos[0].pk]}
    assert editor.readiness(post) == []
    assert [i.alt_text for i in outgoing.media_items(post, "google_business")] == [
        photos[0].alt_text
    ]


def test_cancel_and_duplicate(client, strategist, practice, accounts, photos):
    post = factories.make_post(practice, targets=[accounts["facebook"]], title="Flu")
    PostMedia.objects.create(post=post, asset=photos[0], position=0)
    client.force_login(strategist)
    response = client.post(f"/posts/{post.pk}/duplicate/")
    copy = Post.objects.exclude(pk=post.pk).get()
    assert response["Location"] == f"/posts/{copy.pk}/edit/"
    assert copy.caption == post.caption and copy.title == "Copy of Flu"
    assert [pm.asset_id for pm in copy.attachments()] == [photos[0].pk]
    assert list(copy.targets.all()) == [accounts["facebook"]]

    client.post(f"/posts/{post.pk}/cancel/", {"version": post.version, "reason": "Not needed."})
    post.refresh_from_db()
    assert post.status == Post.Status.CANCELLED and post.cancel_reason == "Not needed."


def test_comments_between_strategist_and_doctor(client, strategist, doctor, practice, accounts):
    post = factories.make_post(practice, targets=[accounts["facebook"]])
    client.force_login(strategist)
    client.post(f"/posts/{post.pk}/comments/", {"body": "Photo 2 is the best one, I think."})
    post.submit_for_review()
    client.force_login(doctor)
    client.post(f"/posts/{post.pk}/comments/", {"body": "Agreed."})
    assert [c.body for c in post.comments.all()] == ["Photo 2 is the best one, I think.", "Agreed."]
    assert client.post(f"/posts/{post.pk}/comments/", {"body": "  "}).status_code == 302
    assert post.comments.count() == 2
