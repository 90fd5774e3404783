"""The quick start's demo data: every status, every role can log in, a second load keeps it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from posts.management.commands.demo_data import DEMO_PASSWORD, PEER_CLINICS
from posts.models import MediaAsset, Post, Tip
from practices.models import Platform, Practice, SocialAccount


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Loaded once for the module inside a transaction that is rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo_data", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def test_demo_covers_every_status_and_platform(db, demo):
    assert Practice.objects.count() >= 4
    assert len(set(Practice.objects.values_list("specialty", flat=True))) >= 4
    assert len(set(Practice.objects.values_list("time_zone", flat=True))) >= 4
    assert set(Post.objects.values_list("status", flat=True)) == set(Post.Status.values)
    assert set(Tip.objects.values_list("status", flat=True)) == set(Tip.Status.values)
    for practice in Practice.objects.all():
        platforms = set(practice.social_accounts.values_list("platform", flat=True))
        assert platforms == set(Platform.values)
    assert SocialAccount.objects.filter(status="connected").count() == SocialAccount.objects.count()
    # A nurse's clip waits for the media worker, its place already dropped.
    clip = MediaAsset.objects.get(kind=MediaAsset.Kind.VIDEO)
    assert clip.status == MediaAsset.Status.PROCESSING and clip.tips.exists()
    with clip.incoming.open("rb") as stored:
        assert b"+41.8781" not in stored.read()


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("lead", "dashboard"),
        ("sam", "dashboard"),
        ("alex", "dashboard"),
        ("jordan", "dashboard"),
        ("lakeside-staff", "staff_home"),
        ("summit-staff", "staff_home"),
        ("harbor-doctor", "approvals"),
        ("maple-doctor", "approvals"),
    ],
)
def test_every_demo_login_works(client, db, demo, username, home):
    response = client.post(
        reverse("login"), {"username": username, "password": DEMO_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(home)
    assert response.status_code == 200


def test_lead_reaches_the_admin(client, db, demo):
    client.post(reverse("login"), {"username": "lead", "password": DEMO_PASSWORD})
    assert client.get("/admin/").status_code == 200


def test_loading_twice_keeps_the_data_and_adds_one_welcome_post(db, demo):
    before = Post.objects.count()
    call_command("demo_data", stdout=io.StringIO())
    assert Practice.objects.count() == 4 + len(PEER_CLINICS)
    assert Post.objects.count() == before + 1
    welcome = Post.objects.filter(title__startswith="Welcome").order_by("-pk").first()
    assert welcome.status == Post.Status.SCHEDULED
    assert welcome.approval_is_current()
    assert welcome.publications.count() == len(Platform.values)


def test_demo_data_refuses_production(db, settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never production"):
        call_command("demo_data")
