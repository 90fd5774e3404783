"""What other apps' events mean for posts.

Signing out closes a doctor's e-mailed approval links too: a doctor who signs
out on a shared computer expects nobody after them to approve in their name
(the next e-mail brings a new link).

A practice's new time zone moves its posts between months (a post at 00:30
on 1 May in New York was on 30 April in Denver), and a publication deleted
with its post takes its numbers with it: the month totals are worked out
again.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from core.models import User
from posts.approval import links as approval_links
from posts.models import MonthTotals, Publication
from practices.models import Practice


@receiver(user_logged_out)
def close_approval_links(
    sender: type[User], request: HttpRequest, user: User | None, **kwargs: Any
) -> None:
    if user is not None:
        approval_links.revoke_links_of(user, because="signed out")


@receiver(pre_save, sender=Practice)
def note_time_zone(sender: type[Practice], instance: Practice, **kwargs: Any) -> None:
    instance._time_zone_before = (  # type: ignore[attr-defined]
        Practice.objects.filter(pk=instance.pk).values_list("time_zone", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Practice)
def recount_on_new_time_zone(
    sender: type[Practice], instance: Practice, created: bool, **kwargs: Any
) -> None:
    before = getattr(instance, "_time_zone_before", None)
    if not created and before is not None and before != instance.time_zone:
        MonthTotals.recount(instance.pk)


@receiver(post_delete, sender=Publication)
def recount_without_it(sender: type[Publication], instance: Publication, **kwargs: Any) -> None:
    if instance.published_at is None:
        return
    # Its post and practice are still there: a cascade deletes the publications
    # first, and a practice with publications cannot be deleted at all.
    practice = Practice.objects.filter(posts=instance.post_id).first()
    if practice is not None:
        MonthTotals.recount(practice.pk, months=[practice.local(instance.published_at).date()])
