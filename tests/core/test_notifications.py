"""E-mails: written with their cause, sent by a worker job, retried, digested, kept in
the demo mailbox, and sent over real SMTP in production."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import notifications
from core.models import MailboxMessage, Notification
from posts.models import Publication
from practices import alerts
from practices.models import Membership
from tests import ROOT, factories
from tests.publishing_support import sent_mail, work

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


class APost:
    """What the changes_requested wording reads of a post."""

    pk = 1

    def __str__(self) -> str:
        return "Spring open house"


def owe(user, practice, *, kind=Kind.CHANGES_REQUESTED, by="Dr. Ames"):
    return notifications.notify(
        kind=kind,
        to=user,
        practice=practice,
        message="changes_requested",
        context={
            "by": by,
            "practice": practice,
            "post": APost(),
            "comment": "Use the smiling one.",
        },
        link="/posts/1/edit/",
    )


def test_a_notification_is_sent_by_the_worker_after_its_cause_commits(
    strategist,
    practice,
    redis_db,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.AGENCY_NAME = "Bright Health Marketing"
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notification = owe(strategist, practice)
        assert redis_db.llen("rq:queue:email") == 0  # nothing before the commit
    assert mail.outbox == []  # never inline: the worker sends it
    work("email")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [strategist.email]
    assert "Dr. Ames asked for changes" in message.subject
    assert "Bright Health Marketing" in message.body and practice.name in message.body
    assert "http://" in message.body and "/posts/1/edit/" in message.body
    html = {mimetype: content for content, mimetype in message.alternatives}["text/html"]
    assert "Bright Health Marketing" in html and 'href="http' in html
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.attempts == 1
    # Run again: nothing is sent twice.
    assert notifications.deliver(notification.pk) is False
    assert notifications.send_due() == 0
    assert len(mail.outbox) == 1


def test_a_rolled_back_cause_owes_nothing(strategist, practice):
    with pytest.raises(RuntimeError), transaction.atomic():
        owe(strategist, practice)
        raise RuntimeError("the change failed")
    assert not Notification.objects.exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback; its messages in `received`."""

    class Keep:
        def __init__(self):
            self.received = []

        async def handle_DATA(self, server, session, envelope):
            self.received.append(envelope)
            return "250 OK"

    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.received = handler.received
    yield controller
    controller.stop()


def smtp_settings(settings, port):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


def test_a_send_that_fails_is_retried_later_and_then_goes_over_real_smtp(
    strategist, practice, settings, smtp_server
):
    # First the mail server is away: nothing listens on this port.
    smtp_settings(settings, free_port())
    notification = owe(strategist, practice)
    assert notifications.send_due() == 0
    notification.refresh_from_db()
    assert notification.sent_at is None and notification.attempts == 1
    assert notification.last_error
    assert notification.next_attempt_at > timezone.now()
    # Not before its time.
    assert notifications.send_due() == 0
    # The server is back, and the time has come: the sweep sends it.
    smtp_settings(settings, smtp_server.port)
    later = notification.next_attempt_at + timedelta(seconds=1)
    assert notifications.send_due(now=later) == 1
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.attempts == 2
    assert len(smtp_server.received) == 1
    envelope = smtp_server.received[0]
    assert envelope.rcpt_tos == [strategist.email]
    content = envelope.content.decode()
    assert "Dr. Ames asked for changes" in content
    assert "multipart/alternative" in content and "text/html" in content


def test_the_e_mail_goes_to_the_persons_address_as_it_is_when_sent(strategist, practice):
    notification = owe(strategist, practice)
    strategist.email = "new-address@example.test"
    strategist.save(update_fields=["email"])
    messages = sent_mail()
    assert [message.to for message in messages] == [["new-address@example.test"]]
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert notification.address == "new-address@example.test"  # where it went


def test_nothing_is_sent_to_a_person_whose_account_was_closed(strategist, practice):
    notification = owe(strategist, practice)
    strategist.is_active = False
    strategist.save(update_fields=["is_active"])
    assert sent_mail() == []
    notification.refresh_from_db()
    assert notification.sent_at is None  # held, not sent, while the account is closed


