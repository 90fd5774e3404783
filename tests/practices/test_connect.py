"""Connecting a practice's account through each platform's OAuth flow (against the sandbox)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from core.models import AuditEvent
from practices.models import Platform, SocialAccount
from tests import factories


def _authorize(client, practice, platform):
    """Start the flow as the lead and let the sandbox's consent page approve it."""
    response = client.post(reverse("connect_start", args=[practice.slug, platform]))
    assert response.status_code == 302
    authorize_url = response.url
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200
    link = unescape(re.search(r"id='continue' href='([^']+)'", page.text).group(1))
    back = urlsplit(link)
    assert back.path == reverse("connect_callback", args=[platform])
    return authorize_url, parse_qs(back.query)


@pytest.mark.parametrize("platform", Platform.values)
def test_lead_connects_each_platform(client, sandbox, practice, lead, platform):
    client.force_login(lead)
    authorize_url, params = _authorize(client, practice, platform)
    if platform == "x":
        query = parse_qs(urlsplit(authorize_url).query)
        assert query["code_challenge_method"] == ["S256"], "X requires PKCE"
    page = client.get(
        reverse("connect_callback", args=[platform]), {k: v[0] for k, v in params.items()}
    )
    assert page.status_code == 200, page.text
    targets = page.context["targets"]
    assert targets, "the sandbox test user manages at least one target"
    response = client.post(
        reverse("connect_choose"),
        {"state": params["state"][0], "external_id": targets[0].external_id},
    )
    assert response.status_code == 302
    account = SocialAccount.objects.get(practice=practice, platform=platform)
    assert account.status == SocialAccount.Status.CONNECTED
    assert account.access_token
    assert account.external_id == targets[0].external_id
    assert AuditEvent.objects.filter(verb="account_connected", object_id=str(account.pk)).exists()


def test_wrong_state_is_refused_and_saves_nothing(client, sandbox, practice, lead):
    client.force_login(lead)
    _authorize(client, practice, "facebook")
    response = client.get(
        reverse("connect_callback", args=["facebook"]), {"state": "forged", "code": "abc"}
    )
    assert response.status_code == 400
    assert "unknown or was already used" in response.text
    assert not SocialAccount.objects.exists()


def test_state_from_another_session_is_refused(client, sandbox, practice, lead):
    client.force_login(lead)
    _, params = _authorize(client, practice, "linkedin")
    other = type(client)()
    other.force_login(lead)
    response = other.get(
        reverse("connect_callback", args=["linkedin"]), {k: v[0] for k, v in params.items()}
    )
    assert response.status_code == 400
    assert not SocialAccount.objects.exists()


def test_state_is_single_use(client, sandbox, practice, lead):
    client.force_login(lead)
    _, params = _authorize(client, practice, "x")
    query = {k: v[0] for k, v in params.items()}
    first = client.get(reverse("connect_callback", args=["x"]), query)
    client.post(
        reverse("connect_choose"),
        {"state": query["state"], "external_id": first.context["targets"][0].external_id},
    )
    # The choice sent again with the same state: the flow is gone.
    again = client.post(
        reverse("connect_choose"),
        {"state": query["state"], "external_id": first.context["targets"][0].external_id},
    )
    assert again.status_code == 400
    assert "unknown or was already used" in again.text
    assert SocialAccount.objects.count() == 1
    assert not AuditEvent.objects.filter(verb="account_reconnected").exists()


def test_denied_access_is_explained(client, sandbox, lead):
    client.force_login(lead)
    response = client.get(
        reverse("connect_callback", args=["google_business"]),
        {"error": "access_denied", "state": "whatever"},
    )
    assert response.status_code == 400
    assert "did not grant access" in response.text


def test_choosing_an_unlisted_target_is_refused(client, sandbox, practice, lead):
    client.force_login(lead)
    _, params = _authorize(client, practice, "facebook")
    query = {k: v[0] for k, v in params.items()}
    client.get(reverse("connect_callback", args=["facebook"]), query)
    response = client.post(
        reverse("connect_choose"), {"state": query["state"], "external_id": "not-mine"}
    )
    assert response.status_code == 400
    assert not SocialAccount.objects.exists()


