"""A practice's people: its strategists, doctors and staff, the invitations that wait,
and taking someone off it. For the lead and the practice's strategists (only the
lead changes who its strategists are)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.http import AuthenticatedHttpRequest, client_ip
from core.models import Assignment
from practices import access, invitations, onboarding
from practices.forms import InviteForm
from practices.models import Invitation, Practice


def _people_url(practice: Practice) -> str:
    return reverse("practice_people", args=[practice.slug])


def _page(
    request: AuthenticatedHttpRequest, practice: Practice, form: InviteForm, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    members = practice.memberships.select_related("user").order_by(
        "role", "user__first_name", "user__last_name"
    )
    strategists = (
        Assignment.objects.filter(practice=practice)
        .select_related("strategist")
        .order_by("-is_primary", "created_at")
    )
    return render(
        request,
        "practices/people.html",
        {
            "practice": practice,
            "form": form,
            "members": members,
            "strategists": strategists,
            "invitations": waiting(practice, now=now),
            "invitation_days": settings.INVITATION_DAYS,
            "is_lead": request.user.is_agency_lead,
        },
        status=status,
    )


def waiting(practice: Practice, *, now: datetime) -> list[tuple[Invitation, str]]:
    """Each address's latest invitation not taken up, with its state: not the ones a newer
    one replaced, nor any to someone who is on the practice by now (two queries)."""
    joined = {
        email.lower()
        for email in [
            *practice.memberships.values_list("user__email", flat=True),
            *Assignment.objects.filter(practice=practice).values_list(
                "strategist__email", flat=True
            ),
        ]
    }
    latest: dict[str, Invitation] = {}
    for invitation in Invitation.objects.filter(practice=practice).select_related("invited_by"):
        latest.setdefault(invitation.email.lower(), invitation)  # newest first
    return [
        (invitation, invitation.state(now))
        for email, invitation in latest.items()
        if invitation.accepted_at is None and email not in joined
    ][:50]


@require_GET
@login_required
def practice_people(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    practice = access.get_practice_for_user(request.user, slug)
    return _page(request, practice, InviteForm(roles=invitations.roles_for(request.user)))


@require_POST
@login_required
def invitation_send(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    practice = access.get_practice_for_user(request.user, slug)
    form = InviteForm(request.POST, roles=invitations.roles_for(request.user))
    if form.is_valid():
        try:
            invitation = invitations.invite(
                practice=practice,
                by=request.user,
                ip_address=client_ip(request),
                **form.cleaned_data,
            )
        except invitations.InvitationProblem as problem:
            form.add_error("email", problem.message)
        else:
            messages.success(request, f"The invitation is on its way to {invitation.email}.")
            return redirect(_people_url(practice))
    return _page(request, practice, form, status=400)


@require_POST
@login_required
def invitation_send_again(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    invitation = access.get_invitation_for_user(request.user, slug, pk)
    try:
        new = invitations.send_again(invitation, by=request.user, ip_address=client_ip(request))
    except invitations.InvitationProblem as problem:
        messages.error(request, problem.message)
    else:
        messages.success(
            request, f"A new invitation is on its way to {new.email}; the old link no longer works."
        )
    return redirect(_people_url(invitation.practice))


@require_POST
@login_required
def invitation_revoke(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    invitation = access.get_invitation_for_user(request.user, slug, pk)
    if invitations.revoke(invitation, by=request.user, ip_address=client_ip(request)):
        messages.success(request, f"The invitation of {invitation.email} is withdrawn.")
    else:
        messages.info(request, "That invitation was no longer waiting: nothing was changed.")
    return redirect(_people_url(invitation.practice))


@require_POST
@login_required
def member_remove(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.get_member_for_user(request.user, slug, pk)
    invitations.remove_member(membership, by=request.user, ip_address=client_ip(request))
    messages.success(
        request,
        f"{membership.user} is no longer at {membership.practice}; their e-mailed links stopped"
        " working.",
    )
    return redirect(_people_url(membership.practice))


@require_POST
@login_required
def strategist_remove(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    assignment = access.get_assignment_for_user(request.user, slug, pk)
    onboarding.remove_strategist(assignment, by=request.user, ip_address=client_ip(request))
    messages.success(request, f"{assignment.strategist} no longer works on {assignment.practice}.")
    return redirect(_people_url(assignment.practice))
