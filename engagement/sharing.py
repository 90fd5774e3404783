"""Patients' own posts: asking to share, the authorization first, then a post may use it.

1. From a mention, "ask to share" replies in public asking for permission (the
   reply passes the reply rules like any reply: it says nothing of anyone's care).
2. The strategist sends the person the authorization form by e-mail: a signed,
   expiring link (SALT) to the same e-signed authorization staff record with a
   tip (practices.forms.ConsentForm), signed on the person's own device.
3. Only once it is signed can a post be drafted from the mention; the post
   relies on that authorization, so the registry lists it and the publish gate
   checks it (revoked, expired, not covering a use or a platform) as for tips.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Notification, User
from core.notifications import notify
from engagement import replies
from engagement.models import InboxItem, Reply, ShareRequest
from posts.models import Post
from practices.models import PatientConsent
from practices.services import ConsentDocument, record_consent

SALT = "rounds.share-request"
LINK_DAYS = 14
# The public ask, in the practice's voice: permission, nothing about care.
ASK_TO_SHARE = (
    "Thank you for sharing this! We'd love to share it on our page too. If that's all "
    "right with you, message us your e-mail address and we'll send a short permission "
    "form; nothing is shared before you sign it."
)


class ShareRefused(Exception):
    """The message says why, in plain words."""


def ask_to_share(item: InboxItem, *, by: User) -> Reply:
    if item.kind != InboxItem.Kind.MENTION:
        raise ShareRefused("Only a post that mentions the practice can be asked for.")
    return replies.write(item, ASK_TO_SHARE, by=by)


def send_form(item: InboxItem, *, email: str, by: User) -> ShareRequest:
    """E-mail the person the link to the authorization form."""
    if item.kind != InboxItem.Kind.MENTION:
        raise ShareRefused("Only a post that mentions the practice can be asked for.")
    with transaction.atomic():
        request = ShareRequest.objects.create(
            item=item,
            practice=item.practice,
            email=email,
            asked_by=by,
            expires_at=timezone.now() + timedelta(days=LINK_DAYS),
        )
        token = signing.dumps(request.pk, salt=SALT, compress=True)
        notify(
            kind=Notification.Kind.SIGNER_COPY,
            address=email,
            practice=item.practice,
            message="share_request",
            context={"practice": item.practice, "days": LINK_DAYS},
            link=reverse("share_request", args=[token]),
        )
        AuditEvent.record(
            "share_requested",
            actor=by,
            practice=item.practice,
            obj=request,
            detail={"item": item.pk},
        )
    return request


def resolve(token: str) -> ShareRequest:
    """The request a link names, while it may still be signed; ShareRefused if not."""
    try:
        pk = signing.loads(token, salt=SALT, max_age=LINK_DAYS * 24 * 3600)
    except signing.BadSignature:
        raise ShareRefused("This link does not work (it may have expired).") from None
    request = (
        ShareRequest.objects.select_related("practice", "item__account").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if request is None or request.expires_at <= timezone.now():
        raise ShareRefused("This link does not work (it may have expired).")
    if request.signed:
        raise ShareRefused("This form was signed already. Thank you!")
    return request


def sign(
    request: ShareRequest,
    *,
    consent: PatientConsent,
    document: ConsentDocument | None,
    ip_address: str | None,
) -> PatientConsent:
    with transaction.atomic():
        locked = ShareRequest.objects.select_for_update().get(pk=request.pk)
        if locked.signed:
            raise ShareRefused("This form was signed already. Thank you!")
        recorded = record_consent(
            consent=consent,
            document=document,
            by=None,
            by_label="the person, through the share link",
            ip_address=ip_address,
        )
        locked.consent, locked.signed_at = recorded, timezone.now()
        locked.save(update_fields=["consent", "signed_at"])
        AuditEvent.record(
            "share_authorized",
            actor_label="share link",
            practice=locked.practice,
            obj=locked,
            detail={"item": locked.item_id, "consent": recorded.pk},
            ip_address=ip_address,
        )
    return recorded


def draft_post(item: InboxItem, *, by: User) -> Post:
    """A draft reposting the mention, relying on its signed authorization."""
    signed = ShareRequest.objects.filter(item=item, consent__isnull=False).select_related("consent")
    request = signed.order_by("-signed_at").first()
    if request is None or request.consent is None:
        raise ShareRefused(
            "Their authorization comes first: send them the form, and draft the post "
            "once they have signed it."
        )
    consent = request.consent
    if not consent.is_active():
        raise ShareRefused("Their authorization is no longer in force (revoked or expired).")
    wanted = (PatientConsent.Use.PHOTO, PatientConsent.Use.STORY)
    uses = [use for use in consent.uses if use in wanted]
    with transaction.atomic():
        post = Post.objects.create(
            practice=item.practice,
            author=by,
            title=f"Shared from {item.author_name or 'a patient'}"[:200],
            caption=f"Thank you for sharing! {item.permalink}".strip(),
            features_patient=True,
            patient_uses=uses,
        )
        post.consents.add(consent)
        AuditEvent.record(
            "share_drafted",
            actor=by,
            practice=item.practice,
            obj=post,
            detail={"item": item.pk, "consent": consent.pk},
        )
    return post
