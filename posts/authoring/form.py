"""The post editor's form: validates what a strategist typed into posts.content.Content.

Photos are rows the page builds from the practice's photo library: for each,
whether it is used (`photos`), its place (`position_<id>`), its alt text
(`alt_<id>`) and the platforms it goes to (`to_<id>`). Times are typed as
the practice's clock shows them (core.local_time).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone

from core import local_time
from platforms.base import PLATFORMS
from posts.content import Content
from posts.models import MediaAsset, Post
from practices.models import PatientConsent, Platform, Practice, SocialAccount

if TYPE_CHECKING:
    _AccountsFieldBase = forms.ModelMultipleChoiceField[SocialAccount]
    _ConsentsFieldBase = forms.ModelMultipleChoiceField[PatientConsent]
else:
    _AccountsFieldBase = forms.ModelMultipleChoiceField
    _ConsentsFieldBase = forms.ModelMultipleChoiceField


class AccountsField(_AccountsFieldBase):
    def label_from_instance(self, obj: SocialAccount) -> str:
        label = f"{obj.get_platform_display()}: {obj.display_name}"
        if obj.status != SocialAccount.Status.CONNECTED:
            label += f" ({obj.get_status_display().lower()})"
        return label


class ConsentsField(_ConsentsFieldBase):
    def label_from_instance(self, obj: PatientConsent) -> str:
        uses = ", ".join(obj.uses)
        return f"{obj.patient_label}: {uses} (until {obj.expires_at:%Y-%m-%d})"


class PostEditorForm(forms.Form):
    title = forms.CharField(
        required=False, max_length=200, help_text="For the team; not published."
    )
    caption = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=63206)
    targets = AccountsField(
        queryset=SocialAccount.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The practice's accounts. One that needs reconnecting cannot publish.",
    )
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    which = forms.ChoiceField(
        required=False,
        label="That time happens twice",
        choices=[("", "—"), ("earlier", "The first one"), ("later", "The second one")],
    )
    features_patient = forms.BooleanField(required=False, label="Features a patient")
    patient_uses = forms.MultipleChoiceField(
        required=False,
        choices=PatientConsent.Use.choices,
        widget=forms.CheckboxSelectMultiple,
        label="What the post uses of the patient",
    )
    consents = ConsentsField(
        queryset=PatientConsent.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Patient authorizations",
    )
    is_testimonial = forms.BooleanField(required=False, label="This is a testimonial")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    confirm_void = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        practice: Practice,
        library: list[MediaAsset],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.practice = practice
        self.library = library
        # The choices show each account's name and health: its tokens stay unread.
        self.fields["targets"].queryset = (  # type: ignore[attr-defined]
            practice.social_accounts.exclude(status=SocialAccount.Status.DISCONNECTED)
            .defer("access_token", "refresh_token")
            .order_by("platform", "display_name")
        )
        self.fields["consents"].queryset = PatientConsent.objects.filter(  # type: ignore[attr-defined]
            practice=practice, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).order_by("patient_label")
        for platform in PLATFORMS:
            self.fields[f"override_{platform}"] = forms.CharField(
                required=False,
                max_length=63206,
                widget=forms.Textarea(attrs={"rows": 3}),
                label=f"{Platform(platform).label} text",
                help_text="Only if this platform needs a different text.",
            )
        # A platform without its own text starts with the caption in its box
        # ("same as the caption" until edited; posts/editor.html, js/editor.js).
        for platform in PLATFORMS:
            name = f"override_{platform}"
            if not self.initial.get(name):
                self.initial[name] = self.initial.get("caption", "")
        self.content: Content | None = None
        self.ambiguous_time = False

    def same_as_caption(self, text: str) -> bool:
        """A platform's text that is the caption, as sent now or as the page showed
        it (a box left as it was follows the caption when the caption changes)."""
        text = text.replace("\r\n", "\n").strip()
        shown = str(self.data.get("caption_shown", "")).replace("\r\n", "\n").strip()
        caption = str(self.data.get("caption", "")).replace("\r\n", "\n").strip()
        return not text or text in (caption, shown)

    def override_rows(self) -> list[tuple[forms.BoundField, bool]]:
        """Each platform's text box, and whether it holds the caption as it is."""
        caption = str(self["caption"].value() or "").replace("\r\n", "\n").strip()
        return [
            (field, str(field.value() or "").replace("\r\n", "\n").strip() == caption)
            for field in self.override_fields()
        ]

    def override_fields(self) -> list[forms.BoundField]:
        return [self[f"override_{platform}"] for platform in PLATFORMS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Browsers send a textarea's line breaks as CRLF; the platforms (and
        # X's count) take a line break as one character.
        for name in ["caption", *(f"override_{platform}" for platform in PLATFORMS)]:
            if isinstance(data.get(name), str):
                data[name] = data[name].replace("\r\n", "\n")
        day, clock = data.get("date"), data.get("time")
        scheduled_at: datetime | None = None
        if day and clock:
            try:
                scheduled_at = local_time.to_moment(
                    day, clock, self.practice.zone, which=data.get("which", "")
                )
            except local_time.LocalTimeError as error:
                self.add_error("time", str(error))
                # The page then asks which of the two times is meant.
                self.ambiguous_time = isinstance(error, local_time.AmbiguousTime)
            else:
                if scheduled_at <= timezone.now():
                    self.add_error("time", "That time has passed; choose one in the future.")
        elif day or clock:
            self.add_error("time", "Give both a date and a time, or neither.")
        photos, alt_texts, choices = self._photos(data.get("targets") or [])
        if not self.errors:
            self.content = Content(
                caption=data.get("caption", ""),
                title=data.get("title", ""),
                overrides={
                    platform: data.get(f"override_{platform}", "")
                    for platform in PLATFORMS
                    if not self.same_as_caption(data.get(f"override_{platform}", ""))
                },
                targets=list(data.get("targets") or []),
                photos=photos,
                alt_texts=alt_texts,
                photo_choices=choices,
                scheduled_at=scheduled_at,
                features_patient=bool(data.get("features_patient")),
                patient_uses=list(data.get("patient_uses") or []),
                consents=list(data.get("consents") or []),
                is_testimonial=bool(data.get("is_testimonial")),
            )
        return data

    def _photos(
        self, targets: list[SocialAccount]
    ) -> tuple[list[MediaAsset], dict[int, str], dict[str, list[int]]]:
        by_id = {asset.pk: asset for asset in self.library}
        # A QueryDict from a request; a plain mapping (no lists) has no photos.
        getlist: Any = getattr(self.data, "getlist", lambda key: [])
        chosen: list[tuple[int, int, MediaAsset]] = []
        for raw in getlist("photos"):
            if not str(raw).isdecimal() or int(raw) not in by_id:
                self.add_error(None, "A chosen photo is not in this practice's library.")
                continue
            asset = by_id[int(raw)]
            position = str(self.data.get(f"position_{asset.pk}", "")).strip()
            order = int(position) if position.isdecimal() else 1000
            chosen.append((order, len(chosen), asset))
        photos = [asset for _, _, asset in sorted(chosen, key=lambda row: (row[0], row[1]))]
        alt_texts = {
            asset.pk: str(self.data.get(f"alt_{asset.pk}", asset.alt_text))[:500]
            for asset in photos
        }
        platforms = sorted({account.platform for account in targets})
        choices: dict[str, list[int]] = {}
        if self.data.get("photo_platforms_shown"):
            goes_to = {asset.pk: set(getlist(f"to_{asset.pk}")) for asset in photos}
            for platform in platforms:
                ids = [asset.pk for asset in photos if platform in goes_to[asset.pk]]
                if len(ids) != len(photos):
                    choices[platform] = ids
        return photos, alt_texts, choices


def initial_for(post: Post | None, content: Content, practice: Practice) -> dict[str, Any]:
    """The form's starting values from a post's content (or a tip's)."""
    initial: dict[str, Any] = {
        "title": content.title,
        "caption": content.caption,
        "targets": [account.pk for account in content.targets],
        "features_patient": content.features_patient,
        "patient_uses": content.patient_uses,
        "consents": [consent.pk for consent in content.consents],
        "is_testimonial": content.is_testimonial,
        "version": post.version if post else None,
    }
    for platform, text in content.overrides.items():
        initial[f"override_{platform}"] = text
    if content.scheduled_at is not None:
        local = practice.local(content.scheduled_at)
        initial["date"] = local.date()
        initial["time"] = local.time().replace(second=0, microsecond=0)
    return initial
