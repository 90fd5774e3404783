"""Patient authorizations: recording them and opening their signed documents.

Revocation lives in posts.publishing.takedown (it reaches into publishing).

Every creation, view and document access is an audit event (compliance rules,
sections 1, 2 and 6). Audit details hold ids and labels of things, never a
patient's name or a story.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

import imaging
from core import files
from core.models import AuditEvent, User
from practices import alerts
from practices.models import PatientConsent, Practice

MAX_CONSENT_DOCUMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ConsentDocument:
    """A signed paper form, checked and ready to store (still unencrypted, in memory)."""

    data: bytes
    content_type: str
    extension: str


def clean_consent_document(upload: UploadedFile[bytes]) -> ConsentDocument:
    """A PDF (checked by its bytes, not its name) or a photo of the signed form.

    Photos go through the same cleaning as tip photos: a phone picture of a
    paper form carries GPS and the like too. ValidationError says what is wrong.
    """
    name = getattr(upload, "name", "") or ""
    quoted = f"“{name}”" if name else "The signed form"
    try:
        data = files.read_upload(upload, max_bytes=MAX_CONSENT_DOCUMENT_BYTES)
    except imaging.ImageRejected:
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
        cleaned = imaging.clean_image(
            data,
            filename=name,
            max_bytes=MAX_CONSENT_DOCUMENT_BYTES,
            max_pixels=settings.MAX_PHOTO_PIXELS,
        )
    except imaging.ImageRejected as rejected:
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
    by: User | None,
    by_label: str = "",
    ip_address: str | None = None,
) -> PatientConsent:
    """Save a new authorization (built by practices.forms.ConsentForm) and its form.

    The document is encrypted on its way to disk (practices.storage); if the
    surrounding transaction fails, files.files_removed_on_failure removes it.
    """
    if consent.pk is not None:
        raise ValueError("record_consent saves new authorizations only")
    user = by if by is not None and by.is_authenticated else None
    with files.files_removed_on_failure(), transaction.atomic():
        consent.recorded_by = user
        consent.recorded_by_label = by_label[:200]
        if document is not None:
            consent.document.name = files.save_file(
                consent.document, f"consent.{document.extension}", document.data
            )
            consent.document_content_type = document.content_type
        consent.save()
        alerts.signer_copy(consent)
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


def record_consents_listed(
    *,
    practice: Practice | None,
    consent_ids: list[int],
    state: str,
    by: User,
    ip_address: str | None,
) -> None:
    """A registry page shows labels and signers: which ones, to whom (never the search text)."""
    AuditEvent.record(
        "consent_list_viewed",
        actor=by,
        practice=practice,
        detail={"consents": consent_ids, "filter": state},
        ip_address=ip_address,
    )


def record_consent_viewed(*, consent: PatientConsent, by: User, ip_address: str | None) -> None:
    AuditEvent.record(
        "consent_viewed", actor=by, practice=consent.practice, obj=consent, ip_address=ip_address
    )


def open_consent_document(
    *, consent: PatientConsent, by: User, ip_address: str | None, inline: bool
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


def rotate_tip_link(practice: Practice, *, by: User, ip_address: str | None) -> None:
    """A new secret tip link for the practice; the old one stops working at once."""
    with transaction.atomic():
        practice.rotate_tip_link()
        AuditEvent.record(
            "tip_link_rotated", actor=by, practice=practice, obj=practice, ip_address=ip_address
        )


def rotate_calendar_link(*, practice: Practice, by: User, ip_address: str | None = None) -> None:
    """A new secret calendar address; calendars subscribed to the old one stop updating."""
    with transaction.atomic():
        practice.rotate_calendar_link()
        AuditEvent.record(
            "calendar_link_rotated",
            actor=by,
            practice=practice,
            obj=practice,
            ip_address=ip_address,
        )
