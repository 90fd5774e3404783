"""Alerts about publications that need a person: once per failure, never per retry.

Who gets them and how: practices.alerts and core.notifications. The e-mail
names the practice, the platform and what to do, with a link; never a
caption or anything about a patient.
"""

from __future__ import annotations

from core.models import Notification
from core.notifications import notify
from posts.models import Publication, Tip
from practices.alerts import strategist_for


def publication_failed(publication: Publication) -> None:
    post = publication.post
    practice = post.practice
    reason = publication.last_error_message or publication.get_last_error_kind_display()
    if publication.last_error_kind == publication.ErrorKind.CONSENT:
        # The full reason names the patient: it stays on the post page.
        reason = publication.get_last_error_kind_display()
    # Changed after its approval: one reason for every platform, told once per
    # version of the post (it goes back for approval as a whole).
    key = None
    if publication.last_error_kind == publication.ErrorKind.APPROVAL:
        key = f"approval-refused:{post.pk}:{post.version}"
    notify(
        kind=Notification.Kind.PUBLICATION_FAILED,
        to=strategist_for(practice, fallback=post.author),
        practice=practice,
        message="publication_failed",
        context={"publication": publication, "post": post, "practice": practice, "reason": reason},
        link=post.get_absolute_url(),
        key=key,
    )


def takedown_needed(publication: Publication) -> None:
    post = publication.post
    practice = post.practice
    notify(
        kind=Notification.Kind.PUBLICATION_FAILED,
        to=strategist_for(practice, fallback=post.author),
        practice=practice,
        message="takedown_needed",
        context={"publication": publication, "post": post, "practice": practice},
        link=post.get_absolute_url(),
    )


def tip_published(publication: Publication) -> None:
    """The person who sent the tip hears once that it went out, with the link (and, on
    their tip's page, its reach as it comes in)."""
    post = publication.post
    if post.tip_id is None:
        return
    tip = Tip.objects.select_related("submitted_by", "practice").filter(pk=post.tip_id).first()
    if tip is None:
        return
    notify(
        kind=Notification.Kind.TIP_PUBLISHED,
        to=tip.submitted_by,
        address="" if tip.submitted_by is not None else tip.submitter_email,
        practice=tip.practice,
        message="tip_published",
        context={"publication": publication, "tip": tip},
        link=tip.get_absolute_url() if tip.submitted_by is not None else publication.permalink,
        key=f"tip-published:{tip.pk}:{post.pk}",
    )
