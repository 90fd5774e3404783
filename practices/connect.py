"""Connecting a practice's platform account through the platform's OAuth flow.

The agency lead starts the flow for one practice and platform; we keep a
random `state` (and, for every platform, a PKCE verifier: X requires it, the
others ignore it) in the session, send the lead to the platform, check the
state when they come back, exchange the code, and let them pick which page,
Instagram account, organization or location to use. Tokens waiting for that
choice sit in the session encrypted with the same key as the database.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.fields import decrypt, encrypt
from core.models import AuditEvent, User
from platforms.base import Target, TokenSet
from platforms.oauth import pkce_pair
from practices import tokens
from practices.models import Practice, SocialAccount
from practices.platform_clients import client_for

SESSION_KEY = "platform_connections"
FLOW_MAX_AGE = 15 * 60


class ConnectFailed(Exception):
    """Something a person can read: why the connection did not go through."""


def callback_url(platform: str) -> str:
    return settings.SITE_URL + reverse("connect_callback", args=[platform])


def start(session: SessionBase, *, practice: Practice, platform: str) -> str:
    """Remember the flow in the session and return the platform's authorize URL."""
    state = secrets.token_urlsafe(24)
    verifier, challenge = pkce_pair()
    flows = {
        key: flow
        for key, flow in session.get(SESSION_KEY, {}).items()
        if time.time() - flow["started"] < FLOW_MAX_AGE
    }
    flows[state] = {
        "practice_id": practice.pk,
        "practice_slug": practice.slug,
        "platform": platform,
        "verifier": verifier,
        "started": time.time(),
    }
    session[SESSION_KEY] = flows
    return client_for(platform).authorize_url(
        redirect_uri=callback_url(platform), state=state, code_challenge=challenge
    )


def finish(
    session: SessionBase, *, platform: str, state: str, code: str
) -> tuple[dict[str, Any], list[Target]]:
    """Check the state, exchange the code and list what the person may pick."""
    flows = session.get(SESSION_KEY, {})
    flow = flows.get(state)
    # No verifier: this flow's code was exchanged already (the callback page
    # reloaded, or opened twice); a platform's code works once anyway.
    if flow is None or flow["platform"] != platform or "verifier" not in flow:
        raise ConnectFailed(
            "This connection attempt is unknown or was already used. Start again from the "
            "practice page."
        )
    if time.time() - flow["started"] > FLOW_MAX_AGE:
        raise ConnectFailed("This connection attempt took too long. Start again.")
    client = client_for(platform)
    tokens = client.exchange_code(
        code=code, redirect_uri=callback_url(platform), code_verifier=flow["verifier"]
    )
    targets = client.list_targets(tokens)
    flow["tokens"] = encrypt(json.dumps(_tokens_to_json(tokens)))
    flow["targets"] = encrypt(json.dumps([asdict(t) for t in targets]))
    flow.pop("verifier", None)
    session[SESSION_KEY] = flows
    session.modified = True
    return flow, targets


def pending(session: SessionBase, state: str) -> tuple[dict[str, Any], TokenSet, list[Target]]:
    flow = session.get(SESSION_KEY, {}).get(state)
    if flow is None or "tokens" not in flow:
        raise ConnectFailed("This connection attempt is unknown or was already used.")
    tokens = _tokens_from_json(json.loads(decrypt(flow["tokens"])))
    targets = [Target(**t) for t in json.loads(decrypt(flow["targets"]))]
    return flow, tokens, targets


def choose(session: SessionBase, *, state: str, external_id: str, by: User) -> SocialAccount:
    """Save the chosen target as the practice's account (or refresh an existing one)."""
    flow, tokens, targets = pending(session, state)
    target = next((t for t in targets if t.external_id == external_id), None)
    if target is None:
        raise ConnectFailed("Pick one of the listed accounts.")
    practice = Practice.objects.filter(pk=flow["practice_id"]).first()
    if practice is None:
        raise ConnectFailed("The practice no longer exists.")
    with transaction.atomic():
        account, created = SocialAccount.objects.update_or_create(
            practice=practice,
            platform=flow["platform"],
            external_id=target.external_id,
            defaults={
                "display_name": target.name[:200],
                # A page token (Facebook) is what publishes; else the user's.
                "access_token": target.access_token or tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "token_expires_at": tokens.expires_at if not target.access_token else None,
                "refresh_expires_at": tokens.refresh_expires_at,
                "scopes": tokens.scopes[:500],
                "status": SocialAccount.Status.CONNECTED,
                "status_detail": "",
                "throttled_until": None,
                "expiry_warning_sent_at": None,
                "connected_by": by,
                "connected_at": timezone.now(),
            },
        )
        AuditEvent.record(
            "account_connected" if created else "account_reconnected",
            actor=by,
            practice=practice,
            obj=account,
            detail={"platform": account.platform, "external_id": account.external_id},
        )
    flows = session.get(SESSION_KEY, {})
    flows.pop(state, None)
    session[SESSION_KEY] = flows
    return account


def disconnect(*, account: SocialAccount, by: User) -> None:
    with transaction.atomic():
        account.status = SocialAccount.Status.DISCONNECTED
        account.status_detail = f"Disconnected by {by}"
        account.access_token = ""
        account.refresh_token = ""
        account.save()
        AuditEvent.record(
            "account_disconnected",
            actor=by,
            practice=account.practice,
            obj=account,
            detail={"platform": account.platform},
        )


def health_of(status: str, expires_at: datetime | None, renews: bool, now: datetime) -> str:
    """An account's health: connected, expiring (within a week), needs_reconnect or
    disconnected, from the values a list reads (see account_list_values)."""
    if status != SocialAccount.Status.CONNECTED:
        return status
    if not expires_at or renews:
        return SocialAccount.Status.CONNECTED
    if expires_at <= now:
        return SocialAccount.Status.NEEDS_RECONNECT
    if expires_at - now < tokens.EXPIRY_WARNING_AHEAD:
        return "expiring"
    return SocialAccount.Status.CONNECTED


# What a list of accounts shows (practices.list_rows.account_rows), read as
# values: no tokens decrypted, no model built per row.
ACCOUNT_LIST_FIELDS = (
    "pk",
    "platform",
    "display_name",
    "status",
    "status_detail",
    "token_expires_at",
    "has_refresh_token",
    "practice__name",
    "practice__slug",
)


def account_list_values(
    accounts: QuerySet[SocialAccount],
) -> QuerySet[SocialAccount, dict[str, Any]]:
    rows: QuerySet[SocialAccount, dict[str, Any]] = accounts.annotate(
        has_refresh_token=ExpressionWrapper(
            Q(refresh_token__isnull=False) & ~Q(refresh_token=""), output_field=BooleanField()
        )
    ).values(*ACCOUNT_LIST_FIELDS)
    return rows


def _tokens_to_json(tokens: TokenSet) -> dict[str, Any]:
    data = asdict(tokens)
    for key in ("expires_at", "refresh_expires_at"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


def _tokens_from_json(data: dict[str, Any]) -> TokenSet:
    for key in ("expires_at", "refresh_expires_at"):
        data[key] = datetime.fromisoformat(data[key]) if data[key] else None
    return TokenSet(**data)
