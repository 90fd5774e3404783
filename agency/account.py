"""A person's e-mail settings, and the demo mailbox (`make run` keeps e-mail there)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core import mailbox, notifications
from core.http import AuthenticatedHttpRequest
from core.models import MailboxMessage, Notification, User
from practices import access


def kinds_for(user: User) -> list[str]:
    """The notifications this person can receive, by what they do."""
    roles = set((access.practice_roles(user) or {}).values())
    kinds: list[str] = []
    if user.is_agency:
        kinds += notifications.AGENCY_KINDS
    if access.DOCTOR in roles:
        kinds += notifications.DOCTOR_KINDS
    if access.STAFF in roles:
        kinds += notifications.STAFF_KINDS
    return kinds


class PreferencesForm(forms.Form):
    def __init__(self, *args: object, kinds: list[str], initial_choices: dict[str, str]) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        for kind in kinds:
            self.fields[kind] = forms.ChoiceField(
                label=Notification.Kind(kind).label,
                choices=Notification.Delivery.choices,
                initial=initial_choices.get(kind, Notification.Delivery.IMMEDIATE),
                widget=forms.RadioSelect,
            )


@require_http_methods(["GET", "POST"])
@login_required
def notification_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    kinds = kinds_for(request.user)
    form = PreferencesForm(
        request.POST or None,
        kinds=kinds,
        initial_choices=notifications.preferences(request.user),
    )
    if request.method == "POST" and form.is_valid():
        notifications.set_preferences(request.user, form.cleaned_data)
        messages.success(request, "Saved: your e-mails come as you chose.")
        return redirect("notification_settings")
    return render(
        request,
        "registration/notification_settings.html",
        {
            "form": form,
            "digest_hour": settings.DIGEST_HOUR,
            "zone": request.user.own_zone(),
        },
    )


def _require_mailbox(user: User) -> None:
    """The mailbox exists where e-mail is kept in it (`make run`), for the agency lead."""
    access.require_agency_lead(user)
    if settings.MAILERS["default"]["BACKEND"] != mailbox.BACKEND:
        raise Http404("E-mail is sent, not kept here.")


@require_GET
@login_required
def mailbox_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_mailbox(request.user)
    page = Paginator(MailboxMessage.objects.all(), 50).get_page(request.GET.get("page"))
    return render(request, "agency/mailbox.html", {"page": page})


@require_GET
@login_required
def mailbox_message(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_mailbox(request.user)
    message = get_object_or_404(MailboxMessage, pk=pk)
    return render(request, "agency/mailbox_message.html", {"message": message})
