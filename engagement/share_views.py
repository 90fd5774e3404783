"""Patients' own posts: the strategist's actions on a mention, and the person's form."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from core.http import AuthenticatedHttpRequest, client_ip
from engagement import access, replies, sharing
from practices.access import AGENCY
from practices.forms import ConsentForm
from practices.models import PatientConsent


class ShareEmailForm(forms.Form):
    email = forms.EmailField(label="Their e-mail address", max_length=254)


@require_POST
@login_required
def ask(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_item_for_user(request.user, pk, roles=AGENCY)
    try:
        sharing.ask_to_share(item, by=request.user)
    except (sharing.ShareRefused, replies.ReplyRefused) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Asked, in a reply: it goes out now.")
    return redirect("inbox_item", pk=item.pk)


@require_POST
@login_required
def send_form(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_item_for_user(request.user, pk, roles=AGENCY)
    form = ShareEmailForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the e-mail address they sent you.")
        return redirect("inbox_item", pk=item.pk)
    try:
        sharing.send_form(item, email=form.cleaned_data["email"], by=request.user)
    except sharing.ShareRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "The authorization form is on its way to them.")
    return redirect("inbox_item", pk=item.pk)


@require_POST
@login_required
def draft(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_item_for_user(request.user, pk, roles=AGENCY)
    try:
        post = sharing.draft_post(item, by=request.user)
    except sharing.ShareRefused as refused:
        messages.error(request, str(refused))
        return redirect("inbox_item", pk=item.pk)
    messages.success(request, "Drafted, relying on their signed authorization.")
    return redirect("post_edit", pk=post.pk)


@require_http_methods(["GET", "POST"])
@csrf_protect
def share_request(request: HttpRequest, token: str) -> HttpResponse:
    """The person's own form: what would be shared, and the authorization to sign."""
    try:
        found = sharing.resolve(token)
    except sharing.ShareRefused as refused:
        return render(request, "engagement/share_closed.html", {"reason": str(refused)}, status=410)
    form = ConsentForm(request.POST or None, practice=found.practice)
    # Signed here, on their own device: typed, never an upload of paper.
    form.fields["method"].choices = [  # type: ignore[attr-defined]
        (PatientConsent.Method.ESIGNATURE.value, PatientConsent.Method.ESIGNATURE.label)
    ]
    if request.method == "POST" and form.is_valid():
        try:
            sharing.sign(
                found,
                consent=form.build(signer_ip=client_ip(request)),
                document=None,
                ip_address=client_ip(request),
            )
        except sharing.ShareRefused as refused:
            return render(
                request, "engagement/share_closed.html", {"reason": str(refused)}, status=410
            )
        return render(
            request, "engagement/share_closed.html", {"thanks": True, "practice": found.practice}
        )
    response = render(
        request,
        "engagement/share_request.html",
        {"found": found, "practice": found.practice, "form": form},
        status=400 if form.errors else 200,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
