"""The post editor's workflow: save a version, send it on, schedule, and the rest.

The one entry point for changing a post from the agency's side: every
editor page and the calendar's move go through it.

Every action takes the version the person's page showed (Post.version) and
is refused when someone saved since (`StaleEdit`): two people editing the
same post never overwrite each other silently. A save that changes what a
doctor approved (Post.content_hash) voids the approval, and is refused until
the person confirms (`ConfirmVoid`); a change of time alone does not.
Each action writes its audit event; nothing here renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Notification, User
from core.notifications import notify
from posts.approval import requests as approval_requests
from posts.content import Content, check_content, content_of
from posts.media import editing
from posts.models import (
    Approval,
    IllegalTransition,
    Post,
    PostComment,
    PostMedia,
    Tip,
)
from posts.rules import compliance, publishability, slots
from practices.models import Practice

# Where a person may still change a post. Once it starts going out, what went
# out is what it is.
EDITABLE = frozenset(
    {
        Post.Status.DRAFT,
        Post.Status.AGENCY_REVIEW,
        Post.Status.IN_REVIEW,
        Post.Status.APPROVAL_EXPIRED,
        Post.Status.CHANGES_REQUESTED,
        Post.Status.APPROVED,
        Post.Status.SCHEDULED,
    }
)
# An edit of the content here voids something a doctor or the policy gave.
APPROVED_OR_ASKED = frozenset(
    {Post.Status.AGENCY_REVIEW, Post.Status.IN_REVIEW, Post.Status.APPROVED, Post.Status.SCHEDULED}
)


class StaleEdit(IllegalTransition):
    """Someone saved the post after this person's page was loaded."""


class ConfirmVoid(IllegalTransition):
    """The save would void the approval (or recall the post from review): ask first."""


class NotReady(IllegalTransition):
    """The post cannot be sent on yet; `reasons` says what to fix, in plain words."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass
class Saved:
    post: Post
    voided: bool = False  # the approval was voided, or the post recalled from review
    rescheduled: bool = False
    # Other posts sharing a photo whose alt text changed: back to draft.
    others_reopened: list[Post] = field(default_factory=list)


def _apply(post: Post, content: Content) -> list[Post]:
    """Write the content on the post; returns the other posts sent back to draft
    because a photo they share changed its alt text (posts.media.editing.set_alt_text)."""
    post.title = content.title[:200]
    post.caption = content.caption
    post.overrides = {k: v for k, v in sorted(content.overrides.items()) if v.strip()}
    post.photo_choices = {
        platform: [asset.pk for asset in content.photos if asset.pk in set(ids)]
        for platform, ids in sorted(content.photo_choices.items())
    }
    post.features_patient = content.features_patient
    post.patient_uses = sorted(set(content.patient_uses))
    post.is_testimonial = content.is_testimonial
    post.save()
    post.targets.set(content.targets)
    post.consents.set(content.consents)
    wanted = [asset.pk for asset in content.photos]
    current = list(post.postmedia_set.order_by("position").values_list("asset_id", flat=True))
    if current != wanted:
        post.postmedia_set.all().delete()
        PostMedia.objects.bulk_create(
            PostMedia(post=post, asset_id=pk, position=i) for i, pk in enumerate(wanted)
        )
    reopened: list[Post] = []
    for asset in content.photos:
        text = content.alt_texts.get(asset.pk)
        if text is not None:
            reopened += editing.set_alt_text(asset, text, editing=post)
    return reopened


def save(
    *,
    practice: Practice,
    post: Post | None,
    content: Content,
    version: int | None,
    by: User,
    confirm_void: bool = False,
    tip: Tip | None = None,
) -> Saved:
    """Save the editor's content as the post's new version.

    A new post (post None) starts as a draft; drafted from a tip, the tip
    shows as drafted. An existing one is locked and must still be at
    `version`. All or nothing: a refusal leaves the post as it was.
    """
    check_content(practice, content)
    if content.scheduled_at is not None and content.scheduled_at <= timezone.now():
        raise IllegalTransition("the time is in the past; choose a later one")
    with transaction.atomic():
        if post is None:
            post = Post(practice=practice, author=by, tip=tip, caption=content.caption)
            post.scheduled_at = content.scheduled_at
            others = _apply(post, content)
            if tip is not None and tip.status == Tip.Status.NEW:
                tip.status = Tip.Status.DRAFTED
                tip.save(update_fields=["status", "updated_at"])
            AuditEvent.record(
                "post_created",
                actor=by,
                practice=practice,
                obj=post,
                detail={"post": post.pk, "tip": tip.pk if tip else None},
            )
            return Saved(post=post, others_reopened=others)

        post = locked_at_version(post, version)
        if post.status not in EDITABLE:
            raise IllegalTransition(
                f"the post is {post.get_status_display().lower()}: it can no longer change"
            )
        before = post.content_hash()
        others = _apply(post, content)
        # The photos' alt texts live on the photo, so reading the hash again
        # reads them afresh too.
        changed = post.content_hash() != before
        voided = False
        if changed and post.status in APPROVED_OR_ASKED:
            if not confirm_void:
                raise ConfirmVoid(_void_warning(post))
            post.reopen()
            voided = True
        elif changed and post.status == Post.Status.CHANGES_REQUESTED:
            post.reopen()  # the doctor's changes are being made: back to the working space
        elif post.status == Post.Status.APPROVAL_EXPIRED:
            post.reopen()  # a new time, or new content: it is worked on again
        rescheduled = False
        if content.scheduled_at != post.scheduled_at:
            if post.status == Post.Status.SCHEDULED and content.scheduled_at is not None:
                post.unschedule()
                post.schedule(at=content.scheduled_at)
                rescheduled = True
            elif post.status == Post.Status.SCHEDULED:
                post.unschedule()
            post.scheduled_at = content.scheduled_at
        post.version += 1
        post.save(update_fields=["scheduled_at", "version", "updated_at"])
        AuditEvent.record(
            "post_edited",
            actor=by,
            practice=practice,
            obj=post,
            detail={"post": post.pk, "voided": voided, "rescheduled": rescheduled},
        )
    return Saved(post=post, voided=voided, rescheduled=rescheduled, others_reopened=others)


def _void_warning(post: Post) -> str:
    if post.status == Post.Status.AGENCY_REVIEW:
        return (
            "this post is waiting for an agency review; saving these changes takes it back "
            "to draft, and it must be sent again"
        )
    if post.status == Post.Status.IN_REVIEW:
        return (
            "this post is with the doctor for approval; saving these changes takes it back "
            "to draft, and it must be sent for approval again"
        )
    when = "and unschedules it " if post.status == Post.Status.SCHEDULED else ""
    return (
        "this post was approved; saving these changes voids the approval "
        f"{when}and it must be approved again"
    )


def record_done(post: Post, verb: str, *, by: User, fields: Sequence[str] = ()) -> None:
    """An action is done: the post's next version (and `fields`) saved, and audited."""
    post.version += 1
    post.save(update_fields=[*fields, "version", "updated_at"])
    AuditEvent.record(verb, actor=by, practice=post.practice, obj=post, detail={"post": post.pk})


