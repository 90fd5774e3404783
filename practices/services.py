"""Patient authorizations: recording them, their signed documents, revoking them.

Every creation, view and document access is an audit event (compliance rules,
sections 1, 2 and 6). Audit details hold ids and labels of things, never a
patient's name or a story.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agency.models import AuditEvent
from posts import images, media
from practices.models import PatientConsent

MAX_CONSENT_DOCUMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ConsentDocument:
    """A signed paper form, checked and ready to store (still unencrypted, in memory)."""

    data: bytes
    content_type: str
    extension: str


def clean_consent_document(upload) -> ConsentDocument:
    """A PDF (checked by its bytes, not its name) or a photo of the signed form.

    Photos go through the same cleaning as tip photos: a phone picture of a
    paper form carries GPS and the like too. ValidationError says what is wrong.
    """
    name = getattr(upload, "name", "") or ""
    quoted = f"“{name}”" if name else "The signed form"
    try:
        data = media.read_upload(upload, max_bytes=MAX_CONSENT_DOCUMENT_BYTES)
    except images.ImageRejected:
        raise ValidationError(
            f"{quoted} is larger than {MAX_CONSENT_DOCUMENT_BYTES // (1024 * 1024)} MB. "
            "Please photograph or scan it at a lower resolution."
        ) from None
    if not data:
        raise ValidationError(f"{quoted} is empty (0 bytes). Please choose the file again.")
    if data.startswith(b"%PDF-"):
        # A PDF ends with %%EOF (possibly followed by a newline); a file cut
        # off in transfer does not.
        if b"%%EOF" not in data[-1024:]:
            raise ValidationError(
                f"{quoted} is a PDF that seems to be cut off. Please upload it again."
            )
        return ConsentDocument(data=data, content_type="application/pdf", extension="pdf")
    try:
        cleaned = images.clean_image(
            data,
            filename=name,
            max_bytes=MAX_CONSENT_DOCUMENT_BYTES,
            max_pixels=settings.MAX_PHOTO_PIXELS,
        )
    except images.ImageRejected as rejected:
        raise ValidationError(
            rejected.message.replace(
                "Please upload a JPEG, PNG, WebP or HEIC photo.",
                "Please upload a PDF or a photo (JPEG, PNG, WebP or HEIC) of the signed form.",
            )
        ) from None
    return ConsentDocument(
        data=cleaned.data, content_type=cleaned.content_type, extension=cleaned.extension
    )


def record_consent(
    *,
    consent: PatientConsent,
    document: ConsentDocument | None,
    by,
    by_label: str = "",
    ip_address: str | None = None,
) -> PatientConsent:
    """Save a new authorization (built by practices.forms.ConsentForm) and its form.

    The document is encrypted on its way to disk (practices.storage); if the
    surrounding transaction fails, media.files_removed_on_failure removes it.
    """
    if consent.pk is not None:
        raise ValueError("record_consent saves new authorizations only")
    user = by if by is not None and by.is_authenticated else None
    with media.files_removed_on_failure(), transaction.atomic():
        consent.recorded_by = user
        consent.recorded_by_label = by_label[:200]
        if document is not None:
            consent.document.name = media.save_file(
                consent.document, f"consent.{document.extension}", document.data
            )
            consent.document_content_type = document.content_type
        consent.save()
        AuditEvent.record(
            "consent_created",
            actor=user,
            actor_label="" if user else by_label[:200],
            practice=consent.practice,
            obj=consent,
            detail={
                "method": consent.method,
                "signer": consent.signer,
                "uses": sorted(consent.uses),
                "platforms": sorted(consent.platforms),
                "expires_at": consent.expires_at.isoformat(),
                "document": bool(document),
            },
            ip_address=ip_address,
        )
    return consent


def record_consent_viewed(*, consent: PatientConsent, by, ip_address: str | None) -> None:
    AuditEvent.record(
        "consent_viewed", actor=by, practice=consent.practice, obj=consent, ip_address=ip_address
    )


def open_consent_document(
    *, consent: PatientConsent, by, ip_address: str | None, inline: bool
) -> io.BytesIO:
    """The decrypted signed form, for one person; every opening is an audit event."""
    if not consent.document:
        raise FileNotFoundError("this authorization has no signed document")
    with consent.document.open("rb") as document:
        data = document.read()
    AuditEvent.record(
        "consent_document_viewed" if inline else "consent_document_downloaded",
        actor=by,
        practice=consent.practice,
        obj=consent,
        detail={"content_type": consent.document_content_type, "bytes": len(data)},
        ip_address=ip_address,
    )
    return io.BytesIO(data)


# -- revocation --------------------------------------------------------------


class RevocationRefused(Exception):
    """A revocation that cannot be recorded, in plain words."""


@dataclass
class TakedownReport:
    """What a revocation did: posts stopped before publishing, live posts to take down."""

    consent: PatientConsent
    cancelled_post_ids: list[int] = field(default_factory=list)
    takedown_publication_ids: list[int] = field(default_factory=list)


def revoke_consent(
    *, consent: PatientConsent, received_at: datetime, note: str, by
) -> TakedownReport:
    """Record a patient's revocation, effective when the practice received it (164.508(b)(5)).

    Stops every post that relies on the authorization and has not gone out
    (cancelled, with its pending publications), and marks every live
    publication for takedown, which makes it a to-do for a person on the
    post page. The publishing engine checks the authorization again at the
    moment of publishing, so a post already being published is stopped there.
    """
    from posts.models import Post, Publication

    if timezone.is_naive(received_at):
        raise ValueError("received_at must be an aware datetime")
    if received_at > timezone.now():
        raise RevocationRefused("a revocation cannot be received in the future")
    with transaction.atomic():
        locked = PatientConsent.objects.select_for_update().get(pk=consent.pk)
        if locked.revoked_at is not None:
            raise RevocationRefused(
                f"this authorization was already revoked on {locked.revoked_at:%Y-%m-%d}"
            )
        locked.revoked_at = received_at
        locked.revocation_note = note.strip()
        locked.revoked_by = by
        locked.save(update_fields=["revoked_at", "revocation_note", "revoked_by"])
        report = TakedownReport(consent=locked)
        relying = Post.objects.filter(Q(consents=locked) | Q(tip__consent=locked)).distinct()
        for post in relying.filter(status__in=Post.PRE_PUBLISH).select_related("practice"):
            post.cancel(reason="The patient's authorization was revoked.")
            report.cancelled_post_ids.append(post.pk)
        live = Publication.objects.filter(
            post__in=relying,
            status=Publication.Status.PUBLISHED,
            takedown_requested_at__isnull=True,
        )
        report.takedown_publication_ids = list(live.values_list("pk", flat=True))
        live.update(takedown_requested_at=timezone.now(), updated_at=timezone.now())
        AuditEvent.record(
            "consent_revoked",
            actor=by,
            practice=locked.practice,
            obj=locked,
            detail={
                "received_at": received_at.isoformat(),
                "cancelled_posts": report.cancelled_post_ids,
                "takedown_publications": report.takedown_publication_ids,
            },
        )
    consent.refresh_from_db()
    return report
