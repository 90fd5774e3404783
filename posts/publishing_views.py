"""The agency's buttons on a post's publications: retry now, and removed by hand."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from agency import access
from posts import publishing, takedown
from posts.models import Publication


@require_POST
@login_required
def publication_retry(request, pk):
    publication = access.get_publication_for_user(request.user, pk)
    if publication.status != Publication.Status.FAILED:
        messages.info(request, "Only a failed publication can be retried; nothing changed.")
    elif not publication.account.is_usable:
        messages.error(
            request, f"Reconnect {publication.account} first; its posts wait until then."
        )
    elif publishing.retry_publication(publication=publication, by=request.user):
        if publication.read_back_first:
            messages.success(
                request,
                f"Looking on {publication.platform_label} first (it may already be there), "
                "then trying again if it is not; within seconds.",
            )
        else:
            messages.success(
                request, f"Trying {publication.platform_label} again; it goes out within seconds."
            )
    else:
        messages.info(request, "It was retried meanwhile; nothing changed.")
    return redirect(publication.post.get_absolute_url())


@require_POST
@login_required
def publication_removed(request, pk):
    publication = access.get_publication_for_user(request.user, pk)
    if takedown.mark_removed_by_hand(publication=publication, by=request.user):
        messages.success(request, f"Marked as removed from {publication.platform_label}.")
    else:
        messages.info(request, "There was no takedown waiting for this publication.")
    return redirect(publication.post.get_absolute_url())
