"""Who is told what about the conversation, by e-mail (core.notifications).

The e-mails name the practice, the platform and the kind, never the words of
the comment or review: a reviewer who names their own treatment has written
health information, which stays on the signed-in page the link opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from core.models import Notification
from core.notifications import notify
from posts.approval import links as approval_links
from practices.alerts import doctors_of, strategist_for

if TYPE_CHECKING:
    from engagement.models import InboxItem, Reply

Kind = Notification.Kind


def complaint_arrived(item: InboxItem) -> None:
    """A bad review or a complaint: its strategist hears at once, whatever their digest."""
    practice = item.practice
    notify(
        kind=Kind.BAD_REVIEW,
        to=strategist_for(practice),
        practice=practice,
        message="bad_review",
        context={
            "item": item,
            "practice": practice,
            "platform": item.account.get_platform_display(),
        },
        link=reverse("inbox_item", args=[item.pk]),
        key=f"bad-review:{item.pk}",
    )


def reply_awaiting_approval(reply: Reply) -> None:
    practice = reply.item.practice
    for doctor in doctors_of(practice):
        # Their own approval link, as for posts: no password to remember.
        token = approval_links.issue_token(doctor, practice)
        notify(
            kind=Kind.REPLY_AWAITING_APPROVAL,
            to=doctor,
            practice=practice,
            message="reply_awaiting_approval",
            context={"reply": reply, "practice": practice},
            link=reverse("replies_by_link", args=[token]),
            key=f"reply-approval:{reply.pk}:{doctor.pk}:{reply.content_hash[:12]}",
        )


def reply_failed(reply: Reply) -> None:
    practice = reply.item.practice
    notify(
        kind=Kind.REPLY_FAILED,
        to=strategist_for(practice, fallback=reply.author),
        practice=practice,
        message="reply_failed",
        context={"reply": reply, "practice": practice},
        link=reverse("inbox_item", args=[reply.item_id]),
        key=f"reply-failed:{reply.pk}:{reply.attempts}",
    )
