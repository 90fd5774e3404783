"""The agency's buttons on a post's publications: retry now, and removed by hand."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from agency import access
from posts import publishing, takedown
from posts.models import Publication


def _publication_for_agency(request, pk: int) -> Publication:
    publication = Publication.objects.select_related("account").filter(pk=pk).first()
    if publication is None:
        raise Http404("No such publication.")
    # 404 for outsiders, 403 for a doctor: the same rules as the post itself.
    post = access.get_post_for_user(request.user, publication.post_id, roles=access.AGENCY)
    publication.post = post
    return publication


@require_POST
@login_required
def publication_retry(request, pk):
    publication = _publication_for_agency(request, pk)
    if publication.status != Publication.Status.FAILED:
        messages.info(request, "Only a failed publication can be retried; nothing changed.")
    elif publication.account.status != publication.account.Status.CONNECTED:
        messages.error(
            request, f"Reconnect {publication.account} first; its posts wait until then."
        )
    elif publishing.retry_publication(publication=publication, by=request.user):
        messages.success(
            request, f"Trying {publication.platform_label} again; it goes out within seconds."
        )
    else:
        messages.info(request, "It was retried meanwhile; nothing changed.")
    return redirect(publication.post.get_absolute_url())


@require_POST
@login_required
def publication_removed(request, pk):
    publication = _publication_for_agency(request, pk)
    if takedown.mark_removed_by_hand(publication=publication, by=request.user):
        messages.success(request, f"Marked as removed from {publication.platform_label}.")
    else:
        messages.info(request, "There was no takedown waiting for this publication.")
    return redirect(publication.post.get_absolute_url())
