"""What the intake tests share: counting what a tip stored, a new authorization's fields."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from posts.models import MediaAsset, Tip
from practices.models import PatientConsent

STAFF_HOME = reverse("staff_home")
SUCCESS = "Thank you! Your tip is on its way to the agency."


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def counts() -> tuple[int, int, int]:
    return Tip.objects.count(), MediaAsset.objects.count(), PatientConsent.objects.count()


def esigned_consent(**overrides) -> dict:
    expires = (timezone.now() + timedelta(days=730)).date().isoformat()
    data = {
        "features_patient": "on",
        "patient_consent": "new",
        "consent-patient_label": "Dana R.",
        "consent-signer": "patient",
        "consent-signer_name": "Dana Rivera",
        "consent-uses": ["photo", "story"],
        "consent-platforms": ["facebook", "instagram"],
        "consent-expires_on": expires,
        "consent-method": "esignature",
        "consent-statements_acknowledged": "on",
        "consent-typed_signature": "Dana Rivera",
    }
    data.update(overrides)
    return data


def link(practice) -> str:
    return reverse("tip_link", args=[practice.tip_link_token])


LINK_TIP = {
    "submitter_name": "Sam Nurse",
    "submitter_email": "sam@clinic.example",
    "kind": "team",
    "text": "Sam's tenth year with us.",
    "policy_confirmed": "on",
}


def inbox(practice) -> str:
    return reverse("tip_inbox", args=[practice.slug])
