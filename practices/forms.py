from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.files.base import ContentFile
from django.utils import timezone

import imaging
from core.forms import zone_choices
from core.models import User
from practices.branding import clean_logo
from practices.models import PatientConsent, Platform, Practice
from practices.services import ConsentDocument, clean_consent_document

DOCUMENT_ACCEPT = "image/*,.heic,.heif,application/pdf,.pdf"


def _squash(value: str) -> str:
    return " ".join(value.split()).casefold()


class ConsentForm(forms.Form):
    """A new patient authorization, recorded where the tip is sent (164.508(c))."""

    patient_label = forms.CharField(
        label="Patient's name as it may be shown",
        max_length=200,
        help_text="Exactly as posts may name them, e.g. “Maria G.”.",
    )
    signer = forms.ChoiceField(
        label="Who signs",
        choices=PatientConsent.Signer.choices,
        initial=PatientConsent.Signer.PATIENT,
        widget=forms.RadioSelect,
    )
    signer_name = forms.CharField(label="Full name of the person signing", max_length=200)
    signer_email = forms.EmailField(
        label="E-mail for the signer's copy",
        required=False,
        help_text="Optional. Without one, print the copy after sending.",
    )
    guardian_authority = forms.CharField(
        label="What gives them the authority to sign",
        max_length=300,
        required=False,
        help_text="For example: parent of a minor, legal guardian, health care power of attorney.",
    )
    uses = forms.MultipleChoiceField(
        label="The patient allows their",
        choices=PatientConsent.Use.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one use the patient allows."},
    )
    platforms = forms.MultipleChoiceField(
        label="On",
        choices=Platform.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one platform the patient allows."},
    )
    expires_on = forms.DateField(
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The authorization stops on this date.",
    )
    method = forms.ChoiceField(
        label="How it is signed",
        choices=PatientConsent.Method.choices,
        initial=PatientConsent.Method.ESIGNATURE,
        widget=forms.RadioSelect,
    )
    statements_acknowledged = forms.BooleanField(
        label="The person signing has read the statements above.", required=False
    )
    typed_signature = forms.CharField(
        label="Signature: the signer types their full name",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "words"}),
    )
    document = forms.FileField(
        label="The signed form (photo or PDF)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
    )
    signed_on = forms.DateField(
        label="Date signed",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for today.",
    )

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "consent")
        super().__init__(*args, **kwargs)
        self.practice = practice

    def _today(self) -> date:
        return self.practice.local(timezone.now()).date()

    def clean_expires_on(self) -> date:
        value: date = self.cleaned_data["expires_on"]
        if value <= self._today():
            raise forms.ValidationError("The expiry date must be after today.")
        if value > self._today() + timedelta(days=366 * 50):
            raise forms.ValidationError("Please check the expiry date: it is decades away.")
        return value

    def clean_document(self) -> ConsentDocument | None:
        upload = self.cleaned_data.get("document")
        if not upload or self.cleaned_data.get("method") != PatientConsent.Method.UPLOAD:
            return None
        return clean_consent_document(upload)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns
        if data.get("signer") == PatientConsent.Signer.GUARDIAN and not data.get(
            "guardian_authority"
        ):
            self.add_error(
                "guardian_authority",
                "When a parent, guardian or representative signs, say what gives them "
                "the authority.",
            )
        if not data.get("statements_acknowledged"):
            self.add_error(
                "statements_acknowledged",
                "The required statements must be shown to and acknowledged by the person signing.",
            )
        method = data.get("method")
        if method == PatientConsent.Method.ESIGNATURE:
            typed = data.get("typed_signature", "")
            if not typed:
                self.add_error("typed_signature", "The person signing types their full name here.")
            elif data.get("signer_name") and _squash(typed) != _squash(data["signer_name"]):
                self.add_error(
                    "typed_signature",
                    "The typed signature must match the name of the person signing.",
                )
        elif method == PatientConsent.Method.UPLOAD:
            if not data.get("document") and "document" not in self.errors:
                self.add_error("document", "Please add a photo or PDF of the signed form.")
            signed_on = data.get("signed_on")
            if signed_on and signed_on > self._today():
                self.add_error("signed_on", "The form cannot have been signed in the future.")
        return data

    @property
    def signed_document(self) -> ConsentDocument | None:
        if self.cleaned_data.get("method") != PatientConsent.Method.UPLOAD:
            return None
        document: ConsentDocument | None = self.cleaned_data.get("document")
        return document

    def build(self, *, signer_ip: str | None) -> PatientConsent:
        """The authorization as an unsaved row: checked with problems_for, then recorded."""
        data = self.cleaned_data
        zone = self.practice.zone
        now = timezone.now()
        esign = data["method"] == PatientConsent.Method.ESIGNATURE
        if esign or not data.get("signed_on") or data["signed_on"] == self._today():
            signed_at = now
        else:
            signed_at = datetime.combine(data["signed_on"], time(12), tzinfo=zone)
        return PatientConsent(
            practice=self.practice,
            patient_label=data["patient_label"],
            signer=data["signer"],
            signer_name=data["signer_name"],
            signer_email=data.get("signer_email", ""),
            guardian_authority=data["guardian_authority"]
            if data["signer"] == PatientConsent.Signer.GUARDIAN
            else "",
            uses=sorted(data["uses"]),
            platforms=sorted(data["platforms"]),
            # Valid through the day before: it stops at the start of the
            # expiry date, in the practice's own time zone.
            expires_at=datetime.combine(data["expires_on"], time.min, tzinfo=zone),
            method=data["method"],
            signed_at=signed_at,
            typed_signature=data["typed_signature"] if esign else "",
            statements_acknowledged=data["statements_acknowledged"],
            signer_ip=signer_ip if esign else None,
        )


