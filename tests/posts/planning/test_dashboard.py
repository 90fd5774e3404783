"""The strategist's dashboard: what needs them, grouped, for their practices only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Post, Publication
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_post_failing_on_two_platforms_is_one_entry(client, strategist, practice):
    fb = factories.make_account(practice, "facebook")
    x = factories.make_account(practice, "x")
    post = factories.make_post(
        practice, title="Flu", targets=[fb, x], status=Post.Status.PARTIALLY_FAILED
    )
    for account in (fb, x):
        Publication.objects.create(
            post=post,
            account=account,
            status=Publication.Status.FAILED,
            last_error_message=f"{account.get_platform_display()}: refused.",
        )
    client.force_login(strategist)
    page = client.get("/dashboard/").content.decode()
    assert page.count("“Flu” failed on") == 1
    assert "“Flu” failed on Facebook, X." in page
    assert "Open the post: retry or reconnect" in page


def test_a_failure_reads_as_what_to_do_and_a_repeated_reason_is_said_once(
    client, strategist, practice
):
    accounts = [factories.make_account(practice, p) for p in ("facebook", "linkedin", "x")]
    post = factories.make_post(practice, title="Flu", targets=accounts, status=Post.Status.FAILED)
    raw = "The platform rejected the photo: images must be under 8 MB."
    for account, kind, message in (
        (accounts[0], Publication.ErrorKind.REJECTED, raw),
        (accounts[1], Publication.ErrorKind.REJECTED, raw),
        (accounts[2], Publication.ErrorKind.MEDIA, "could not fetch http://127.0.0.1:8000/m/s/x"),
    ):
        Publication.objects.create(
            post=post,
            account=account,
            status=Publication.Status.FAILED,
            last_error_kind=kind,
            last_error_message=message,
        )
    client.force_login(strategist)
    page = client.get("/dashboard/").text
    entry = page[page.index("“Flu” failed on") :]
    entry = entry[: entry.index("</ul></li>")]
    # Said once for the two platforms it stopped, in words a person acts on...
    assert entry.count("images must be under 8 MB") == 1
    refused = '<span class="reason">The platform refused the post as it is'
    assert f"Facebook, LinkedIn: {refused}" in entry
    assert 'X: <span class="reason">A photo could not be prepared' in entry
    # ...with the platform's own words folded behind "Details".
    assert '<details class="platform-words"><summary>Details</summary>' in entry
    assert entry.index("could not fetch") > entry.index("<summary>Details</summary>")


def test_what_lapses_within_the_month_and_what_is_due_unapproved(client, strategist, practice):
    now = timezone.now()
    factories.make_consent(practice, patient_label="Ana P.", expires_at=now + timedelta(days=10))
    factories.make_consent(practice, patient_label="Later L.", expires_at=now + timedelta(days=90))
    factories.make_account(practice, "facebook", token_expires_at=now + timedelta(days=20))
    factories.make_post(
        practice,
        title="Tomorrow",
        status=Post.Status.IN_REVIEW,
        scheduled_at=now + timedelta(hours=20),
    )
    client.force_login(strategist)
    page = client.get("/dashboard/").content.decode()
    assert "the authorization for Ana P. expires" in page
    assert "Later L." not in page
    assert "cannot be renewed by us" in page  # Facebook gives no refresh token
    assert "“Tomorrow” is due" in page and "is not approved (in review)" in page
    assert "Tomorrow</a> · Lakeside Fertility · waiting" in page  # in the doctor's queue


def test_drafts_the_doctors_queue_and_the_weekly_goal(client, strategist, practice):
    practice.posts_per_week = 3
    practice.save()
    factories.make_post(practice, title="A draft")
    factories.make_post(
        practice,
        title="Soon",
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(days=2),
    )
    client.force_login(strategist)
    page = client.get("/dashboard/").content.decode()
    assert "A draft" in page
    assert "1 of 3" in page  # one planned for the coming week, of a goal of three


def test_one_practice_at_a_time_and_never_anothers(client, strategist, practice, other_practice):
    factories.make_post(practice, title="Ours")
    factories.make_post(other_practice, title="Theirs")
    client.force_login(strategist)
    page = client.get("/dashboard/", {"practice": practice.slug}).content.decode()
    assert "Ours" in page and "Theirs" not in page
    assert client.get("/dashboard/", {"practice": other_practice.slug}).status_code == 404
    assert "Theirs" not in client.get("/dashboard/").content.decode()
