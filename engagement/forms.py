"""The inbox's filters, and the forms of one conversation: reply, state, assignee."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q, QuerySet

from core.models import User
from engagement.models import InboxItem, SavedReply
from engagement.replies import MAX_LENGTH
from practices.models import Platform, Practice

RATINGS = [("", "Any stars"), ("bad", "1–2 stars"), *((str(n), f"{n} stars") for n in range(1, 6))]


class InboxFilterForm(forms.Form):
    platform = forms.ChoiceField(choices=[("", "All platforms"), *Platform.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Everything"), *InboxItem.Kind.choices], required=False)
    state = forms.ChoiceField(
        choices=[("", "Open (new or needs a reply)"), ("all", "All"), *InboxItem.State.choices],
        required=False,
    )
    rating = forms.ChoiceField(choices=RATINGS, required=False)
    mine = forms.BooleanField(label="Assigned to me", required=False)

    def filter(self, items: QuerySet[InboxItem], user: User) -> QuerySet[InboxItem]:
        """The items that match; the open ones while the filters do not validate."""
        data = self.cleaned_data if self.is_valid() else {}
        state = data.get("state", "")
        if not state:
            items = items.filter(state__in=[InboxItem.State.NEW, InboxItem.State.NEEDS_REPLY])
        elif state != "all":
            items = items.filter(state=state)
        if data.get("platform"):
            items = items.filter(account__platform=data["platform"])
        if data.get("kind"):
            items = items.filter(kind=data["kind"])
        rating = data.get("rating", "")
        if rating == "bad":
            items = items.filter(rating__lte=2)
        elif rating:
            items = items.filter(rating=int(rating))
        if data.get("mine"):
            items = items.filter(assigned_to=user)
        return items


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="Your reply",
        max_length=MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_LENGTH}),
    )
    override_reason = forms.CharField(
        label="Send it all the same, because (the agency lead only; audited)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StateForm(forms.Form):
    state = forms.ChoiceField(choices=InboxItem.State.choices)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody"
    )

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The agency people of this practice: its strategists and the leads.
        people = User.objects.filter(is_active=True).filter(
            Q(assignments__practice=practice) | Q(agency_role=User.AgencyRole.LEAD)
        )
        self.fields["assignee"].queryset = people.distinct()  # type: ignore[attr-defined]


# django-stubs makes ModelForm generic; Django's own class cannot be subscripted.
if TYPE_CHECKING:
    _SavedReplyFormBase = forms.ModelForm[SavedReply]
else:
    _SavedReplyFormBase = forms.ModelForm


class SavedReplyForm(_SavedReplyFormBase):
    class Meta:
        model = SavedReply
        fields = ["title", "text", "for_reviews"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
