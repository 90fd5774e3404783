"""Inviting a practice's people by e-mail: a link that works once, until it expires or is
withdrawn; a password chosen, or an account signed in; agency people enrol two
factors first; sending again and taking someone off are audited."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import Assignment, AuditEvent, User
from posts.approval.links import issue_link
from practices.models import Invitation, Membership
from tests import factories
from tests.publishing_support import sent_mail

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/invite/[^/\s]+/)")
PASSWORD = "a long walk by the lake"


def invite(client, by, practice, **fields):
    client.force_login(by)
    before = len(sent_mail())
    response = client.post(
        reverse("invitation_send", args=[practice.slug]),
        {"email": "new.doctor@example.test", "role": "doctor", "first_name": "Ana", **fields},
    )
    client.logout()
    new = sent_mail()[before:]
    return response, new


def link_in(message) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def join(client, path, **fields):
    return client.post(
        path,
        {
            "first_name": "Ana",
            "last_name": "Reyes",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **fields,
        },
    )


def test_a_doctor_invited_by_the_strategist_chooses_a_password_and_joins(
    client, strategist, practice
):
    response, (message,) = invite(client, strategist, practice, title="MD")
    assert response.status_code == 302
    assert message.to == ["new.doctor@example.test"]
    assert "Join Lakeside Fertility on Rounds" in message.subject
    assert "approve its posts" in message.body
    path = link_in(message)
    page = client.get(path)
    assert page.status_code == 200 and "Choose a password" in page.content.decode()
    joined = join(client, path)
    assert joined.status_code == 302
    ana = User.objects.get(email="new.doctor@example.test")
    assert (ana.first_name, ana.last_name, ana.agency_role) == ("Ana", "Reyes", "")
    membership = Membership.objects.get(user=ana, practice=practice)
    assert (membership.role, membership.title) == ("doctor", "MD")
    # Signed in, at the doctor's home: the posts to approve.
    assert client.get(reverse("home"))["Location"] == reverse("approvals")
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == ana and invitation.state() == "accepted"
    verbs = list(
        AuditEvent.objects.filter(practice=practice).order_by("pk").values_list("verb", flat=True)
    )
    assert verbs[-3:] == ["invitation_sent", "account_created", "invitation_accepted"]
    # She signs in again with the password she chose.
    client.logout()
    assert client.login(username="new.doctor@example.test", password=PASSWORD)


def test_the_link_works_once(client, strategist, practice):
    _, (message,) = invite(client, strategist, practice)
    path = link_in(message)
    assert join(client, path).status_code == 302
    client.logout()
    again = client.get(path)
    assert again.status_code == 410 and "used already" in again.content.decode()
    refused = join(client, path, first_name="Eve")
    assert refused.status_code == 410
    assert User.objects.filter(email="new.doctor@example.test").count() == 1
    assert Membership.objects.filter(practice=practice, role="doctor").count() == 1


def test_an_expired_link_is_refused_and_makes_nobody(client, strategist, practice):
    _, (message,) = invite(client, strategist, practice)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    path = link_in(message)
    page = client.get(path)
    assert page.status_code == 410 and "has expired" in page.content.decode()
    assert join(client, path).status_code == 410
    assert not User.objects.filter(email="new.doctor@example.test").exists()


def test_a_forged_link_is_not_found(client):
    assert client.get(reverse("invitation", args=["not-a-signed-id"])).status_code == 404


def test_withdrawn_and_sent_again(client, strategist, practice):
    _, (first,) = invite(client, strategist, practice)
    invitation = Invitation.objects.get()
    client.force_login(strategist)
    response = client.post(reverse("invitation_revoke", args=[practice.slug, invitation.pk]))
    assert response.status_code == 302
    client.logout()
    page = client.get(link_in(first))
    assert page.status_code == 410 and "withdrawn" in page.content.decode()
    # Sent again: a new link works, the old one stays refused.
    client.force_login(strategist)
    before = len(sent_mail())
    client.post(reverse("invitation_send_again", args=[practice.slug, invitation.pk]))
    (second,) = sent_mail()[before:]
    client.logout()
    assert link_in(second) != link_in(first)
    assert client.get(link_in(first)).status_code == 410
    assert client.get(link_in(second)).status_code == 200
    verbs = set(AuditEvent.objects.filter(practice=practice).values_list("verb", flat=True))
    assert {"invitation_revoked", "invitation_resent"} <= verbs


def test_inviting_the_same_address_again_replaces_the_waiting_invitation(
    client, strategist, practice
):
    _, (first,) = invite(client, strategist, practice)
    _, (second,) = invite(client, strategist, practice)
    assert client.get(link_in(first)).status_code == 410
    assert client.get(link_in(second)).status_code == 200
    assert [i.state() for i in Invitation.objects.order_by("pk")] == ["revoked", "pending"]


def test_someone_with_an_account_signs_in_to_accept(client, strategist, practice, other_doctor):
    _, (message,) = invite(client, strategist, practice, email=other_doctor.email, role="staff")
    path = link_in(message)
    page = client.get(path).content.decode()
    assert "has an account already" in page and "Choose a password" not in page
    # Signed in as someone else: refused, nothing changes.
    outsider = factories.make_user("bystander")
    client.force_login(outsider)
    assert "This invitation is for" in client.get(path).content.decode()
    assert client.post(path).status_code == 400
    assert not Membership.objects.filter(practice=practice, user=outsider).exists()
    # As the invited person: they join, with the role they were invited to.
    client.force_login(other_doctor)
    assert client.post(path).status_code == 302
    assert Membership.objects.get(user=other_doctor, practice=practice).role == "staff"


def test_a_new_strategist_enrols_two_factors_before_any_page(client, lead, practice):
    response, (message,) = invite(
        client, lead, practice, email="sam@agency.example", role="strategist"
    )
    assert response.status_code == 302
    path = link_in(message)
    assert "authenticator app" in client.get(path).content.decode()
    assert join(client, path).status_code == 302
    sam = User.objects.get(email="sam@agency.example")
    assert sam.is_strategist
    assert Assignment.objects.get(strategist=sam, practice=practice).is_primary
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith(reverse("two_factor_setup"))
    page = client.get(practice.get_absolute_url())
    assert page["Location"].startswith(reverse("two_factor_setup"))


def test_only_the_lead_invites_strategists(client, strategist, practice):
    response, sent = invite(
        client, strategist, practice, email="x@agency.example", role="strategist"
    )
    assert response.status_code == 400 and sent == []
    assert "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("who", "role", "message"),
    [
        ("doctor", "doctor", "is at Lakeside Fertility already"),
        ("strategist", "doctor", "is on the agency's team"),
        ("staff", "strategist", "needs an address of their own"),
    ],
)
def test_who_cannot_be_invited_is_told_why(request, client, lead, practice, who, role, message):
    person = request.getfixturevalue(who)
    response, sent = invite(client, lead, practice, email=person.email, role=role)
    assert response.status_code == 400 and message in html.unescape(response.content.decode())
    assert sent == [] and not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password2": "something else entirely"}, "The two passwords differ"),
        ({"password1": "short", "password2": "short"}, "too short"),
        ({"last_name": ""}, "This field is required"),
    ],
)
def test_a_bad_password_or_name_makes_nobody(client, strategist, practice, fields, message):
    _, (invited,) = invite(client, strategist, practice)
    response = join(client, link_in(invited), **fields)
    assert response.status_code == 400 and message in response.content.decode()
    assert not User.objects.filter(email="new.doctor@example.test").exists()
    assert Invitation.objects.get().state() == "pending"


def test_a_doctor_taken_off_the_practice_loses_their_links_and_it_is_audited(
    client, strategist, practice, doctor
):
    link = issue_link(doctor, practice)
    assert client.get(link).status_code == 200
    membership = Membership.objects.get(user=doctor, practice=practice)
    client.force_login(strategist)
    people = client.get(reverse("practice_people", args=[practice.slug])).content.decode()
    assert doctor.email in people
    response = client.post(reverse("member_remove", args=[practice.slug, membership.pk]))
    assert response.status_code == 302
    client.logout()
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert client.get(link).status_code == 403
    event = AuditEvent.objects.get(verb="member_removed")
    assert (event.actor, event.object_id, event.detail) == (
        strategist,
        str(doctor.pk),
        {"role": "doctor"},
    )


def test_the_lead_takes_a_strategist_off_and_another_receives_the_alerts(
    client, lead, strategist, practice
):
    second = factories.make_strategist(practice, username="second")
    Assignment.objects.filter(strategist=second).update(is_primary=False)
    first = Assignment.objects.get(strategist=strategist, practice=practice)
    client.force_login(strategist)  # not a strategist's to do
    assert (
        client.post(reverse("strategist_remove", args=[practice.slug, first.pk])).status_code == 403
    )
    client.force_login(lead)
    client.post(reverse("strategist_remove", args=[practice.slug, first.pk]))
    assert list(
        Assignment.objects.filter(practice=practice).values_list("strategist", "is_primary")
    ) == [(second.pk, True)]
    assert AuditEvent.objects.filter(
        verb="strategist_removed", object_id=str(strategist.pk)
    ).exists()


def test_another_practices_people_are_out_of_reach(
    client, strategist, other_strategist, practice, doctor
):
    invite(client, strategist, practice)
    invitation = Invitation.objects.get()
    membership = Membership.objects.get(user=doctor)
    client.force_login(other_strategist)
    for response in (
        client.get(reverse("practice_people", args=[practice.slug])),
        client.post(
            reverse("invitation_send", args=[practice.slug]), {"email": "a@b.test", "role": "staff"}
        ),
        client.post(reverse("invitation_revoke", args=[practice.slug, invitation.pk])),
        client.post(reverse("invitation_send_again", args=[practice.slug, invitation.pk])),
        client.post(reverse("member_remove", args=[practice.slug, membership.pk])),
    ):
        assert response.status_code == 404
    assert Invitation.objects.get().state() == "pending"
    assert Membership.objects.filter(pk=membership.pk).exists()
    # Nor do a practice's own doctors manage its people.
    client.force_login(doctor)
    assert client.get(reverse("practice_people", args=[practice.slug])).status_code == 403


def test_the_lead_hears_of_a_doctor_a_strategist_brought_in(client, lead, strategist, practice):
    _, (invited,) = invite(client, strategist, practice)
    before = len(sent_mail())
    join(client, link_in(invited))
    told = [m for m in sent_mail()[before:] if m.to == [lead.email]]
    assert len(told) == 1
    assert told[0].subject == "Ana Reyes joined Lakeside Fertility as a doctor"
    assert reverse("practice_people", args=[practice.slug]) in told[0].body


def test_a_strategists_invitation_is_the_leads_to_withdraw(client, lead, strategist, practice):
    invite(client, lead, practice, email="sam@agency.example", role="strategist")
    invitation = Invitation.objects.get()
    client.force_login(strategist)
    page = client.get(reverse("practice_people", args=[practice.slug])).content.decode()
    assert "sam@agency.example" in page and "The lead's" in html.unescape(page)
    for name in ("invitation_revoke", "invitation_send_again"):
        response = client.post(reverse(name, args=[practice.slug, invitation.pk]))
        assert response.status_code == 403
    assert Invitation.objects.get().state() == "pending"


def test_the_people_page_lists_each_address_once_and_not_who_joined(client, strategist, practice):
    invite(client, strategist, practice, email="a@example.test")
    invite(client, strategist, practice, email="a@example.test")  # replaces the first
    _, (joined,) = invite(client, strategist, practice, email="b@example.test")
    join(client, link_in(joined))
    client.logout()
    client.force_login(strategist)
    page = client.get(reverse("practice_people", args=[practice.slug])).content.decode()
    waiting = page.split('id="invitations-heading"')[1].split("</section>")[0]
    assert waiting.count("a@example.test") == 1 and "b@example.test" not in waiting
    assert "Withdrawn" not in waiting