def test_a_digest_gathers_a_persons_notifications_at_their_hour(strategist, practice, settings):
    settings.DIGEST_HOUR = 7
    strategist.time_zone = "America/Chicago"
    strategist.save()
    notifications.set_preferences(strategist, {Kind.CHANGES_REQUESTED: "digest"})
    owe(strategist, practice, by="First")
    owe(strategist, practice, by="Second")
    owe(strategist, practice, kind=Kind.PUBLICATION_FAILED, by="At once")
    # (The subject names the practice already: no "<practice>: " before it.)
    assert [m.subject for m in sent_mail()] == [
        f"At once asked for changes to a post for {practice}"
    ]
    chicago = ZoneInfo("America/Chicago")
    now = timezone.now().astimezone(chicago)
    six = datetime(now.year, now.month, now.day, 6, 5, tzinfo=chicago)
    if six <= now:
        six += timedelta(days=1)  # the next 6:05, within a day
    assert notifications.send_digests(now=six) == 0
    seven = six + timedelta(hours=1)
    assert notifications.send_digests(now=seven) == 1
    assert notifications.send_digests(now=seven) == 0
    digest = mail.outbox[-1]
    assert "2 updates" in digest.subject
    assert "First" in digest.body and "Second" in digest.body


def test_reminders_and_the_signers_copy_are_never_held_for_a_digest(strategist, practice):
    notifications.set_preferences(
        strategist, {Kind.APPROVAL_REMINDER: "digest", Kind.CHANGES_REQUESTED: "digest"}
    )
    assert notifications.delivery_for(strategist, Kind.APPROVAL_REMINDER) == "immediate"
    assert notifications.delivery_for(strategist, Kind.CHANGES_REQUESTED) == "digest"


def test_each_person_chooses_on_the_settings_page_what_fits_their_role(
    client, strategist, doctor, staff
):
    client.force_login(doctor)
    page = client.get(reverse("notification_settings")).content.decode()
    assert "Posts awaiting your approval" in page and "A publication failed" not in page
    response = client.post(
        reverse("notification_settings"),
        {
            Kind.AWAITING_APPROVAL: "digest",
            Kind.REPLY_AWAITING_APPROVAL: "immediate",
            Kind.MONTHLY_REPORT: "immediate",
        },
        follow=True,
    )
    assert "Saved" in response.content.decode()
    assert notifications.delivery_for(doctor, Kind.AWAITING_APPROVAL) == "digest"
    # A choice that is not one is refused, and nothing changes.
    client.post(
        reverse("notification_settings"),
        {Kind.AWAITING_APPROVAL: "hourly", Kind.MONTHLY_REPORT: "immediate"},
    )
    assert notifications.delivery_for(doctor, Kind.AWAITING_APPROVAL) == "digest"
    client.force_login(staff)
    assert "Your tip was published" in client.get(reverse("notification_settings")).content.decode()
    client.force_login(strategist)
    page = client.get(reverse("notification_settings")).content.decode()
    assert "A publication failed" in page and "Posts awaiting your approval" not in page


def test_the_demo_mailbox_keeps_mail_for_the_agency_lead_only(
    client, lead, strategist, practice, settings
):
    settings.MAILERS = {"default": {"BACKEND": "core.mailbox.MailboxBackend"}}
    owe(strategist, practice)
    assert notifications.send_due() == 1
    kept = MailboxMessage.objects.get()
    assert kept.to == strategist.email and "/posts/1/edit/" in kept.body and kept.html
    client.force_login(lead)
    listing = client.get(reverse("mailbox")).content.decode()
    assert kept.subject in listing
    shown = client.get(reverse("mailbox_message", args=[kept.pk])).content.decode()
    assert 'href="http://127.0.0.1:8000/posts/1/edit/"' in shown
    client.force_login(strategist)
    assert client.get(reverse("mailbox")).status_code == 403
    # Where e-mail is really sent, there is no mailbox.
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    client.force_login(lead)
    assert client.get(reverse("mailbox")).status_code == 404


