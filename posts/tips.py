"""Tips from the practices' staff: sending one, and telling them what became of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from agency.models import AuditEvent
from posts import media
from posts.images import CleanedImage
from posts.models import MetricSnapshot, Post, Publication, Tip, TipPhoto
from practices.models import Membership, PatientConsent, Practice
from practices.services import ConsentDocument, record_consent


def submit_tip(
    *,
    practice: Practice,
    kind: str,
    text: str,
    photos: list[CleanedImage],
    features_patient: bool,
    consent: PatientConsent | None = None,
    new_consent: PatientConsent | None = None,
    new_consent_document: ConsentDocument | None = None,
    by=None,
    submitter_name: str = "",
    submitter_email: str = "",
    policy_confirmed: bool = False,
    ip_address: str | None = None,
) -> Tip:
    """Save a tip with its photos and, if one was signed just now, the authorization.

    All or nothing: the rows are written in one transaction, and the files
    written on the way are removed again if anything fails.
    """
    user = by if by is not None and by.is_authenticated else None
    via_link = user is None
    if consent is not None and consent.practice_id != practice.pk:
        raise ValueError("the authorization belongs to another practice")
    if features_patient and consent is None and new_consent is None:
        raise ValueError("a tip that features a patient needs the patient's authorization")
    with media.files_removed_on_failure(), transaction.atomic():
        if new_consent is not None:
            consent = record_consent(
                consent=new_consent,
                document=new_consent_document,
                by=user,
                by_label=f"{submitter_name} via the tip link" if via_link else "",
                ip_address=ip_address,
            )
        tip = Tip.objects.create(
            practice=practice,
            submitted_by=user,
            submitter_name=submitter_name if via_link else "",
            submitter_email=submitter_email if via_link else "",
            via_link=via_link,
            kind=kind,
            text=text,
            features_patient=features_patient,
            consent=consent if features_patient else None,
        )
        assets = []
        for cleaned in photos:
            asset = media.store_cleaned(practice=practice, cleaned=cleaned, by=user)
            if asset not in assets:  # the same photo chosen twice
                assets.append(asset)
        TipPhoto.objects.bulk_create(
            TipPhoto(tip=tip, asset=asset, position=i) for i, asset in enumerate(assets)
        )
        if policy_confirmed and user is not None:
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
                "kind": kind,
                "photos": [a.pk for a in assets],
                "features_patient": features_patient,
                "consent": consent.pk if features_patient and consent else None,
                "via_link": via_link,
                "policy_confirmed": policy_confirmed,
            },
            ip_address=ip_address,
        )
    return tip


# -- what became of a tip ----------------------------------------------------


@dataclass
class TipOutcome:
    state: str  # a badge class: new, drafted, scheduled, published, declined, archived
    label: str
    detail: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    reach: int | None = None


def with_outcomes(tips: QuerySet[Tip]) -> QuerySet[Tip]:
    """Tips with what `outcome` reads: their posts, publications and latest reach.

    Three queries whatever the number of tips.
    """
    latest_reach = (
        MetricSnapshot.objects.filter(publication=OuterRef("pk"), reach__isnull=False)
        .order_by("-fetched_at")
        .values("reach")[:1]
    )
    publications = (
        Publication.objects.select_related("account")
        .annotate(latest_reach=Subquery(latest_reach))
        .order_by("account__platform")  # the links, in platform order
    )
    posts = (
        Post.objects.exclude(status=Post.Status.CANCELLED)
        .select_related("practice")
        .prefetch_related(Prefetch("publications", queryset=publications))
    )
    return tips.prefetch_related(Prefetch("posts", queryset=posts))


def outcome(tip: Tip) -> TipOutcome:
    """What the person who sent the tip sees about it, from prefetched rows."""
    if tip.status == Tip.Status.DECLINED:
        return TipOutcome("declined", "Declined", detail=tip.decline_reason)
    posts = list(tip.posts.all())
    publications = [p for post in posts for p in post.publications.all()]
    live = [p for p in publications if p.status == Publication.Status.PUBLISHED]
    if live:
        reaches = [p.latest_reach for p in live if p.latest_reach is not None]
        return TipOutcome(
            "published",
            "Published",
            links=[(p.platform_label, p.permalink) for p in live if p.permalink],
            reach=sum(reaches) if reaches else None,
        )
    scheduled = [p for p in posts if p.status == Post.Status.SCHEDULED and p.scheduled_at]
    if scheduled or any(p.status == Post.Status.PUBLISHING for p in posts):
        when = min((p.scheduled_at for p in scheduled), default=None)
        detail = ""
        if when is not None:
            local = tip.practice.local(when)
            detail = f"Goes out {local:%a} {local.day} {local:%b}, {local:%H:%M}"
        return TipOutcome("scheduled", "Scheduled", detail=detail)
    if posts or tip.status == Tip.Status.DRAFTED:
        return TipOutcome("drafted", "Drafted", detail="The agency is writing a post from it.")
    if tip.status == Tip.Status.ARCHIVED:
        return TipOutcome("archived", "Archived")
    return TipOutcome("new", "New", detail="The agency will look at it soon.")
