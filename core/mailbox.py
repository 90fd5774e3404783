"""The demo mailbox: an e-mail backend that keeps every message in the database.

`make run` uses it so that a newcomer can read what the product sent (the
doctor's approval link, an alert) on the agency lead's mailbox page instead
of a terminal. Nothing leaves the machine. Never used in production
(agency/settings.py refuses it there).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from core.models import MailboxMessage

BACKEND = "core.mailbox.MailboxBackend"


class MailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                html = next(
                    (
                        str(content)
                        for content, mimetype in message.alternatives
                        if mimetype == "text/html"
                    ),
                    "",
                )
            MailboxMessage.objects.create(
                to=", ".join(message.to)[:500],
                subject=str(message.subject)[:300],
                body=str(message.body),
                html=html,
            )
        return len(email_messages)
