"""The doctors' decisions: the approval page's posts, what changed since, approve, ask for
changes, approve all, hold. (Their links: approval.links; asking them: approval.requests.)

A decision is bound to the exact version the doctor saw: the page sends back
the content hash of each post it showed, and a post that changed since is
not decided but shown again. Approving a post that has a time schedules it
(the same rules as the editor's schedule). Every decision is an Approval
row (who, when, how: link or login, address, browser) and an audit event.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Notification, User
from core.notifications import notify
from posts.content import content_of
from posts.models import Approval, ApprovalLink, IllegalTransition, MediaAsset, Post, PostComment
from posts.rules import compliance, previews
from posts.rules.previews import Preview
from practices.alerts import strategist_for
from practices.models import PatientConsent, Platform, Practice, SocialAccount

logger = logging.getLogger(__name__)

Kind = Notification.Kind


class PostChanged(IllegalTransition):
    """The post is not the version the doctor was shown."""


# -- what the doctor sees --------------------------------------------------------------


@dataclass
class TextChange:
    where: str
    parts: list[tuple[str, str]]  # (same | added | removed, text)


@dataclass
class Changes:
    """What changed since the version the doctor approved last (now void)."""

    approved_at: datetime
    texts: list[TextChange] = field(default_factory=list)
    photos_added: list[MediaAsset] = field(default_factory=list)
    photos_removed: list[MediaAsset] = field(default_factory=list)
    photo_urls: dict[int, str] = field(default_factory=dict)  # set by the page

    @property
    def added(self) -> list[tuple[MediaAsset, str]]:
        return [(asset, self.photo_urls.get(asset.pk, "")) for asset in self.photos_added]

    @property
    def removed(self) -> list[tuple[MediaAsset, str]]:
        return [(asset, self.photo_urls.get(asset.pk, "")) for asset in self.photos_removed]

    @property
    def any(self) -> bool:
        return bool(self.texts or self.photos_added or self.photos_removed)


@dataclass
class Review:
    post: Post
    content_hash: str
    previews: list[previews.Preview]
    consents: list[PatientConsent]
    findings: list[compliance.Finding]
    notes: list[PostComment]
    changes: Changes | None
    # The post's photos (ids, in order), shown once above the platforms' previews.
    photo_ids: list[int] = field(default_factory=list)
    # Where the page shows each of them (filled in by the view: its URLs differ by way).
    photo_urls: list[str] = field(default_factory=list)

    @property
    def own_texts(self) -> list[Preview]:
        """The platforms that get a text of their own, not the caption."""
        return [preview for preview in self.previews if preview.own_text]


def pending_posts(practice: Practice) -> list[Post]:
    return list(
        Post.objects.filter(practice=practice, status=Post.Status.IN_REVIEW)
        .select_related("practice", "author")
        .order_by("scheduled_at", "created_at")
    )


def holdable_posts(practice: Practice) -> list[Post]:
    """Approved and not gone out: the doctor may still hold them."""
    return list(
        Post.objects.filter(
            practice=practice, status__in=[Post.Status.APPROVED, Post.Status.SCHEDULED]
        )
        .select_related("practice")
        .order_by("scheduled_at", "created_at")
    )


def recently_decided(practice: Practice) -> list[Post]:
    """What the doctors saw and is no longer waiting for them, newest first."""
    return list(
        Post.objects.filter(practice=practice)
        .filter(Post.shown_to_doctors())
        .exclude(status=Post.Status.IN_REVIEW)
        .order_by("-updated_at")[:20]
    )


def reviews_of(posts: list[Post]) -> list[Review]:
    """Each post's review, in the same few queries however many posts there are
    (the approval page shows every post waiting)."""
    if not posts:
        return []
    ids = [post.pk for post in posts]
    attachments = Post.attachments_of(ids)
    attached = Post.consents_of(ids)
    relied = Post.relied_consents_of(posts, attached)
    targets: dict[int, list[SocialAccount]] = {pk: [] for pk in ids}
    for row in (
        Post.targets.through.objects.filter(post_id__in=ids)
        .select_related("socialaccount")
        .order_by("socialaccount__practice_id", "socialaccount__platform")  # the model's order
    ):
        targets[row.post_id].append(row.socialaccount)
    notes: dict[int, list[PostComment]] = {pk: [] for pk in ids}
    for note in (
        PostComment.objects.filter(post_id__in=ids).select_related("author").order_by("-created_at")
    ):
        notes[note.post_id].append(note)
    # The last approval each post had before an edit voided it.
    approved: dict[int, Approval] = {}
    for approval in (
        Approval.objects.filter(
            post_id__in=ids, decision=Approval.Decision.APPROVED, voided_at__isnull=False
        )
        .exclude(snapshot={})
        .order_by("post_id", "-created_at")
    ):
        approved.setdefault(approval.post_id, approval)
    names: dict[int, dict[str, bool]] = {}
    reviews = []
    for post in posts:
        photos, accounts, consents = attachments[post.pk], targets[post.pk], relied[post.pk]
        if post.practice_id not in names:
            names[post.practice_id] = compliance.patient_names(post.practice)
        content = content_of(post, attachments=photos, targets=accounts, consents=attached[post.pk])
        reviews.append(
            Review(
                post=post,
                content_hash=post.content_hash(
                    consents=consents, attachments=photos, accounts=accounts
                ),
                previews=previews.for_content(content),
                consents=consents,
                findings=compliance.review(
                    post,
                    consents=consents,
                    attachments=photos,
                    platforms=sorted({account.platform for account in accounts}),
                    names=names[post.practice_id],
                ),
                notes=notes[post.pk][:5],
                changes=changes_since(
                    post, approved.get(post.pk), [photo.asset_id for photo in photos]
                ),
                photo_ids=[photo.asset_id for photo in photos],
            )
        )
    return reviews


WORDS = re.compile(r"\s+|[^\s]+")


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word by word: what stayed, what was added, what was removed."""
    before, after = WORDS.findall(old), WORDS.findall(new)
    parts: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(("same", "".join(before[a1:a2])))
            continue
        if a2 > a1:
            parts.append(("removed", "".join(before[a1:a2])))
        if b2 > b1:
            parts.append(("added", "".join(after[b1:b2])))
    return parts


