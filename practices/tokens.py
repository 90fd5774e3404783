"""Keeping platform connections usable: token refresh and expiry warnings."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.models import AuditEvent
from platforms.base import TokenSet
from platforms.errors import PlatformError
from practices import alerts
from practices.models import SocialAccount
from practices.platform_clients import client_for

logger = logging.getLogger(__name__)

# How long before expiry a token is refreshed. X access tokens last 2 hours
# and Google's 1 hour, so those are refreshed well within the 15-minute cron;
# Instagram and LinkedIn tokens last 60 days (Instagram's can be refreshed
# once at least a day old).
REFRESH_AHEAD = {
    "x": timedelta(minutes=30),
    "google_business": timedelta(minutes=20),
    "instagram": timedelta(days=10),
    "linkedin": timedelta(days=10),
}
# Platforms that renew with the access token itself (no refresh token).
SELF_REFRESHING = {"instagram"}
EXPIRY_WARNING_AHEAD = timedelta(days=7)


def refreshable(account: SocialAccount) -> bool:
    """Whether we renew this account's token ourselves, before it expires."""
    return renews_itself(account.platform, has_refresh_token=bool(account.refresh_token))


def renews_itself(platform: str, *, has_refresh_token: bool) -> bool:
    """refreshable() for a list that reads whether a refresh token exists, not the token."""
    if platform not in REFRESH_AHEAD:
        return False  # Facebook: no refresh; a person logs in again
    return platform in SELF_REFRESHING or has_refresh_token


def refresh_expiring_tokens(*, now: datetime | None = None) -> int:
    """Refresh every connected account whose token expires soon; returns how many."""
    now = now or timezone.now()
    due = Q()
    for platform, ahead in REFRESH_AHEAD.items():
        due |= Q(platform=platform, token_expires_at__lte=now + ahead)
    candidates = list(
        SocialAccount.objects.filter(due, status=SocialAccount.Status.CONNECTED).values_list(
            "pk", flat=True
        )
    )
    refreshed = 0
    for pk in candidates:
        refreshed += _refresh_one(pk, now=now)
    return refreshed


def _refresh_one(pk: int, *, now: datetime) -> int:
    # The row stays locked across the refresh call: some platforms (X) rotate
    # the refresh token on every use, so two refreshes at once would leave
    # one of them holding a dead token. SKIP LOCKED: another run has it.
    # OF self: only the account's row. Without it PostgreSQL also locks the
    # joined practice row for as long as the platform takes to answer, and
    # anyone saving the practice (or locking it) would wait for that call.
    with transaction.atomic():
        account = (
            SocialAccount.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("practice")
            .filter(pk=pk, status=SocialAccount.Status.CONNECTED)
            .first()
        )
        if account is None or not refreshable(account):
            return 0
        if (
            account.token_expires_at
            and account.token_expires_at > now + REFRESH_AHEAD[account.platform]
        ):
            return 0  # refreshed meanwhile
        tokens = TokenSet(
            access_token=account.access_token,
            refresh_token=account.refresh_token,
            expires_at=account.token_expires_at,
            refresh_expires_at=account.refresh_expires_at,
            scopes=account.scopes,
        )
        detail = {"account": account.pk, "platform": account.platform}
        try:
            fresh = client_for(account.platform).refresh(tokens)
        except PlatformError as error:
            if error.kind == "reconnect" or (
                account.token_expires_at is not None and account.token_expires_at <= now
            ):
                if account.mark_needs_reconnect(
                    f"{account.get_platform_display()} refused to renew the connection: "
                    f"{error.message}"
                ):
                    alerts.account_needs_reconnect(account)
                AuditEvent.record(
                    "token_refresh_failed",
                    actor_label="publisher",
                    practice=account.practice,
                    obj=account,
                    detail={**detail, "error_kind": error.kind},
                )
            else:
                logger.warning(
                    "token refresh for account %s failed (%s); trying again next run",
                    account.pk,
                    error.kind,
                )
            return 0
        account.access_token = fresh.access_token
        account.refresh_token = fresh.refresh_token or account.refresh_token
        account.token_expires_at = fresh.expires_at
        account.refresh_expires_at = fresh.refresh_expires_at or account.refresh_expires_at
        account.scopes = fresh.scopes or account.scopes
        account.expiry_warning_sent_at = None
        account.save(
            update_fields=[
                "access_token",
                "refresh_token",
                "token_expires_at",
                "refresh_expires_at",
                "scopes",
                "expiry_warning_sent_at",
                "updated_at",
            ]
        )
        AuditEvent.record(
            "token_refreshed",
            actor_label="publisher",
            practice=account.practice,
            obj=account,
            detail=detail,
        )
    return 1


def warn_expiring_accounts(*, now: datetime | None = None) -> int:
    """A week ahead, tell the strategist about connections we cannot renew ourselves."""
    now = now or timezone.now()
    candidates = (
        SocialAccount.objects.filter(
            status=SocialAccount.Status.CONNECTED,
            token_expires_at__isnull=False,
            token_expires_at__lte=now + EXPIRY_WARNING_AHEAD,
        )
        .filter(
            Q(expiry_warning_sent_at__isnull=True)
            # A warning sent before the account was connected again was about
            # the previous token.
            | Q(expiry_warning_sent_at__lt=F("connected_at"))
        )
        .select_related("practice", "connected_by")
    )
    warned = 0
    for account in candidates:
        if refreshable(account):
            continue  # refresh_expiring_tokens renews it
        # Claim the warning with a conditional update: one e-mail per token.
        claimed = SocialAccount.objects.filter(
            pk=account.pk, expiry_warning_sent_at=account.expiry_warning_sent_at
        ).update(expiry_warning_sent_at=now)
        if not claimed:
            continue
        alerts.account_expiring(account)
        AuditEvent.record(
            "account_expiry_warned",
            actor_label="publisher",
            practice=account.practice,
            obj=account,
            detail={"account": account.pk, "platform": account.platform},
        )
        warned += 1
    return warned
