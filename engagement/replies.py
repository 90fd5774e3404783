"""Writing a reply: the checks it passes, the approval it may wait for, its way out.

A reply is the practice's documented word, and a reply that confirms someone
is a patient discloses health information (compliance rules, section 5a;
docs/replies.md). So every reply passes two checks before it may go: the
identifier check the editor runs on posts (posts.rules.compliance) and the
reply rules (engagement.reply_rules). A finding blocks it; only the agency
lead may send it all the same, with a reason, which is audited. Where the
practice asks for it, a reply to a review then waits for a doctor's
approval of exactly that text. The reply engine (engagement.sending) sends
it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.models import AuditEvent, User
from engagement import alerts, reply_rules
from engagement.models import InboxItem, Reply
from posts.rules import compliance

Status = Reply.Status
# Replies still on their way: one at a time per item.
OPEN = (Status.AWAITING_APPROVAL, Status.QUEUED, Status.SENDING, Status.UNKNOWN)
MAX_LENGTH = 2000


class ReplyRefused(Exception):
    """Not written or not changed; the message says why, in plain words."""


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    excerpt: str = ""


class ReplyBlocked(ReplyRefused):
    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("The reply was not sent: " + " ".join(f.message for f in findings))
        self.findings = findings


def check(item: InboxItem, text: str) -> list[Finding]:
    """What is wrong with sending `text` as a reply to `item`; [] if nothing."""
    practice = item.practice
    found = [
        Finding("identifier", finding.message, finding.excerpt)
        for finding in compliance.identifiers_in(
            text, practice=practice, names=compliance.patient_names(practice)
        )
    ]
    found += [
        Finding(finding.rule, finding.message, finding.excerpt)
        for finding in reply_rules.check_reply(
            text, original=item.text, reviewer_name=item.author_name
        )
    ]
    return found


def needs_doctor(item: InboxItem) -> bool:
    return item.kind == InboxItem.Kind.REVIEW and item.practice.doctor_approves_review_replies


def write(item: InboxItem, text: str, *, by: User, override_reason: str = "") -> Reply:
    """Check and queue a reply (or hold it for a doctor); ReplyRefused says why not."""
    text = text.strip()
    if not text:
        raise ReplyRefused("Write the reply first.")
    if len(text) > MAX_LENGTH:
        raise ReplyRefused(f"A reply can be at most {MAX_LENGTH:,} characters.")
    if item.is_deleted:
        what = item.get_kind_display().lower()
        raise ReplyRefused(f"The {what} was deleted: nothing to reply to.")
    findings = check(item, text)
    override_reason = override_reason.strip()
    if findings and not override_reason:
        raise ReplyBlocked(findings)
    if findings and not by.is_agency_lead:
        raise ReplyRefused(
            "Only the agency lead can send a reply the checks stopped, with a reason."
        )
    now = timezone.now()
    with transaction.atomic():
        locked = InboxItem.objects.select_for_update().get(pk=item.pk)
        if Reply.objects.filter(item=locked, status__in=OPEN).exists():
            raise ReplyRefused(
                "A reply to this is already on its way; wait for it, or cancel it first."
            )
        held = needs_doctor(locked)
        reply = Reply.objects.create(
            item=locked,
            text=text,
            content_hash=Reply.hash_of(text),
            status=Status.AWAITING_APPROVAL if held else Status.QUEUED,
            author=by,
            findings=[f.__dict__ for f in findings],
            override_reason=override_reason if findings else "",
            overridden_by=by if findings else None,
            next_attempt_at=None if held else now,
            retry_until=None if held else now + _give_up_after(),
        )
        if locked.state == InboxItem.State.NEW:
            locked.state = InboxItem.State.NEEDS_REPLY
            locked.save(update_fields=["state", "changed_at"])
        AuditEvent.record(
            "reply_written",
            actor=by,
            practice=locked.practice,
            obj=reply,
            detail={"item": locked.pk, "held_for_doctor": held, "findings": len(findings)},
        )
        if findings:
            # The override itself, with its reason and what was found (rule
            # codes, not the words): the documentation OCR would ask for.
            AuditEvent.record(
                "reply_override",
                actor=by,
                practice=locked.practice,
                obj=reply,
                detail={
                    "item": locked.pk,
                    "rules": sorted({f.rule for f in findings}),
                    "reason": override_reason,
                },
            )
        if held:
            alerts.reply_awaiting_approval(reply)
    return reply


def approve(reply: Reply, *, by: User) -> Reply:
    """A doctor approves exactly this text; it goes out."""
    now = timezone.now()
    with transaction.atomic():
        locked = Reply.objects.select_for_update().select_related("item__practice").get(pk=reply.pk)
        if locked.status != Status.AWAITING_APPROVAL:
            raise ReplyRefused("This reply is not waiting for approval any more.")
        locked.approved_hash = locked.content_hash
        locked.approved_by, locked.approved_at = by, now
        locked.status = Status.QUEUED
        locked.next_attempt_at = now
        locked.retry_until = now + _give_up_after()
        locked.save()
        AuditEvent.record(
            "reply_approved",
            actor=by,
            practice=locked.item.practice,
            obj=locked,
            detail={"item": locked.item_id},
        )
    return locked


def cancel(reply: Reply, *, by: User) -> Reply:
    """Withdraw a reply that has not started going out."""
    with transaction.atomic():
        locked = Reply.objects.select_for_update().select_related("item__practice").get(pk=reply.pk)
        if locked.status not in (Status.AWAITING_APPROVAL, Status.QUEUED, Status.FAILED):
            raise ReplyRefused(
                "This reply may be on its way already; it can be deleted once it is out."
            )
        locked.status = Status.CANCELLED
        locked.next_attempt_at = None
        locked.save(update_fields=["status", "next_attempt_at"])
        AuditEvent.record(
            "reply_cancelled", actor=by, practice=locked.item.practice, obj=locked, detail={}
        )
    return locked


def _give_up_after() -> timedelta:
    return timedelta(seconds=settings.PUBLISH_GIVE_UP_AFTER_SECONDS)