def changes_since(post: Post, last: Approval | None, photo_ids: list[int]) -> Changes | None:
    """What changed since `last`, the post's last approval (voided by an edit), if any."""
    if last is None:
        return None
    snapshot = last.snapshot
    changes = Changes(approved_at=last.created_at)
    old_caption = str(snapshot.get("caption", ""))
    if old_caption != post.caption:
        changes.texts.append(TextChange("Caption", text_diff(old_caption, post.caption)))
    old_captions = snapshot.get("captions", {})
    platforms = sorted(set(old_captions) | set(post.overrides))
    for platform in platforms:
        old = old_captions.get(platform, old_caption)
        new = post.caption_for(platform)
        # A platform's own text that changed (the shared caption is shown above).
        if old != new and (platform in post.overrides or old != old_caption):
            label = Platform(platform).label
            changes.texts.append(TextChange(f"{label}'s own text", text_diff(old, new)))
    old_photos = [int(pk) for pk in snapshot.get("photos", [])]
    added = [pk for pk in photo_ids if pk not in old_photos]
    removed = [pk for pk in old_photos if pk not in photo_ids]
    assets = MediaAsset.objects.in_bulk(added + removed)
    changes.photos_added = [assets[pk] for pk in added if pk in assets]
    changes.photos_removed = [assets[pk] for pk in removed if pk in assets]
    return changes


# -- decisions ---------------------------------------------------------------------------


@dataclass
class Reviewer:
    """Who decides, and how they came: a signed-in doctor, or one through an e-mailed link."""

    user: User
    via: str
    link: ApprovalLink | None = None
    ip_address: str | None = None
    user_agent: str = ""


def _locked(practice: Practice, pk: int) -> Post:
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("practice", "author")
        .filter(pk=pk, practice=practice)
        .first()
    )
    if post is None:
        raise IllegalTransition("this post is not one of this practice's")
    return post


