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
    notify(
        kind=Notification.Kind.PUBLICATION_FAILED,
        to=strategist_for(practice, fallback=post.author),
        practice=practice,
        subject=f"Post not published on {publication.platform_label} for {practice}",
        paragraphs=[
            f"Post #{post.pk} for {practice} was not published on {publication.account}.",
            f"Reason: {reason}",
        ],
        link=post.get_absolute_url(),
        link_label="Open the post to fix it or try again",
    )


def takedown_needed(publication: Publication) -> None:
    post = publication.post
    practice = post.practice
    notify(
        kind=Notification.Kind.PUBLICATION_FAILED,
        to=strategist_for(practice, fallback=post.author),
        practice=practice,
        subject=f"Remove a post from {publication.platform_label} by hand for {practice}",
        paragraphs=[
            f"A patient authorization used by post #{post.pk} for {practice} was revoked. "
            f"{publication.platform_label} does not let us delete the post, so please remove "
            "it by hand and then mark it removed on the post page.",
            f"Live post: {publication.permalink or publication.platform_post_id}",
        ],
        link=post.get_absolute_url(),
        link_label="Open the post",
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
    live = publication.permalink
    paragraphs = [
        f"Your {tip.get_kind_display().lower()} tip for {tip.practice} is now on "
        f"{publication.platform_label}. Thank you for sending it!"
    ]
    if live:
        paragraphs.append(f"See it live: {live}")
    if tip.submitted_by is not None:
        paragraphs.append("Its reach shows on your tip's page as the numbers come in.")
    notify(
        kind=Notification.Kind.TIP_PUBLISHED,
        to=tip.submitted_by,
        address="" if tip.submitted_by is not None else tip.submitter_email,
        practice=tip.practice,
        subject=f"Your tip was published on {publication.platform_label}",
        paragraphs=paragraphs,
        link=tip.get_absolute_url() if tip.submitted_by is not None else live,
        link_label="See your tip" if tip.submitted_by is not None else "See the post",
        key=f"tip-published:{tip.pk}:{post.pk}",
    )