def locked_at_version(post: Post, version: int | None) -> Post:
    locked = Post.objects.select_for_update().select_related("practice").get(pk=post.pk)
    if version is not None and locked.version != version:
        raise StaleEdit(
            "someone saved this post after you opened it; reload it to see their changes "
            "(yours are still in the form)"
        )
    return locked


# -- sending it on -------------------------------------------------------------------


def readiness(post: Post) -> list[str]:
    """What stops the saved post from being sent for approval; [] when nothing does."""
    attachments = post.attachments()
    targets = list(post.targets.all())
    reasons: list[str] = []
    if not post.caption.strip():
        reasons.append("Write a caption.")
    if not targets:
        reasons.append("Choose at least one account to publish to.")
    reasons += [
        f"{problem.label}: {problem.message} {problem.fix}"
        for problem in publishability.problems(post, targets=targets, attachments=attachments)
    ]
    findings = compliance.review(
        post, attachments=attachments, platforms=sorted({t.platform for t in targets})
    )
    reasons += [finding.message for finding in compliance.blocking(findings)]
    return reasons


def send_for_approval(*, post: Post, version: int | None, by: User, note: str = "") -> Post:
    """To the doctors when the practice's policy needs one (after an agency review
    when the practice asks for one); else approved under the policy.

    Refused with every reason at once (NotReady) while a target would refuse
    the post or the compliance panel has a blocking finding. `note`: a word
    for the reviewers, kept as a comment on the post.
    """
    with transaction.atomic():
        post = locked_at_version(post, version)
        reasons = readiness(post)
        if reasons:
            raise NotReady(reasons)
        if note.strip():
            PostComment.objects.create(post=post, author=by, body=note.strip()[:4000])
        if post.needs_doctor_approval() and post.practice.internal_review:
            post.submit_for_agency_review()
            verb = "post_sent_for_agency_review"
            approval_requests.ask_agency_reviewers(post, by=by)
        elif post.needs_doctor_approval():
            post.submit_for_review()
            verb = "post_sent_for_approval"
            approval_requests.ask_doctors(post)
        else:
            post.mark_ready(by=by)
            verb = "post_approved_under_policy"
        record_done(post, verb, by=by)
    return post


def pass_agency_review(*, post: Post, version: int | None, by: User) -> Post:
    """The agency's second look is done: on to the practice's doctors.

    Done by the lead, or by a strategist other than the post's author (a
    review by its own author would not be a second look).
    """
    with transaction.atomic():
        post = locked_at_version(post, version)
        if not by.is_agency_lead and post.author_id == by.pk:
            raise IllegalTransition("a second strategist or the agency lead reviews this post")
        reasons = readiness(post)
        if reasons:
            raise NotReady(reasons)
        post.pass_agency_review()
        approval_requests.ask_doctors(post)
        record_done(post, "post_passed_agency_review", by=by)
    return post


