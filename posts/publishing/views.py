"""The agency's buttons on a post's publications: retry now, cancel on this platform,
and removed by hand."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.http import AuthenticatedHttpRequest
from posts import access
from posts.models import IllegalTransition, Publication
from posts.publishing import attempt as publishing
from posts.publishing import takedown


@require_POST
@login_required
def publication_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
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
def publication_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    publication = access.get_publication_for_user(request.user, pk)
    label = publication.platform_label
    try:
        cancelled = publishing.cancel_publication(publication=publication, by=request.user)
    except IllegalTransition as refusal:
        messages.error(request, f"Not cancelled: {refusal}.")
    else:
        if cancelled:
            messages.success(request, f"Cancelled on {label}: it will not go out there.")
        elif publication.read_back_first:
            messages.error(
                request,
                f"It may already be on {label}, so nothing changed: we look there first "
                "(reconnect the account if it needs it), then it can be cancelled.",
            )
        elif publication.status in (Publication.Status.QUEUED, Publication.Status.PUBLISHING):
            messages.info(request, f"It is going out on {label} right now; nothing changed.")
        else:
            messages.info(
                request,
                f"It is {publication.get_status_display().lower()} on {label}; nothing changed.",
            )
    return redirect(publication.post.get_absolute_url())


@require_POST
@login_required
def publication_removed(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    publication = access.get_publication_for_user(request.user, pk)
    if takedown.mark_removed_by_hand(publication=publication, by=request.user):
        messages.success(request, f"Marked as removed from {publication.platform_label}.")
    else:
        messages.info(request, "There was no takedown waiting for this publication.")
    return redirect(publication.post.get_absolute_url())
