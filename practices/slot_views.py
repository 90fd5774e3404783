"""A practice's posting slots: added and removed by the agency on the practice's page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from core.http import AuthenticatedHttpRequest
from core.models import AuditEvent
from practices import access
from practices.models import PostingSlot

# django-stubs makes ModelForm generic over its model; Django's own class cannot
# be subscripted at runtime, so the model is named for mypy only.
if TYPE_CHECKING:
    _SlotFormBase = forms.ModelForm[PostingSlot]
else:
    _SlotFormBase = forms.ModelForm


class SlotForm(_SlotFormBase):
    class Meta:
        model = PostingSlot
        fields = ["platform", "weekday", "time"]
        widgets = {"time": forms.TimeInput(attrs={"type": "time"})}


@require_POST
@login_required
def slot_add(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseRedirect:
    practice = access.get_practice_for_user(request.user, slug)
    form = SlotForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Slot not added: choose a platform, a day and a time.")
        return redirect(practice.get_absolute_url() + "#slots")
    slot = form.save(commit=False)
    slot.practice = practice
    try:
        with transaction.atomic():
            slot.save()
            AuditEvent.record(
                "slot_added", actor=request.user, practice=practice, detail={"slot": slot.pk}
            )
    except IntegrityError:
        messages.error(request, f"{slot} is a slot already.")
    else:
        messages.success(request, f"Slot added: {slot}.")
    return redirect(practice.get_absolute_url() + "#slots")


@require_POST
@login_required
def slot_delete(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponseRedirect:
    practice = access.get_practice_for_user(request.user, slug)
    slot = get_object_or_404(PostingSlot, pk=pk, practice=practice)
    with transaction.atomic():
        slot.delete()
        AuditEvent.record(
            "slot_removed", actor=request.user, practice=practice, detail={"slot": pk}
        )
    messages.success(request, f"Slot removed: {slot}. Posts already in it keep their time.")
    return redirect(practice.get_absolute_url() + "#slots")
