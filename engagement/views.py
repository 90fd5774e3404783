"""The inbox: one per practice and one across the strategist's practices, each
conversation with its thread and its reply, and the practice's saved replies."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import AuthenticatedHttpRequest
from core.models import AuditEvent
from engagement import access, moderation, replies
from engagement.forms import AssignForm, InboxFilterForm, ReplyForm, SavedReplyForm, StateForm
from engagement.models import InboxItem, Reply, SavedReply
from engagement.reply_rules import SAFE_REVIEW_REPLY
from practices.access import AGENCY, DOCTOR, get_practice_for_user, practices_visible_to
from practices.models import Practice

PER_PAGE = 25


@require_GET
@login_required
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Across the practices the person works on."""
    return _inbox(request, access.items_visible_to(request.user), practice=None)


@require_GET
@login_required
def practice_inbox(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    practice = get_practice_for_user(request.user, slug, roles=access.READERS)
    items = access.items_visible_to(request.user).filter(practice=practice)
    return _inbox(request, items, practice=practice)


def _inbox(
    request: AuthenticatedHttpRequest, items: QuerySet[InboxItem], *, practice: Practice | None
) -> HttpResponse:
    form = InboxFilterForm(request.GET or None)
    shown = form.filter(items, request.user)
    # Bad reviews and complaints first, then the newest.
    shown = shown.order_by("-complaint", "-posted_at", "-pk")
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    # Over the open items only (the partial index inbox_open_order holds them),
    # not every item the practices ever had: the count stays as cheap as the
    # list however long their history.
    open_items = items.filter(state__in=[InboxItem.State.NEW, InboxItem.State.NEEDS_REPLY])
    counts = open_items.aggregate(
        open=Count("pk"),
        complaints=Count("pk", filter=Q(complaint=True, deleted_at__isnull=True)),
    )
    return render(
        request,
        "engagement/inbox.html",
        {
            "practice": practice,
            "practices": None if practice else practices_visible_to(request.user),
            "form": form,
            "page": page,
            "counts": counts,
            "query": _query_without_page(request),
        },
    )


def _query_without_page(request: AuthenticatedHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@login_required
def item_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_item_for_user(request.user, pk, roles=access.READERS)
    return _item_page(request, item, reply_form=ReplyForm())


def _item_page(
    request: AuthenticatedHttpRequest,
    item: InboxItem,
    *,
    reply_form: ReplyForm,
    findings: list[replies.Finding] | None = None,
    status: int = 200,
) -> HttpResponse:
    thread = _thread(item)
    is_agency = request.user.is_agency_lead or request.user.is_strategist
    return render(
        request,
        "engagement/item.html",
        {
            "item": item,
            "thread": thread,
            "replies": list(item.replies.select_related("author", "approved_by")),
            "reply_form": reply_form,
            "findings": findings or [],
            "state_form": StateForm(initial={"state": item.state}),
            "assign_form": AssignForm(
                initial={"assignee": item.assigned_to_id}, practice=item.practice
            ),
            "saved": SavedReply.objects.filter(practice=item.practice),
            "safe_reply": SAFE_REVIEW_REPLY.format(phone=item.practice.phone or "…"),
            "is_agency": is_agency,
            "is_doctor": not is_agency,
            "can_override": request.user.is_agency_lead,
            "share_signed": item.share_requests.filter(consent__isnull=False)
            .select_related("consent")
            .first(),
            "share_sent": item.share_requests.filter(consent__isnull=True).first(),
            "can_hide": is_agency and moderation.can_hide(item),
            "can_delete": is_agency and moderation.can_delete(item),
        },
        status=status,
    )


def _thread(item: InboxItem) -> list[InboxItem]:
    """The other comments of the same thread, oldest first (a comment and its answers)."""
    if item.kind != InboxItem.Kind.COMMENT or not item.post_external_id:
        return []
    root = item.parent_external_id or item.external_id
    return list(
        InboxItem.objects.filter(account_id=item.account_id, post_external_id=item.post_external_id)
        .filter(Q(external_id=root) | Q(parent_external_id=root))
        .exclude(pk=item.pk)
        .order_by("posted_at", "pk")[:50]
    )


@require_POST
@login_required
def reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_item_for_user(request.user, pk, roles=AGENCY)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _item_page(request, item, reply_form=form, status=400)
    try:
        written = replies.write(
            item,
            form.cleaned_data["text"],
            by=request.user,
            override_reason=form.cleaned_data["override_reason"],
        )
    except replies.ReplyBlocked as blocked:
        return _item_page(request, item, reply_form=form, findings=blocked.findings, status=409)
    except replies.ReplyRefused as refused:
        form.add_error(None, str(refused))
        return _item_page(request, item, reply_form=form, status=409)
    if written.status == Reply.Status.AWAITING_APPROVAL:
        messages.success(request, "Saved: it goes out once a doctor approves it.")
    else:
        messages.success(request, "Your reply is on its way.")
    return redirect("inbox_item", pk=item.pk)


@require_POST
@login_required
def cancel_reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = access.get_reply_for_user(request.user, pk, roles=AGENCY)
    try:
        replies.cancel(found, by=request.user)
    except replies.ReplyRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Reply withdrawn.")
    return redirect("inbox_item", pk=found.item_id)


@require_POST
@login_required
def approve_reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A doctor of the practice approves a reply to a review, as written."""
    found = access.get_reply_for_user(request.user, pk, roles={DOCTOR})
    try:
        replies.approve(found, by=request.user)
    except replies.ReplyRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Approved: the reply goes out now.")
    return redirect("inbox_item", pk=found.item_id)


@require_POST
@login_required
def hide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_item_for_user(request.user, pk, roles=AGENCY)
    hidden = request.POST.get("hidden") != "0"
    try:
        moderation.hide(item, hidden=hidden, by=request.user)
    except moderation.ModerationRefused as refused:
        messages.error(request, f"Not changed: {refused}")
    else:
        messages.success(
            request,
            "Hidden: only its author and their friends see it." if hidden else "Shown again.",
        )
    return redirect("inbox_item", pk=item.pk)


@require_POST
@login_required
def delete_comment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_item_for_user(request.user, pk, roles=AGENCY)
    try:
        moderation.delete_comment(item, by=request.user)
    except moderation.ModerationRefused as refused:
        messages.error(request, f"Not deleted: {refused}")
    else:
        messages.success(request, "Deleted from the platform.")
    return redirect("inbox_item", pk=item.pk)


@require_POST
@login_required
def delete_reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = access.get_reply_for_user(request.user, pk, roles=AGENCY)
    try:
        moderation.delete_reply(found, by=request.user)
    except moderation.ModerationRefused as refused:
        messages.error(request, f"Not deleted: {refused}")
    else:
        messages.success(request, "Our reply is deleted from the platform.")
    return redirect("inbox_item", pk=found.item_id)


@require_POST
@login_required
def set_state(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_item_for_user(request.user, pk, roles=AGENCY)
    form = StateForm(request.POST)
    if form.is_valid():
        with transaction.atomic():
            InboxItem.objects.filter(pk=item.pk).update(state=form.cleaned_data["state"])
            AuditEvent.record(
                "inbox_state",
                actor=request.user,
                practice=item.practice,
                obj=item,
                detail={"from": item.state, "to": form.cleaned_data["state"]},
            )
        messages.success(request, "Marked.")
    return redirect("inbox_item", pk=item.pk)


@require_POST
@login_required
def assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_item_for_user(request.user, pk, roles=AGENCY)
    form = AssignForm(request.POST, practice=item.practice)
    if not form.is_valid():
        messages.error(request, "Choose someone who works on this practice.")
        return redirect("inbox_item", pk=item.pk)
    person = form.cleaned_data["assignee"]
    InboxItem.objects.filter(pk=item.pk).update(assigned_to=person)
    messages.success(request, f"Assigned to {person}." if person else "Unassigned.")
    return redirect("inbox_item", pk=item.pk)


@require_http_methods(["GET", "POST"])
@login_required
def saved_replies(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    practice = get_practice_for_user(request.user, slug, roles=AGENCY)
    form = SavedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        sample = InboxItem(practice=practice, kind=InboxItem.Kind.REVIEW, text="")
        found = replies.check(sample, text)
        if found:
            for finding in found:
                form.add_error("text", finding.message)
        else:
            saved = form.save(commit=False)
            saved.practice = practice
            saved.save()
            messages.success(request, "Saved reply added.")
            return redirect("saved_replies", slug=practice.slug)
    return render(
        request,
        "engagement/saved_replies.html",
        {
            "practice": practice,
            "form": form,
            "saved": SavedReply.objects.filter(practice=practice),
            "safe_reply": SAFE_REVIEW_REPLY.format(phone=practice.phone or "…"),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def delete_saved_reply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    saved = access.get_saved_reply_for_user(request.user, pk)
    slug = saved.practice.slug
    saved.delete()
    messages.success(request, "Saved reply removed.")
    return redirect(reverse("saved_replies", args=[slug]))