class ConsentFilterForm(forms.Form):
    STATES = [
        ("", "All"),
        ("active", "Active"),
        ("expiring", "Expiring in 30 days"),
        ("expired", "Expired"),
        ("revoked", "Revoked"),
    ]
    q = forms.CharField(label="Search", required=False, max_length=200)
    state = forms.ChoiceField(label="Show", choices=STATES, required=False)


class RevokeForm(forms.Form):
    received_on = forms.DateField(
        label="Revocation received on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The day the practice received the patient's written revocation.",
    )
    note = forms.CharField(
        label="Note",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How it arrived (letter, e-mail, in person). No other patient details.",
    )

    def __init__(self, *args: Any, consent: PatientConsent, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.consent = consent

    def clean_received_on(self) -> date:
        value: date = self.cleaned_data["received_on"]
        practice = self.consent.practice
        today = practice.local(timezone.now()).date()
        if value > today:
            raise forms.ValidationError("A revocation cannot be received in the future.")
        if value < practice.local(self.consent.signed_at).date():
            raise forms.ValidationError("That is before the authorization was signed.")
        return value

    def received_at(self) -> datetime:
        """Now if received today; otherwise the start of that day at the practice."""
        value = self.cleaned_data["received_on"]
        practice = self.consent.practice
        if value == practice.local(timezone.now()).date():
            return timezone.now()
        return max(datetime.combine(value, time.min, tzinfo=practice.zone), self.consent.signed_at)


# -- onboarding ----------------------------------------------------------------------


# ModelForm takes its model as a type argument for the checker only (django-stubs).
class PracticeForm(forms.ModelForm):  # type: ignore[type-arg]
    """A practice's details, its posting goal, approval policy and brand; the lead also
    chooses its strategists (who receives its alerts first)."""

    logo_upload = forms.FileField(
        label="Logo",
        required=False,
        help_text="On the monthly report. A PNG or JPEG; it is made at most 600 × 240 pixels.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)
    primary_strategist = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Strategist",
        help_text="Receives the practice's alerts.",
    )
    other_strategists = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Other strategists",
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Practice
        fields = [
            "name",
            "specialty",
            "time_zone",
            "street_address",
            "city",
            "state",
            "phone",
            "email",
            "posts_per_week",
            "approval_policy",
            "internal_review",
            "brand_colour",
            "brand_voice",
            "default_hashtags",
            "social_media_policy",
        ]
        widgets = {
            "brand_colour": forms.TextInput(attrs={"type": "color"}),
            "brand_voice": forms.Textarea(attrs={"rows": 3}),
            "social_media_policy": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"brand_colour": "Brand colour", "email": "E-mail address"}

    def __init__(self, *args: Any, lead: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = forms.ChoiceField(
            label="Time zone", choices=zone_choices()[1:], initial="America/New_York"
        )
        if lead:
            strategists = User.objects.filter(
                agency_role=User.AgencyRole.STRATEGIST, is_active=True
            ).order_by("first_name", "last_name", "username")
            field = self.fields["primary_strategist"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = strategists
            others = self.fields["other_strategists"]
            assert isinstance(others, forms.ModelMultipleChoiceField)
            others.queryset = strategists
            if self.instance.pk:
                assigned = list(self.instance.assignments.order_by("-is_primary", "created_at"))
                primary = next((a.strategist_id for a in assigned if a.is_primary), None)
                self.initial["primary_strategist"] = primary
                # Everyone else, also a second one marked primary (the admin's default).
                self.initial["other_strategists"] = [
                    a.strategist_id for a in assigned if a.strategist_id != primary
                ]
        else:
            # Who runs the practice and what its doctors must approve are the lead's
            # to decide: a strategist's posts must not skip the checks they set.
            for name in ("primary_strategist", "other_strategists", "approval_policy"):
                del self.fields[name]
            del self.fields["internal_review"]
        if not self.instance.logo:
            del self.fields["remove_logo"]

    def clean_logo_upload(self) -> ContentFile[bytes] | None:
        upload = self.cleaned_data.get("logo_upload")
        if not upload:
            return None
        try:
            return clean_logo(upload)
        except imaging.ImageRejected as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        primary = cleaned.get("primary_strategist")
        others = cleaned.get("other_strategists")
        if primary is None and others:
            # Someone must receive the practice's alerts (failures, reconnections).
            self.add_error("primary_strategist", "Choose which strategist receives its alerts.")
        if primary is not None and others is not None:
            cleaned["other_strategists"] = [user for user in others if user.pk != primary.pk]
        return cleaned


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    role = forms.ChoiceField(label="Joins as")
    title = forms.CharField(
        label="Title", max_length=100, required=False, help_text="Office manager, RN, MD…"
    )

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = roles


class NewAccountForm(forms.Form):
    """The invited person's name and the password they choose."""

    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=" ".join(password_validation.password_validators_help_texts()),
    )
    password2 = forms.CharField(
        label="The password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second:
            if first != second:
                self.add_error("password2", "The two passwords differ.")
            else:
                # Checked against the person to be (their name and address are not a password).
                person = User(
                    username=self.email,
                    email=self.email,
                    first_name=cleaned.get("first_name", ""),
                    last_name=cleaned.get("last_name", ""),
                )
                try:
                    password_validation.validate_password(first, person)
                except forms.ValidationError as exc:
                    self.add_error("password1", exc)
        return cleaned
