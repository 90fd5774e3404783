"""What a doctor sees of a post, by its status: a post reaches the practice's doctors when it
is sent for review and stays visible to them from then on, while drafts (the agency's working
space) and posts cancelled before they got that far never do."""

from __future__ import annotations

import pytest
from django.urls import reverse

from posts import access
from posts.models import MediaAsset, Post, PostMedia, Publication
from tests import factories
from tests.agency.support import outcome, page_status


def _cancelled_from(status):
    def make(practice):
        post = factories.make_post(practice, status=status)
        post.cancel(reason="Not this week.")
        return post

    return make


def _cancelled_on_the_way_out(practice):
    # Every publication cancelled while publishing (an authorization revoked).
    account = factories.make_account(practice)
    post = factories.make_post(practice, status=Post.Status.PUBLISHING, targets=[account])
    Publication.objects.create(post=post, account=account, status=Publication.Status.CANCELLED)
    post.roll_up()
    return post


def _reopened_after_changes(practice):
    post = factories.make_post(practice, status=Post.Status.IN_REVIEW)
    doctor = practice.memberships.get(role="doctor").user
    post.request_changes(by=doctor, via="login", comment="A smaller photo, please.")
    post.reopen()
    return post


def _in_status(status):
    return lambda practice: factories.make_post(practice, status=status)


DOCTOR_SEES = {
    "draft": (_in_status(Post.Status.DRAFT), False),
    "in_review": (_in_status(Post.Status.IN_REVIEW), True),
    "changes_requested": (_in_status(Post.Status.CHANGES_REQUESTED), True),
    "approved": (_in_status(Post.Status.APPROVED), True),
    "scheduled": (_in_status(Post.Status.SCHEDULED), True),
    "publishing": (_in_status(Post.Status.PUBLISHING), True),
    "published": (_in_status(Post.Status.PUBLISHED), True),
    "partially_failed": (_in_status(Post.Status.PARTIALLY_FAILED), True),
    "failed": (_in_status(Post.Status.FAILED), True),
    "back_to_draft_after_changes": (_reopened_after_changes, False),
    "cancelled_as_a_draft": (_cancelled_from(Post.Status.DRAFT), False),
    "cancelled_in_review": (_cancelled_from(Post.Status.IN_REVIEW), True),
    "cancelled_after_changes_requested": (_cancelled_from(Post.Status.CHANGES_REQUESTED), True),
    "cancelled_when_scheduled": (_cancelled_from(Post.Status.SCHEDULED), True),
    "cancelled_on_the_way_out": (_cancelled_on_the_way_out, True),
}


@pytest.mark.parametrize("case", DOCTOR_SEES)
def test_what_a_doctor_sees_of_a_post(client, scene, case):
    make, shown = DOCTOR_SEES[case]
    post = make(scene["practice"])
    photo = MediaAsset.objects.create(
        practice=scene["practice"],
        file="p.jpg",
        width=1,
        height=1,
        size_bytes=1,
        sha256=f"{post.pk:064d}",
    )
    PostMedia.objects.create(post=post, asset=photo)
    people = scene["people"]
    doctor = people["doctor"]

    assert outcome(access.get_post_for_user, doctor, post.pk) == ("ok" if shown else 404)
    assert access.posts_visible_to(doctor).filter(pk=post.pk).exists() == shown
    assert outcome(access.get_media_for_user, doctor, photo.pk) == ("ok" if shown else 403)
    assert page_status(client, doctor, reverse("post_detail", args=[post.pk])) == (
        200 if shown else 404
    )
    # The agency sees every one of them; the other practice's doctor none.
    for role in ("lead", "strategist"):
        assert outcome(access.get_post_for_user, people[role], post.pk) == "ok"
        assert access.posts_visible_to(people[role]).filter(pk=post.pk).exists()
        assert outcome(access.get_media_for_user, people[role], photo.pk) == "ok"
    assert outcome(access.get_post_for_user, people["other_doctor"], post.pk) == 404
    assert not access.posts_visible_to(people["other_doctor"]).filter(pk=post.pk).exists()


def test_a_post_reaches_the_doctor_again_when_sent_back(scene):
    post = _reopened_after_changes(scene["practice"])
    doctor = scene["people"]["doctor"]
    assert outcome(access.get_post_for_user, doctor, post.pk) == 404
    post.submit_for_review()
    assert outcome(access.get_post_for_user, doctor, post.pk) == "ok"


def test_the_doctors_approvals_page_lists_no_draft_and_no_post_cancelled_as_one(client, scene):
    practice = scene["practice"]
    cancelled_draft = _cancelled_from(Post.Status.DRAFT)(practice)
    cancelled_in_review = _cancelled_from(Post.Status.IN_REVIEW)(practice)
    draft = factories.make_post(practice)
    client.force_login(scene["people"]["doctor"])
    response = client.get(reverse("approvals"))
    listed = {review.post.pk for review in response.context["reviews"]} | {
        p.pk for p in response.context["recent"]
    }
    assert cancelled_in_review.pk in listed and scene["post"].pk in listed
    assert cancelled_draft.pk not in listed and draft.pk not in listed


def test_a_doctor_who_is_also_staff_elsewhere_sees_only_their_own_practices_posts(scene):
    other = factories.make_practice("Elsewhere")
    doctor = scene["people"]["doctor"]
    from practices.models import Membership as M

    M.objects.create(user=doctor, practice=other, role=M.Role.STAFF)
    elsewhere = factories.make_post(other, status=Post.Status.IN_REVIEW)
    doctor = type(doctor).objects.get(pk=doctor.pk)  # roles are cached per user object
    assert not access.posts_visible_to(doctor).filter(pk=elsewhere.pk).exists()
    assert outcome(access.get_post_for_user, doctor, elsewhere.pk) == 403