def test_reconnect_updates_the_existing_account(client, sandbox, practice, lead):
    client.force_login(lead)
    _, params = _authorize(client, practice, "facebook")
    query = {k: v[0] for k, v in params.items()}
    page = client.get(reverse("connect_callback", args=["facebook"]), query)
    target = page.context["targets"][0]
    account = factories.make_account(
        practice,
        "facebook",
        external_id=target.external_id,
        status="needs_reconnect",
        status_detail="Token expired",
        access_token="old-token",
    )
    client.post(
        reverse("connect_choose"), {"state": query["state"], "external_id": target.external_id}
    )
    account.refresh_from_db()
    assert account.status == SocialAccount.Status.CONNECTED
    assert account.status_detail == ""
    assert account.access_token != "old-token"
    assert AuditEvent.objects.filter(verb="account_reconnected").exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("strategist", 403), ("doctor", 403), ("staff", 403), ("outsider", 404)],
)
def test_only_the_lead_connects(client, sandbox, practice, request, who, expected):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("connect_start", args=[practice.slug, "facebook"]))
    assert response.status_code == expected


def test_unknown_platform_is_404(client, sandbox, practice, lead):
    client.force_login(lead)
    response = client.post(reverse("connect_start", args=[practice.slug, "myspace"]))
    assert response.status_code == 404


def test_disconnect_erases_tokens(client, practice, lead):
    account = factories.make_account(practice, "x", refresh_token="r-123")
    client.force_login(lead)
    response = client.post(reverse("account_disconnect", args=[account.pk]))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == SocialAccount.Status.DISCONNECTED
    assert account.access_token == "" and account.refresh_token == ""


def test_account_health_page(
    client, practice, other_practice, strategist, django_assert_max_num_queries
):
    from datetime import timedelta

    from django.utils import timezone

    factories.make_account(
        practice, "facebook", token_expires_at=timezone.now() + timedelta(days=3)
    )
    factories.make_account(
        practice, "instagram", status="needs_reconnect", status_detail="Token revoked"
    )
    factories.make_account(
        practice, "x", refresh_token="r", token_expires_at=timezone.now() + timedelta(hours=1)
    )
    # A refresh token renews it: a near expiry is not a problem.
    factories.make_account(
        practice,
        "google_business",
        refresh_token="g",
        token_expires_at=timezone.now() + timedelta(minutes=30),
    )
    factories.make_account(other_practice, "linkedin")
    client.force_login(strategist)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("accounts_overview"))
    rows = {
        label: (health, "(renews itself)" in row)
        for row in response.text.split("<tr>")[2:]  # after the header's row
        for label, health in re.findall(
            r'<span class="muted">([^<]+)</span></td>\s*<td><span class="badge ([a-z_]+)">', row
        )
    }
    assert {label: health for label, (health, _) in rows.items()} == {
        "Facebook": "expiring",
        "Instagram": "needs_reconnect",
        "X": "connected",
        "Google Business Profile": "connected",
    }
    assert rows["X"][1] and not rows["Facebook"][1]
    assert "Token revoked" in response.text


def test_health_knows_which_platforms_renew_their_own_tokens(practice):
    from datetime import timedelta

    from django.utils import timezone

    from practices import connect, tokens

    def health(account) -> str:
        now = timezone.now()
        renews = tokens.refreshable(account)
        return connect.health_of(account.status, account.token_expires_at, renews, now)

    soon = timezone.now() + timedelta(days=2)
    instagram = factories.make_account(practice, "instagram", token_expires_at=soon)
    facebook = factories.make_account(practice, "facebook", token_expires_at=soon)
    expired = factories.make_account(
        practice, "facebook", token_expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert health(instagram) == "connected"  # renewed with its own token
    assert health(facebook) == "expiring"  # a person must log in again
    assert health(expired) == "needs_reconnect"


@pytest.mark.parametrize("platform", ["facebook", "x"])
def test_reloading_the_callback_says_to_start_again(client, sandbox, practice, lead, platform):
    client.force_login(lead)
    _, params = _authorize(client, practice, platform)
    query = {k: v[0] for k, v in params.items()}
    first = client.get(reverse("connect_callback", args=[platform]), query)
    assert first.status_code == 200
    again = client.get(reverse("connect_callback", args=[platform]), query)
    assert again.status_code == 400
    assert "Start again from the practice page." in again.text
    assert again.templates[0].name == "practices/connect_failed.html"
    # The page the first answer showed still connects the account.
    response = client.post(
        reverse("connect_choose"),
        {"state": query["state"], "external_id": first.context["targets"][0].external_id},
    )
    assert response.status_code == 302
    assert SocialAccount.objects.filter(practice=practice, platform=platform).count() == 1
