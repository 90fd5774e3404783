"""What is left before a new practice runs on its own, for the checklist on its page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.db.models.functions import Now
from django.urls import reverse

from core.models import Assignment
from posts.models import Tip
from practices.models import Invitation, Membership, PostingSlot, Practice, SocialAccount


@dataclass(frozen=True)
class Step:
    label: str
    done: bool
    link: str
    link_label: str


def steps(practice: Practice, *, lead: bool) -> list[Step]:
    """The setup steps, each done or not (one query). A step only the lead can take
    links to it for the lead; others read who takes it."""
    page = practice.get_absolute_url()
    people = reverse("practice_people", args=[practice.slug])
    here = OuterRef("pk")
    done = (
        Practice.objects.filter(pk=practice.pk)
        .annotate(
            strategist=Exists(Assignment.objects.filter(practice=here)),
            account=Exists(
                SocialAccount.objects.filter(practice=here, status=SocialAccount.Status.CONNECTED)
            ),
            doctor=Exists(Membership.objects.filter(practice=here, role=Membership.Role.DOCTOR)),
            doctor_invited=Exists(
                Invitation.objects.filter(
                    practice=here,
                    role=Invitation.Role.DOCTOR,
                    accepted_at__isnull=True,
                    revoked_at__isnull=True,
                    expires_at__gt=Now(),
                )
            ),
            # The tip link counts as shared once staff are on board or a tip came in.
            staff=Exists(Membership.objects.filter(practice=here, role=Membership.Role.STAFF)),
            tip=Exists(Tip.objects.filter(practice=here)),
            slot=Exists(PostingSlot.objects.filter(practice=here)),
        )
        .values("strategist", "account", "doctor", "doctor_invited", "staff", "tip", "slot")
        .get()
    )
    return [
        Step(
            "A strategist runs it",
            done["strategist"],
            reverse("practice_edit", args=[practice.slug]) if lead else "",
            "Choose a strategist" if lead else "the agency's lead chooses one",
        ),
        Step(
            "Its accounts are connected",
            done["account"],
            f"{page}#accounts" if lead else "",
            "Connect one" if lead else "the agency's lead connects them",
        ),
        Step(
            "The doctor is invited",
            done["doctor"] or done["doctor_invited"],
            people,
            "Invite the doctor",
        ),
        Step(
            "The staff have the tip link",
            done["staff"] or done["tip"],
            reverse("tip_inbox", args=[practice.slug]),
            "Share the tip link, or invite the staff",
        ),
        Step("Its posting slots are set", done["slot"], f"{page}#slots", "Add slots"),
    ]
