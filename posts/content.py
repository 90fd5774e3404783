"""A post's content: everything a person sets on it, and what an approval is bound to.

The editor's form fills a Content, the editor saves it (posts.authoring.editor),
the compliance panel and the previews read it (posts.rules), and the doctor's
page shows it (posts.approval): so it lives below all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from posts.models import MediaAsset, Post, PostMedia, Tip
from practices.models import PatientConsent, Practice, SocialAccount


@dataclass
class Content:
    """What the editor form describes: everything a person sets on a post."""

    caption: str
    title: str = ""
    overrides: dict[str, str] = field(default_factory=dict)
    targets: list[SocialAccount] = field(default_factory=list)
    photos: list[MediaAsset] = field(default_factory=list)  # in order
    alt_texts: dict[int, str] = field(default_factory=dict)  # asset id -> text
    photo_choices: dict[str, list[int]] = field(default_factory=dict)
    scheduled_at: datetime | None = None
    features_patient: bool = False
    patient_uses: list[str] = field(default_factory=list)
    consents: list[PatientConsent] = field(default_factory=list)
    is_testimonial: bool = False


def content_of(
    post: Post,
    *,
    attachments: list[PostMedia] | None = None,
    targets: list[SocialAccount] | None = None,
    consents: list[PatientConsent] | None = None,
) -> Content:
    """A saved post's content, as the editor form starts from it.

    `attachments`, `targets` and `consents` (those attached to the post): when
    the caller has read them already, for several posts at once.
    """
    if attachments is None:
        attachments = post.attachments()
    return Content(
        caption=post.caption,
        title=post.title,
        overrides=dict(post.overrides),
        targets=list(post.targets.all()) if targets is None else targets,
        photos=[attachment.asset for attachment in attachments],
        alt_texts={attachment.asset_id: attachment.asset.alt_text for attachment in attachments},
        photo_choices={k: list(v) for k, v in post.photo_choices.items()},
        scheduled_at=post.scheduled_at,
        features_patient=post.features_patient,
        patient_uses=list(post.patient_uses),
        consents=list(post.consents.all()) if consents is None else consents,
        is_testimonial=post.is_testimonial,
    )


def content_from_tip(tip: Tip) -> Content:
    """A new post's content drafted from a tip: its story, photos and patient."""
    photos = [tp.asset for tp in tip.tipphoto_set.select_related("asset").order_by("position")]
    uses = []
    if tip.features_patient:
        uses = ["story"] + (["photo"] if photos else [])
    return Content(
        caption=tip.text,
        title=f"From {tip.get_kind_display().lower()} tip #{tip.pk}",
        photos=photos,
        alt_texts={asset.pk: asset.alt_text for asset in photos},
        features_patient=tip.features_patient,
        patient_uses=uses,
        # The authorization that came with the tip applies: ticked, as the editor says.
        consents=[tip.consent] if tip.consent is not None else [],
    )


def check_content(practice: Practice, content: Content) -> None:
    """Everything named in the content belongs to the practice (the form's
    choices already keep to it; this is the service's own guard)."""
    owners = [
        *(account.practice_id for account in content.targets),
        *(asset.practice_id for asset in content.photos),
        *(consent.practice_id for consent in content.consents),
    ]
    if any(owner != practice.pk for owner in owners):
        raise ValueError("an account, photo or authorization belongs to another practice")
    platforms = {account.platform for account in content.targets}
    photo_ids = {asset.pk for asset in content.photos}
    for platform, ids in content.photo_choices.items():
        if platform not in platforms or not set(ids) <= photo_ids:
            raise ValueError("a photo choice names a platform or a photo the post does not have")