def agency_request_changes(*, post: Post, version: int | None, by: User, comment: str) -> Post:
    """The agency reviewer sends the post back to its author with what to change."""
    with transaction.atomic():
        post = locked_at_version(post, version)
        if post.status != Post.Status.AGENCY_REVIEW:
            raise IllegalTransition("only a post in agency review is sent back from here")
        approval = post.request_changes(by=by, via=Approval.Via.LOGIN, comment=comment)
        record_done(post, "post_changes_requested", by=by)
        notify(
            kind=Notification.Kind.CHANGES_REQUESTED,
            to=post.author if post.author_id != by.pk else None,
            practice=post.practice,
            message="changes_requested",
            context={
                "by": by,
                "practice": post.practice,
                "post": post,
                "comment": approval.comment,
            },
            link=reverse("post_edit", args=[post.pk]),
        )
    return post


def schedule(*, post: Post, version: int | None, by: User) -> Post:
    with transaction.atomic():
        post = locked_at_version(post, version)
        if post.scheduled_at is None:
            raise IllegalTransition("choose a time first")
        if post.scheduled_at <= timezone.now():
            raise IllegalTransition("the time is in the past; choose a later one")
        post.schedule(at=post.scheduled_at)
        record_done(post, "post_scheduled", by=by)
    return post


def unschedule(*, post: Post, version: int | None, by: User) -> Post:
    with transaction.atomic():
        post = locked_at_version(post, version)
        post.unschedule()
        record_done(post, "post_unscheduled", by=by)
    return post


def cancel(*, post: Post, version: int | None, by: User, reason: str) -> Post:
    with transaction.atomic():
        post = locked_at_version(post, version)
        post.cancel(reason=reason.strip())
        record_done(post, "post_cancelled", by=by)
    return post


def duplicate(*, post: Post, by: User) -> Post:
    """A new draft with the same content (not its approvals, time or comments)."""
    content = content_of(post)
    content.title = f"Copy of {post}"[:200]
    content.scheduled_at = None
    return save(practice=post.practice, post=None, content=content, version=None, by=by).post


def comment(*, post: Post, by: User, body: str) -> PostComment:
    body = body.strip()
    if not body:
        raise ValueError("write a comment first")
    with transaction.atomic():
        note = PostComment.objects.create(
            post=post, author=by, author_label=by.get_full_name() or by.username, body=body[:4000]
        )
        AuditEvent.record(
            "post_commented", actor=by, practice=post.practice, obj=post, detail={"post": post.pk}
        )
    return note


# -- the checks beside the editor ---------------------------------------------------


@dataclass
class Checks:
    """What the editor shows beside the form: per-platform refusals and the compliance panel."""

    problems: list[publishability.Problem]
    findings: list[compliance.Finding]

    @property
    def blocking(self) -> list[compliance.Finding]:
        return compliance.blocking(self.findings)


def check(
    *, practice: Practice, content: Content, post: Post | None, tip: Tip | None = None
) -> Checks:
    """The checks for content as typed, saved or not (the previews run them at each keystroke).

    The same functions the publisher and approval use, on an unsaved copy of
    the post: nothing is written.
    """
    draft = Post(
        practice=practice,
        tip=tip if post is None else post.tip,
        caption=content.caption,
        overrides={k: v for k, v in content.overrides.items() if v.strip()},
        photo_choices=content.photo_choices,
        scheduled_at=content.scheduled_at,
        features_patient=content.features_patient,
        patient_uses=content.patient_uses,
        is_testimonial=content.is_testimonial,
        identifier_review_note=post.identifier_review_note if post else "",
        identifier_review_findings=post.identifier_review_findings if post else [],
    )
    attachments = [
        PostMedia(asset=asset, position=position) for position, asset in enumerate(content.photos)
    ]
    consents = list(content.consents)
    tip_consent = draft.tip.consent if draft.tip_id and draft.tip else None
    if tip_consent is not None and tip_consent not in consents:
        consents.append(tip_consent)
    platforms = sorted({account.platform for account in content.targets})
    return Checks(
        problems=publishability.problems(draft, targets=content.targets, attachments=attachments),
        findings=compliance.review(
            draft, consents=consents, attachments=attachments, platforms=platforms
        ),
    )


def queue(*, post: Post, version: int | None, by: User) -> slots.Opening:
    """Into the next free posting slot on one of its platforms.

    Approved: scheduled there. Not yet approved: the time is set, and the
    post goes out there once approved and scheduled. NotReady when the
    practice has no free slot for its platforms in the coming weeks.
    """
    with transaction.atomic():
        post = locked_at_version(post, version)
        opening = slots.next_free(post)
        if opening is None:
            raise NotReady(
                [
                    "No free posting slot for these platforms in the coming eight weeks: "
                    "add slots on the practice's page, or choose a time."
                ]
            )
        if post.status == Post.Status.SCHEDULED:
            post.unschedule()
        if post.status == Post.Status.APPROVED:
            post.schedule(at=opening.at)
        elif post.status not in EDITABLE:
            raise IllegalTransition(
                f"the post is {post.get_status_display().lower()}: it can no longer move"
            )
        post.scheduled_at = opening.at
        record_done(post, "post_queued", by=by, fields=["scheduled_at"])
    return opening
