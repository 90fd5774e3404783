"""Tips from the practices' staff: sending one. What became of it: posts.intake.outcomes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core import files
from core.models import AuditEvent, User
from imaging import CleanedImage
from posts.media import photos as media
from posts.media import videos
from posts.media.videos import CheckedVideo
from posts.models import Tip, TipPhoto
from practices.models import Membership, PatientConsent, Practice
from practices.services import ConsentDocument, record_consent


@dataclass(frozen=True)
class TipSubmission:
    """What a person sent, checked and cleaned (posts.intake.forms.TipForms), ready to store."""

    practice: Practice
    kind: str
    text: str
    photos: list[CleanedImage]
    features_patient: bool
    video: CheckedVideo | None = None
    consent: PatientConsent | None = None
    new_consent: PatientConsent | None = None
    new_consent_document: ConsentDocument | None = None
    submitter_name: str = ""
    submitter_email: str = ""
    policy_confirmed: bool = False


def submit_tip(submission: TipSubmission, *, by: User | None, ip_address: str | None) -> Tip:
    """Save a tip with its photos and, if one was signed just now, the authorization.

    All or nothing: the rows are written in one transaction, and the files
    written on the way are removed again if anything fails. A video's
    temporary copy is removed in any case; stored, it is cleaned by the media
    worker once the transaction commits.
    """
    try:
        return _submit(submission, by=by, ip_address=ip_address)
    finally:
        if submission.video is not None:
            submission.video.discard()


def _submit(submission: TipSubmission, *, by: User | None, ip_address: str | None) -> Tip:
    practice = submission.practice
    user = by if by is not None and by.is_authenticated else None
    via_link = user is None
    consent = submission.consent
    if consent is not None and consent.practice_id != practice.pk:
        raise ValueError("the authorization belongs to another practice")
    if submission.features_patient and consent is None and submission.new_consent is None:
        raise ValueError("a tip that features a patient needs the patient's authorization")
    with files.files_removed_on_failure(), transaction.atomic():
        if submission.new_consent is not None:
            consent = record_consent(
                consent=submission.new_consent,
                document=submission.new_consent_document,
                by=user,
                by_label=f"{submission.submitter_name} via the tip link" if via_link else "",
                ip_address=ip_address,
            )
        features_patient = submission.features_patient
        tip = Tip.objects.create(
            practice=practice,
            submitted_by=user,
            submitter_name=submission.submitter_name if via_link else "",
            submitter_email=submission.submitter_email if via_link else "",
            via_link=via_link,
            kind=submission.kind,
            text=submission.text,
            features_patient=features_patient,
            consent=consent if features_patient else None,
        )
        assets = []
        for cleaned in submission.photos:
            asset = media.store_cleaned(practice=practice, cleaned=cleaned, by=user)
            if asset not in assets:  # the same photo chosen twice
                assets.append(asset)
        if submission.video is not None:
            clip = videos.store_checked(practice=practice, checked=submission.video, by=user)
            if clip not in assets:
                assets.append(clip)
        TipPhoto.objects.bulk_create(
            TipPhoto(tip=tip, asset=asset, position=i) for i, asset in enumerate(assets)
        )
        if submission.policy_confirmed and user is not None:
            Membership.objects.filter(
                user=user, practice=practice, policy_confirmed_at__isnull=True
            ).update(policy_confirmed_at=timezone.now())
        AuditEvent.record(
            "tip_submitted",
            actor=user,
            actor_label="tip link" if via_link else "",
            practice=practice,
            obj=tip,
            detail={
                "kind": submission.kind,
                "photos": [a.pk for a in assets],
                "features_patient": features_patient,
                "consent": consent.pk if features_patient and consent else None,
                "via_link": via_link,
                "policy_confirmed": submission.policy_confirmed,
            },
            ip_address=ip_address,
        )
    return tip


def decline_tip(tip: Tip, *, reason: str, by: User) -> None:
    """Decline a new tip with the reason its sender will read; audited."""
    with transaction.atomic():
        tip.decline(reason=reason, by=by)
        AuditEvent.record("tip_declined", actor=by, practice=tip.practice, obj=tip)
