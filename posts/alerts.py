"""E-mails about publications that need a person: once per failure, never per retry.

Who gets them and how they are sent: practices.alerts. The e-mail names the
practice, the platform and what to do, with a link; never a caption or
anything about a patient.
"""

from __future__ import annotations

from posts.models import Publication
from practices.alerts import absolute, send, strategist_for


def publication_failed(publication: Publication) -> None:
    post = publication.post
    practice = post.practice
    reason = publication.last_error_message or publication.get_last_error_kind_display()
    if publication.last_error_kind == publication.ErrorKind.CONSENT:
        # The full reason names the patient: it stays on the post page.
        reason = publication.get_last_error_kind_display()
    send(
        to=strategist_for(practice, fallback=post.author),
        subject=f"Post not published on {publication.platform_label} for {practice}",
        body=(
            f"Post #{post.pk} for {practice} was not published on {publication.account}.\n\n"
            f"Reason: {reason}\n\n"
            f"Open the post to fix it or try again:\n{absolute(post.get_absolute_url())}\n"
        ),
    )


def takedown_needed(publication: Publication) -> None:
    post = publication.post
    practice = post.practice
    send(
        to=strategist_for(practice, fallback=post.author),
        subject=f"Remove a post from {publication.platform_label} by hand for {practice}",
        body=(
            f"A patient authorization used by post #{post.pk} for {practice} was revoked. "
            f"{publication.platform_label} does not let us delete the post, so please remove "
            "it by hand and then mark it removed on the post page.\n\n"
            f"Live post: {publication.permalink or publication.platform_post_id}\n"
            f"{absolute(post.get_absolute_url())}\n"
        ),
    )
