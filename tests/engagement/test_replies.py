"""Writing a reply: the checks block what confirms someone is a patient, only the lead
overrides (with a reason, audited), a doctor approves where the practice asks for it,
one reply at a time, and a withdrawn one never goes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent, Notification
from engagement.models import Reply
from tests import factories
from tests.engagement.support import make_item

pytestmark = pytest.mark.django_db

SAFE = (
    "Thank you for your feedback. Privacy rules keep us from discussing anyone's care here; "
    "please call our practice manager at 555-0100."
)
UNSAFE = "We're sorry about the wait at your appointment last Tuesday."


@pytest.fixture
def review(practice):
    practice.phone = "555-0100"
    practice.save()
    google = factories.make_account(practice, "google_business")
    return make_item(google, kind="review", text="Waited two hours for my IVF consult.", rating=1)


@pytest.fixture
def lead(db):
    from core.models import User

    return factories.make_user("the-lead", agency_role=User.AgencyRole.LEAD)


def test_a_reply_that_confirms_a_visit_is_blocked_with_the_reasons(client, strategist, review):
    client.force_login(strategist)
    response = client.post(reverse("inbox_reply", args=[review.pk]), {"text": UNSAFE})
    page = response.content.decode()
    assert response.status_code == 409
    assert "This confirms the reviewer is a patient" in page
    assert not Reply.objects.exists()
    # The strategist is not offered the override; the lead is.
    assert "Send it all the same" not in page


def test_echoing_the_reviewer_is_blocked_too(client, strategist, review):
    client.force_login(strategist)
    text = "Sorry your IVF consult was slow."
    response = client.post(reverse("inbox_reply", args=[review.pk]), {"text": text})
    assert response.status_code == 409
    assert "IVF consult" in response.content.decode()
    assert not Reply.objects.exists()


def test_the_safe_reply_goes_out_and_the_item_needs_a_reply_meanwhile(client, strategist, review):
    client.force_login(strategist)
    response = client.post(reverse("inbox_reply", args=[review.pk]), {"text": SAFE})
    assert response.status_code == 302
    reply = Reply.objects.get()
    assert reply.status == Reply.Status.QUEUED and reply.content_hash == Reply.hash_of(SAFE)
    review.refresh_from_db()
    assert review.state == "needs_reply"
    assert AuditEvent.objects.filter(verb="reply_written", object_id=str(reply.pk)).exists()
    # One at a time.
    again = client.post(reverse("inbox_reply", args=[review.pk]), {"text": SAFE})
    assert again.status_code == 409 and Reply.objects.count() == 1


def test_only_the_lead_overrides_with_a_reason_and_it_is_audited(client, strategist, lead, review):
    client.force_login(strategist)
    refused = client.post(
        reverse("inbox_reply", args=[review.pk]),
        {"text": UNSAFE, "override_reason": "The reviewer asked us to"},
    )
    assert refused.status_code == 409 and not Reply.objects.exists()
    assert "Only the agency lead" in refused.content.decode()

    client.force_login(lead)
    blocked = client.post(reverse("inbox_reply", args=[review.pk]), {"text": UNSAFE})
    assert "Send it all the same" in blocked.content.decode()
    sent = client.post(
        reverse("inbox_reply", args=[review.pk]),
        {"text": UNSAFE, "override_reason": "The reviewer's written consent is on file."},
    )
    assert sent.status_code == 302
    reply = Reply.objects.get()
    assert reply.overridden_by == lead and reply.findings
    event = AuditEvent.objects.get(verb="reply_override")
    assert event.detail["reason"] == "The reviewer's written consent is on file."
    assert "confirms_visit" in event.detail["rules"]


def test_where_the_practice_asks_a_doctor_approves_replies_to_reviews(
    client, strategist, doctor, practice, review, django_capture_on_commit_callbacks
):
    practice.doctor_approves_review_replies = True
    practice.save()
    client.force_login(strategist)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("inbox_reply", args=[review.pk]), {"text": SAFE})
    reply = Reply.objects.get()
    assert reply.status == Reply.Status.AWAITING_APPROVAL and reply.next_attempt_at is None
    told = Notification.objects.get(kind=Notification.Kind.REPLY_AWAITING_APPROVAL)
    assert told.recipient == doctor and "IVF" not in told.subject + " ".join(told.paragraphs)

    # The strategist cannot approve it; the doctor can, from the item's page.
    assert client.post(reverse("reply_approve", args=[reply.pk])).status_code == 403
    client.force_login(doctor)
    page = client.get(reverse("inbox_item", args=[review.pk])).content.decode()
    assert "Approve this reply" in page
    client.post(reverse("reply_approve", args=[reply.pk]))
    reply.refresh_from_db()
    assert reply.status == Reply.Status.QUEUED and reply.approved_as_is()
    assert reply.approved_by == doctor


def test_a_withdrawn_reply_never_goes(client, strategist, review):
    client.force_login(strategist)
    client.post(reverse("inbox_reply", args=[review.pk]), {"text": SAFE})
    reply = Reply.objects.get()
    client.post(reverse("reply_cancel", args=[reply.pk]))
    reply.refresh_from_db()
    assert reply.status == Reply.Status.CANCELLED and reply.next_attempt_at is None


def test_a_bad_review_is_flagged_for_its_strategist_in_the_e_mail_without_its_words(
    strategist, practice, review
):
    from engagement import alerts

    alerts.complaint_arrived(review)
    told = Notification.objects.get(kind=Notification.Kind.BAD_REVIEW)
    assert told.delivery == Notification.Delivery.IMMEDIATE
    assert "1-star review" in told.subject
    assert "IVF" not in told.subject + " ".join(told.paragraphs)


def test_saved_replies_are_checked_like_any_reply(client, strategist, practice):
    client.force_login(strategist)
    url = reverse("saved_replies", args=[practice.slug])
    refused = client.post(url, {"title": "Sorry", "text": "Sorry about your crown."})
    assert refused.status_code == 400
    assert not practice.saved_replies.exists()
    client.post(url, {"title": "Thanks", "text": "Thank you for the kind words!"})
    assert list(practice.saved_replies.values_list("title", flat=True)) == ["Thanks"]


def test_the_doctor_approves_through_the_e_mailed_link_without_signing_in(
    client, strategist, doctor, other_doctor, practice, review, django_capture_on_commit_callbacks
):
    import re

    from django.core import mail

    from core import notifications

    practice.doctor_approves_review_replies = True
    practice.save()
    client.force_login(strategist)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("inbox_reply", args=[review.pk]), {"text": SAFE})
    notifications.send_due()
    [asked] = [m for m in mail.outbox if m.to == [doctor.email]]
    link = re.search(r"https?://\S+/a/\S+/replies/", asked.body).group(0)
    path = "/" + link.split("/", 3)[3]
    client.logout()
    page = client.get(path).content.decode()
    assert SAFE.replace("'", "&#x27;") in page and "Waited two hours" in page
    reply = Reply.objects.get()
    # Another practice's doctor, signed in, cannot use it.
    client.force_login(other_doctor)
    refused = client.get(path)
    # The same refusal as the approval page's, offering a new link by e-mail.
    assert refused.status_code == 403 and 'name="email"' in refused.content.decode()
    client.logout()
    client.post(path + f"{reply.pk}/approve/")
    reply.refresh_from_db()
    assert reply.status == Reply.Status.QUEUED and reply.approved_by == doctor
    assert AuditEvent.objects.filter(verb="reply_approved").exists()
