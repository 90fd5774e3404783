"""Signing out closes a doctor's e-mailed approval links too.

A doctor who signs out on a shared computer expects nobody after them to
approve in their name: the links in their e-mails stop working (the next
e-mail brings a new one).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from core.models import User
from posts.approval import links as approval_links


@receiver(user_logged_out)
def close_approval_links(
    sender: type[User], request: HttpRequest, user: User | None, **kwargs: Any
) -> None:
    if user is not None:
        approval_links.revoke_links_of(user, because="signed out")