def test_nobody_to_tell_writes_nothing(practice):
    inactive = factories.make_user("gone", is_active=False)
    assert owe(inactive, practice) is None
    assert notifications.notify(kind=Kind.SIGNER_COPY, message="signer_copy", context={}) is None
    assert not Notification.objects.exists()


# -- the kinds ------------------------------------------------------------------------------


def test_an_expiring_authorization_is_warned_about_once_without_the_patients_name(
    strategist, practice
):
    consent = factories.make_consent(
        practice, patient_label="Maria G.", expires_at=timezone.now() + timedelta(days=10)
    )
    factories.make_consent(practice, expires_at=timezone.now() + timedelta(days=90))
    assert alerts.warn_expiring_authorizations() == 1
    assert alerts.warn_expiring_authorizations() == 0
    (message,) = sent_mail()
    assert message.to == [strategist.email]
    assert "Maria" not in message.subject + message.body
    assert reverse("consent_detail", args=[practice.slug, consent.pk]) in message.body


def test_the_signer_gets_a_copy_of_the_authorization_by_e_mail(practice):
    from practices import services
    from practices.models import PatientConsent

    now = timezone.now()
    consent = PatientConsent(
        practice=practice,
        patient_label="Dana R.",
        signer_name="Dana Rivera",
        signer_email="dana@example.org",
        uses=["photo", "story"],
        platforms=["facebook"],
        expires_at=now + timedelta(days=365),
        method=PatientConsent.Method.ESIGNATURE,
        signed_at=now,
        typed_signature="Dana Rivera",
        statements_acknowledged=True,
    )
    services.record_consent(consent=consent, document=None, by=None, by_label="Tip link")
    (message,) = sent_mail()
    assert message.to == ["dana@example.org"]
    assert practice.name in message.subject
    assert "Right to revoke" in message.body and "Dana Rivera" in message.body
    assert "Photo, Story" in message.body or "photo" in message.body.lower()


def test_the_staff_member_hears_when_their_tip_is_published(client, staff, practice, strategist):
    tip = factories.make_tip(practice, submitted_by=staff)
    account = factories.make_account(practice, "facebook")
    post = factories.make_post(practice, tip=tip, targets=[account])
    publication = Publication.objects.create(
        post=post,
        account=account,
        status=Publication.Status.PUBLISHED,
        permalink="https://www.facebook.com/100/posts/200",
    )
    from posts.publishing import alerts as post_alerts

    post_alerts.tip_published(publication)
    post_alerts.tip_published(publication)  # once only
    (message,) = sent_mail()
    assert message.to == [staff.email]
    assert "https://www.facebook.com/100/posts/200" in message.body
    assert tip.get_absolute_url() in message.body
    assert Membership.objects.filter(user=staff).exists()


def test_the_wording_comes_from_the_message_template_as_plain_text(practice, strategist):
    # Wrapped lines are one paragraph, blank lines part them, and nothing is
    # escaped in the stored text (the HTML layout escapes it when sending).
    practice.name = "Smith & <Jones>"
    said = notifications.wording(
        "changes_requested",
        {"by": "Dr. O'Hara", "practice": practice, "post": APost(), "comment": "Less <b>, please"},
    )
    assert said.subject == "Dr. O'Hara asked for changes to a post for Smith & <Jones>"
    assert said.paragraphs == ["Post #1 (Spring open house): “Less <b>, please”"]
    assert said.link_label == "Open the post in the editor"
    notification = owe(strategist, practice, by="Dr. <O'Hara>")
    assert notification.subject.startswith("Dr. <O'Hara> asked")
    notifications.deliver(notification.pk)
    html = {mimetype: content for content, mimetype in mail.outbox[-1].alternatives}["text/html"]
    assert "Dr. &lt;O&#x27;Hara&gt;" in html and "<O'Hara>" not in html


def test_every_message_has_a_subject_and_a_body():
    folder = ROOT / "templates" / "email" / "messages"
    names = sorted(path.stem for path in folder.glob("*.txt"))
    assert len(names) == 20
    for name in names:
        text = (folder / f"{name}.txt").read_text()
        assert "{% partialdef subject %}" in text and "{% partialdef body %}" in text, name
