"""The post workflow: every legal move works, every illegal one is refused loudly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Approval, IllegalTransition, Post, Publication
from tests import factories

S = Post.Status

# How to call each action with valid arguments.
CALLS = {
    "submit_for_review": lambda post, user: post.submit_for_review(),
    "approve": lambda post, user: post.approve(by=user, via=Approval.Via.LOGIN),
    "mark_ready": lambda post, user: post.mark_ready(by=user),
    "request_changes": lambda post, user: post.request_changes(
        by=user, via=Approval.Via.LOGIN, comment="Please use the other photo."
    ),
    "reopen": lambda post, user: post.reopen(),
    "schedule": lambda post, user: post.schedule(at=timezone.now() + timedelta(hours=1)),
    "unschedule": lambda post, user: post.unschedule(),
    "start_publishing": lambda post, user: post.start_publishing(),
    "cancel": lambda post, user: post.cancel(reason="No longer relevant"),
}

ILLEGAL = [
    (action, status)
    for action, (sources, _target) in Post.TRANSITIONS.items()
    if action in CALLS
    for status in S
    if status not in sources
]


@pytest.fixture
def post(practice, strategist):
    practice.approval_policy = practice.ApprovalPolicy.NEVER
    practice.save()
    account = factories.make_account(practice)
    return factories.make_post(practice, author=strategist, targets=[account])


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_illegal_move_is_refused(post, doctor, action, status):
    # A current approval first, so that an action's own checks (scheduling wants
    # the approved version) pass and only the transition table can refuse it.
    post.mark_ready(by=doctor)
    Post.objects.filter(pk=post.pk).update(status=status)
    post.refresh_from_db()
    with pytest.raises(IllegalTransition) as excinfo:
        CALLS[action](post, doctor)
    assert str(excinfo.value).startswith(f"cannot {action.replace('_', ' ')} a post that is")
    post.refresh_from_db()
    assert post.status == status, "a refused move must change nothing"


def test_full_happy_path(post, doctor):
    post.practice.approval_policy = post.practice.ApprovalPolicy.ALWAYS
    post.practice.save()
    post.submit_for_review()
    approval = post.approve(by=doctor, via=Approval.Via.LINK, comment="Lovely")
    assert approval.content_hash == post.content_hash()
    post.schedule(at=timezone.now() + timedelta(minutes=5))
    assert post.status == S.SCHEDULED
    assert post.publications.count() == 1
    post.start_publishing()
    post.publications.update(status=Publication.Status.PUBLISHED)
    post.roll_up()
    post.refresh_from_db()
    assert post.status == S.PUBLISHED


def test_roll_up_partial_failure(post, doctor):
    second = factories.make_account(post.practice, "instagram")
    post.targets.add(second)
    post.mark_ready(by=doctor)
    post.schedule(at=timezone.now())
    post.start_publishing()
    first, other = post.publications.order_by("id")
    first.status = Publication.Status.PUBLISHED
    first.save()
    post.roll_up()
    assert post.status == S.PUBLISHING, "one publication still open: no final status yet"
    other.status = Publication.Status.FAILED
    other.save()
    post.roll_up()
    assert post.status == S.PARTIALLY_FAILED


def test_edit_after_approval_voids_it(post, doctor):
    post.practice.approval_policy = post.practice.ApprovalPolicy.ALWAYS
    post.practice.save()
    post.submit_for_review()
    post.approve(by=doctor, via=Approval.Via.LOGIN)
    post.caption = "A different caption than the doctor saw."
    post.save()
    assert not post.approval_is_current()
    with pytest.raises(IllegalTransition, match="approved version differs"):
        post.schedule(at=timezone.now() + timedelta(hours=1))
    post.reopen()
    assert post.status == S.DRAFT
    assert post.current_approval() is None


def test_adding_a_target_changes_the_content_hash(post):
    before = post.content_hash()
    post.targets.add(factories.make_account(post.practice, "linkedin"))
    assert post.content_hash() != before


def test_policy_requiring_doctor_refuses_mark_ready(post, strategist):
    post.practice.approval_policy = post.practice.ApprovalPolicy.ALWAYS
    post.practice.save()
    with pytest.raises(IllegalTransition, match="needs a doctor"):
        post.mark_ready(by=strategist)
    assert post.status == S.DRAFT


def test_request_changes_needs_a_comment(post, doctor):
    post.submit_for_review()
    with pytest.raises(IllegalTransition, match="comment"):
        post.request_changes(by=doctor, via=Approval.Via.LOGIN, comment="  ")
    post.refresh_from_db()
    assert post.status == S.IN_REVIEW


def test_stale_object_cannot_move_twice(post, doctor):
    twin = Post.objects.get(pk=post.pk)
    post.submit_for_review()
    with pytest.raises(IllegalTransition, match="changed meanwhile"):
        twin.submit_for_review()


def test_cancel_cancels_open_publications(post, doctor):
    post.mark_ready(by=doctor)
    post.schedule(at=timezone.now() + timedelta(hours=2))
    post.cancel(reason="Event postponed")
    assert set(post.publications.values_list("status", flat=True)) == {"cancelled"}


def test_naive_datetime_is_refused(post, doctor):
    post.mark_ready(by=doctor)
    with pytest.raises(ValueError, match="aware"):
        post.schedule(at=timezone.now().replace(tzinfo=None))


def test_roll_up_all_cancelled_ends_cancelled(post, doctor):
    # Every publication stopped on the way out (the authorization was revoked).
    post.mark_ready(by=doctor)
    post.schedule(at=timezone.now())
    post.start_publishing()
    post.publications.update(status=Publication.Status.CANCELLED)
    post.roll_up()
    post.refresh_from_db()
    assert post.status == S.CANCELLED


# -- patient authorizations ------------------------------------------------------


def _patient(post, *, uses=("photo",), consents=()):
    post.features_patient = True
    post.patient_uses = list(uses)
    post.save()
    post.consents.set(consents)
    return post


def test_a_patient_post_without_an_authorization_is_neither_approved_nor_ready(post, doctor):
    _patient(post)
    with pytest.raises(IllegalTransition, match="no authorization is attached"):
        post.mark_ready(by=doctor)
    post.submit_for_review()
    with pytest.raises(IllegalTransition, match="no authorization is attached"):
        post.approve(by=doctor, via=Approval.Via.LOGIN)
    post.refresh_from_db()
    assert post.status == S.IN_REVIEW
    assert not post.approvals.exists()


def test_a_patient_post_says_what_it_uses_of_the_patient(post, doctor):
    _patient(post, uses=(), consents=[factories.make_consent(post.practice)])
    with pytest.raises(IllegalTransition, match="say what the post uses of the patient"):
        post.mark_ready(by=doctor)


def test_an_authorization_must_allow_the_use_and_cover_every_target(post, doctor):
    consent = factories.make_consent(post.practice, uses=["photo"], platforms=["instagram"])
    _patient(post, uses=("photo", "name"), consents=[consent])
    with pytest.raises(IllegalTransition) as refused:
        post.mark_ready(by=doctor)
    assert "does not allow: name" in str(refused.value)
    assert "does not cover Facebook" in str(refused.value)


def test_scheduling_past_the_authorizations_expiry_is_refused(post, doctor):
    consent = factories.make_consent(post.practice, expires_at=timezone.now() + timedelta(days=1))
    _patient(post, consents=[consent])
    post.mark_ready(by=doctor)
    with pytest.raises(IllegalTransition, match="expired"):
        post.schedule(at=timezone.now() + timedelta(days=2))
    assert post.status == S.APPROVED
    post.schedule(at=timezone.now() + timedelta(hours=2))
    assert post.status == S.SCHEDULED


def test_a_revoked_authorization_refuses_scheduling(post, doctor):
    consent = factories.make_consent(post.practice)
    _patient(post, consents=[consent])
    post.mark_ready(by=doctor)
    consent.revoked_at = timezone.now()
    consent.save(update_fields=["revoked_at"])
    with pytest.raises(IllegalTransition, match="revoked"):
        post.schedule(at=timezone.now() + timedelta(hours=2))


def test_the_tips_authorization_counts_for_a_post_drafted_from_it(post, doctor, staff):
    consent = factories.make_consent(post.practice)
    tip = factories.make_tip(
        post.practice, submitted_by=staff, features_patient=True, consent=consent
    )
    post.tip = tip
    _patient(post)
    assert list(post.relied_consents()) == [consent]
    assert list(Post.relying_on(consent)) == [post]
    post.mark_ready(by=doctor)
    assert post.status == S.APPROVED
    # Attached to the post as well: still one authorization, one post.
    post.consents.add(consent)
    assert list(post.relied_consents()) == [consent]
    assert list(Post.relying_on(consent).select_for_update()) == [post]


@pytest.mark.parametrize(
    "change",
    [
        lambda post, consent: post.consents.add(consent),
        lambda post, consent: Post.objects.filter(pk=post.pk).update(patient_uses=["story"]),
        lambda post, consent: Post.objects.filter(pk=post.pk).update(features_patient=False),
    ],
    ids=["another authorization", "other uses", "no longer featuring a patient"],
)
def test_changing_what_a_post_uses_of_a_patient_voids_its_approval(post, doctor, change):
    _patient(post, consents=[factories.make_consent(post.practice)])
    post.mark_ready(by=doctor)
    assert post.approval_is_current()
    change(post, factories.make_consent(post.practice, patient_label="Ana P."))
    post.refresh_from_db()
    assert not post.approval_is_current()
    with pytest.raises(IllegalTransition, match="approved version differs"):
        post.schedule(at=timezone.now() + timedelta(hours=1))
