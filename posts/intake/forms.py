from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.datastructures import MultiValueDict

import video
from imaging import CleanedImage
from posts.intake.tips import TipSubmission
from posts.media import photos as media
from posts.media import videos
from posts.media.photos import MAX_PHOTOS_PER_TIP
from posts.models import Tip
from practices.forms import ConsentForm
from practices.models import PatientConsent, Practice

PHOTO_ACCEPT = "image/*,.heic,.heif"
STORY_MAX = 5000


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Zero to ten files from one <input type=file multiple>; checked as photos later."""

    widget = MultiplePhotoInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS_PER_TIP:
            raise forms.ValidationError(
                f"You chose {len(files)} photos; a tip can have at most {MAX_PHOTOS_PER_TIP}. "
                "Please pick your best ones, or send the rest in a second tip."
            )
        return files


# django-stubs makes ModelChoiceField generic over its model; Django's own class
# cannot be subscripted at runtime, so the model is named for mypy only.
if TYPE_CHECKING:
    _ConsentChoiceFieldBase = forms.ModelChoiceField[PatientConsent]
else:
    _ConsentChoiceFieldBase = forms.ModelChoiceField


class ConsentChoiceField(_ConsentChoiceFieldBase):
    """Staff see only the label and the expiry of an authorization."""

    def label_from_instance(self, obj: PatientConsent) -> str:
        expires = obj.practice.local(obj.expires_at) if obj.practice_id else obj.expires_at
        return f"{obj.patient_label} (until {expires.day} {expires:%b %Y})"


class TipForm(forms.Form):
    """A tip from the practice's staff, logged in or through the secret link."""

    EXISTING, NEW = "existing", "new"
    # Set when the request was refused unread for its size.
    too_large = False

    kind = forms.ChoiceField(
        label="What is it about?", choices=Tip.Kind.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label="The story",
        required=False,
        max_length=STORY_MAX,
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "maxlength": STORY_MAX,
                "placeholder": "Who, what, and why it matters. A few sentences are plenty.",
            }
        ),
        error_messages={
            "max_length": "Please keep the story under %(limit_value)s characters "
            "(this one has %(show_value)s). The agency will follow up for more detail."
        },
    )
    photos = PhotosField(
        label="Photos",
        widget=MultiplePhotoInput(
            attrs={"accept": PHOTO_ACCEPT, "capture": "environment", "class": "photo-input"}
        ),
        help_text=f"Up to {MAX_PHOTOS_PER_TIP}: JPEG, PNG, WebP or HEIC.",
    )
    video = forms.FileField(
        label="Video",
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": videos.VIDEO_ACCEPT, "class": "video-input"}
        ),
        help_text="One clip, as the phone recorded it (MOV or MP4).",
        error_messages={"empty": "The video is empty (0 bytes). Please choose it again."},
    )
    features_patient = forms.BooleanField(
        label="A patient appears in this or is described", required=False
    )
    patient_consent = forms.ChoiceField(
        label="The patient's authorization",
        required=False,
        choices=[
            (EXISTING, "Use an authorization already on file"),
            (NEW, "Record a new authorization now"),
        ],
        widget=forms.RadioSelect,
    )
    consent = ConsentChoiceField(
        label="Authorization on file",
        queryset=PatientConsent.objects.none(),
        required=False,
        empty_label="Choose the patient…",
        error_messages={
            "invalid_choice": "That authorization is not one of this practice's. "
            "Please choose one from the list."
        },
    )
    policy_confirmed = forms.BooleanField(
        label="I have read the practice's social media policy, and these photos show no other "
        "patients, screens, charts or wristbands.",
        required=False,
    )
    submitter_name = forms.CharField(label="Your name", max_length=200, required=False)
    submitter_email = forms.EmailField(label="Your e-mail", required=False)

    def __init__(
        self,
        *args: Any,
        practice: Practice,
        via_link: bool,
        needs_policy: bool,
        show_existing: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.practice = practice
        self.via_link = via_link
        self.needs_policy = needs_policy
        # self.fields holds copies of the fields declared above, as plain Fields.
        consent_field = cast(ConsentChoiceField, self.fields["consent"])
        # Validation looks the id up among all of this practice's
        # authorizations, so that an expired one gets its own message; the
        # picker offers the active ones only.
        consent_field.queryset = PatientConsent.objects.filter(practice=practice)
        if show_existing:
            active = (
                PatientConsent.objects.filter(practice=practice).active().select_related("practice")
            )
            consent_field.choices = [
                ("", "Choose the patient…"),
                *((c.pk, consent_field.label_from_instance(c)) for c in active),
            ]
        else:
            # Through the secret link nobody logs in: patients' names on file
            # are not shown to whoever holds the link.
            patient_consent = cast(forms.ChoiceField, self.fields["patient_consent"])
            patient_consent.choices = [(self.NEW, "Record a new authorization now")]
            del self.fields["consent"]
        if via_link:
            self.fields["submitter_name"].required = True
            self.fields["submitter_email"].required = True
        else:
            del self.fields["submitter_name"]
            del self.fields["submitter_email"]
        if needs_policy:
            self.fields["policy_confirmed"].required = True
            self.fields["policy_confirmed"].error_messages["required"] = (
                "Please confirm that you have read the social media policy."
            )
        else:
            del self.fields["policy_confirmed"]

    def needed_uses(self) -> set[str]:
        """What the tip uses of the patient: their photo, their story."""
        uses: set[str] = set()
        if self.cleaned_data.get("photos") or self.cleaned_data.get("video"):
            # A video shows the patient as a photo does: the authorization's
            # "photo" use covers their image, moving or not.
            uses.add(PatientConsent.Use.PHOTO.value)
        if self.cleaned_data.get("text"):
            uses.add(PatientConsent.Use.STORY.value)
        return uses

    @property
    def wants_new_consent(self) -> bool:
        return self.data.get(self.add_prefix("features_patient")) in ("on", "true", "1") and (
            self.data.get(self.add_prefix("patient_consent")) == self.NEW
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns
        sent_media = (
            data.get("photos") or data.get("video") or self.errors.keys() & {"photos", "video"}
        )
        if not data.get("text") and not sent_media:
            raise forms.ValidationError(
                "Please add a photo, a video or a few words about the story."
            )
        if data.get("features_patient"):
            mode = data.get("patient_consent")
            if not mode:
                self.add_error(
                    "patient_consent",
                    "A patient appears in this tip: choose their authorization on file, "
                    "or record a new one.",
                )
            elif mode == self.EXISTING:
                consent = data.get("consent")
                if consent is None and "consent" not in self.errors:
                    self.add_error("consent", "Please choose the patient's authorization.")
                elif consent is not None:
                    for problem in consent.problems_for(uses=self.needed_uses(), platforms=set()):
                        self.add_error("consent", problem[0].upper() + problem[1:] + ".")
        else:
            data["consent"] = None
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why (the person who sent it will see this)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TipFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "All kinds"), *Tip.Kind.choices], required=False)
    status = forms.ChoiceField(choices=[("", "All statuses"), *Tip.Status.choices], required=False)
    # Across practices only: one of the person's (the choices are set per person).
    practice = forms.ModelChoiceField(
        queryset=Practice.objects.none(), required=False, empty_label="All practices"
    )

    def __init__(self, *args: Any, practices: QuerySet[Practice] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if practices is None:
            del self.fields["practice"]
        else:
            self.fields["practice"].queryset = practices  # type: ignore[attr-defined]

    def filter(self, tips: QuerySet[Tip]) -> QuerySet[Tip]:
        """The tips that match; all of them while the filters do not validate."""
        if not self.is_valid():
            return tips
        data = self.cleaned_data
        if data["kind"]:
            tips = tips.filter(kind=data["kind"])
        if data["status"]:
            tips = tips.filter(status=data["status"])
        if data.get("practice"):
            tips = tips.filter(practice=data["practice"])
        return tips


class TipForms:
    """The tip form and the new-authorization form, validated together.

    Valid means: both forms pass, a newly signed authorization covers what the
    tip uses of the patient, and every photo decodes and is cleaned (in
    memory, before anything is stored, so that one bad file stores nothing
    and the person hears about all of them). `submission()` is then what
    `posts.intake.tips.submit_tip` stores.
    """

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        files: MultiValueDict[str, UploadedFile[Any]] | None = None,
        *,
        practice: Practice,
        via_link: bool,
        needs_policy: bool,
        too_large: bool = False,
        signer_ip: str | None = None,
    ) -> None:
        self.practice = practice
        self.signer_ip = signer_ip
        self.photos: list[CleanedImage] = []
        self.video: videos.CheckedVideo | None = None
        self.new_consent: PatientConsent | None = None
        self.tip = TipForm(
            data,
            files,
            practice=practice,
            via_link=via_link,
            needs_policy=needs_policy,
            show_existing=not via_link,
        )
        self.tip.too_large = too_large
        # Bound (and so validated and shown with its errors) only when used.
        wants_consent = data is not None and self.tip.wants_new_consent
        self.consent = ConsentForm(
            data if wants_consent else None, files if wants_consent else None, practice=practice
        )

    def is_valid(self) -> bool:
        if not self.tip.is_bound:
            return False
        valid = self.tip.is_valid()
        if self.consent.is_bound:
            if self.consent.is_valid():
                self.new_consent = self.consent.build(signer_ip=self.signer_ip)
                if valid:
                    uses = self.tip.needed_uses()
                    for problem in self.new_consent.problems_for(uses=uses, platforms=set()):
                        self.consent.add_error("uses", problem[0].upper() + problem[1:] + ".")
            valid = valid and not self.consent.errors
        if "photos" not in self.tip.errors and self.tip.cleaned_data.get("photos"):
            self.photos, problems = media.clean_uploads(self.tip.cleaned_data["photos"])
            for problem in problems:
                self.tip.add_error("photos", problem)
            valid = valid and not problems
        upload = self.tip.cleaned_data.get("video") if "video" not in self.tip.errors else None
        if upload:
            try:
                self.video = videos.check_upload(upload)
            except video.VideoRejected as rejected:
                self.tip.add_error("video", rejected.message)
                valid = False
        if not valid:
            self.discard()
        return valid

    def discard(self) -> None:
        """Drop the checked video's temporary copy (a refused form keeps nothing)."""
        if self.video is not None:
            self.video.discard()
            self.video = None

    def submission(self) -> TipSubmission:
        data = self.tip.cleaned_data
        return TipSubmission(
            practice=self.practice,
            kind=data["kind"],
            text=data["text"],
            photos=self.photos,
            video=self.video,
            features_patient=data["features_patient"],
            consent=data.get("consent") if self.new_consent is None else None,
            new_consent=self.new_consent,
            new_consent_document=self.consent.signed_document if self.new_consent else None,
            submitter_name=data.get("submitter_name", ""),
            submitter_email=data.get("submitter_email", ""),
            policy_confirmed=bool(data.get("policy_confirmed")),
        )