def approve(*, practice: Practice, pk: int, shown_hash: str, by: Reviewer) -> Post:
    """Approve the version shown; schedule it when it has a time still ahead."""
    with transaction.atomic():
        post = _locked(practice, pk)
        _still_as_shown(post, shown_hash)
        approval = post.approve(
            by=by.user,
            via=by.via,
            link=by.link,
            ip_address=by.ip_address,
            user_agent=by.user_agent,
        )
        scheduled = False
        if post.scheduled_at is not None and post.scheduled_at > timezone.now():
            try:
                with transaction.atomic():
                    post.schedule(at=post.scheduled_at)
                    scheduled = True
            except IllegalTransition as refusal:
                # Approved all the same; the strategist sees why it waits.
                logger.info(
                    "post %s approved but not scheduled: %s", post.pk, type(refusal).__name__
                )
        _done(post, "post_approved", by, detail={"approval": approval.pk, "scheduled": scheduled})
    return post


def request_changes(
    *, practice: Practice, pk: int, shown_hash: str, comment: str, by: Reviewer
) -> Post:
    with transaction.atomic():
        post = _locked(practice, pk)
        _still_as_shown(post, shown_hash)
        approval = post.request_changes(
            by=by.user,
            via=by.via,
            comment=comment,
            link=by.link,
            ip_address=by.ip_address,
            user_agent=by.user_agent,
        )
        _done(post, "post_changes_requested", by, detail={"approval": approval.pk})
        notify(
            kind=Kind.CHANGES_REQUESTED,
            to=strategist_for(practice, fallback=post.author),
            practice=practice,
            message="changes_requested",
            context={
                "by": by.user,
                "practice": practice,
                "post": post,
                "comment": approval.comment,
            },
            link=reverse("post_edit", args=[post.pk]),
        )
    return post


@dataclass
class Batch:
    approved: list[Post] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def approve_all(*, practice: Practice, shown: list[tuple[int, str]], by: Reviewer) -> Batch:
    """Approve each post the page showed, as it was shown; the others are skipped with why."""
    batch = Batch()
    for pk, shown_hash in shown:
        try:
            batch.approved.append(approve(practice=practice, pk=pk, shown_hash=shown_hash, by=by))
        except IllegalTransition as refusal:
            batch.skipped.append((pk, str(refusal)))
    return batch


def hold(*, practice: Practice, pk: int, by: Reviewer, reason: str = "") -> Post:
    """Withdraw an approval before the post goes out: it returns to review."""
    with transaction.atomic():
        post = _locked(practice, pk)
        if not post.can("hold"):
            raise IllegalTransition(
                f"this post can no longer be held: it is {post.get_status_display().lower()}"
            )
        post.hold()
        if reason.strip():
            PostComment.objects.create(post=post, author=by.user, body=reason.strip()[:4000])
        _done(post, "post_approval_withdrawn", by, detail={})
        notify(
            kind=Kind.APPROVAL_WITHDRAWN,
            to=strategist_for(practice, fallback=post.author),
            practice=practice,
            message="approval_withdrawn",
            context={"by": by.user, "practice": practice, "post": post, "reason": reason.strip()},
            link=post.get_absolute_url(),
        )
    return post


def _still_as_shown(post: Post, shown_hash: str) -> None:
    if post.status != Post.Status.IN_REVIEW:
        raise IllegalTransition(
            f"this post is no longer waiting for you: it is {post.get_status_display().lower()}"
        )
    if post.content_hash() != shown_hash:
        raise PostChanged("this post changed after the page was opened; look at it again")


def _done(post: Post, verb: str, by: Reviewer, *, detail: dict[str, object]) -> None:
    post.version += 1
    post.save(update_fields=["version", "updated_at"])
    AuditEvent.record(
        verb,
        actor=by.user,
        actor_label="e-mailed link" if by.link is not None else "",
        practice=post.practice,
        obj=post,
        detail={"post": post.pk, "via": by.via, **detail},
        ip_address=by.ip_address,
    )
