"""What each row of the account and authorization lists shows, read as values.

The rows are plain dicts (no model object per row, one reverse per page for
their URLs); the templates write the HTML (practices/_account_rows.html,
practices/consent_list.html), escaping every value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from core.row_urls import url_template
from practices import connect, tokens
from practices.models import PatientConsent, Platform, Practice, SocialAccount


def account_rows(accounts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each account, its health, its token's end, and where its buttons post.

    The accounts are connect.account_list_values rows: their tokens are not read.
    """
    now = timezone.now()
    practice_url = url_template("practice_detail", "slug")
    reconnect_url = url_template("connect_start", "slug", "platform")
    disconnect_url = url_template("account_disconnect", "pk")
    platforms = dict(Platform.choices)
    statuses = dict(SocialAccount.Status.choices)
    rows = []
    for account in accounts:
        status, platform, slug = account["status"], account["platform"], account["practice__slug"]
        renews = tokens.renews_itself(platform, has_refresh_token=account["has_refresh_token"])
        health = connect.health_of(status, account["token_expires_at"], renews, now)
        rows.append(
            {
                **account,
                "practice_url": practice_url.format(slug=slug),
                "platform_label": platforms.get(platform, platform),
                "health": health,
                "health_label": (
                    "Expiring soon" if health == "expiring" else statuses.get(status, status)
                ),
                "renews": renews,
                "reconnect_url": (
                    reconnect_url.format(slug=slug, platform=platform)
                    if health != SocialAccount.Status.CONNECTED
                    else ""
                ),
                "disconnect_url": (
                    disconnect_url.format(pk=account["pk"])
                    if status != SocialAccount.Status.DISCONNECTED
                    else ""
                ),
            }
        )
    return rows


# What the authorization list shows (consent_rows), read as values.
CONSENT_FIELDS = (
    "pk",
    "patient_label",
    "signer",
    "signer_name",
    "method",
    "signed_at",
    "uses",
    "platforms",
    "expires_at",
    "revoked_at",
)


def consent_rows(
    consents: Iterable[dict[str, Any]], *, practice: Practice, now: datetime, soon: datetime
) -> list[dict[str, Any]]:
    """Each authorization, who signed it, what it allows, and its state.

    The authorizations are CONSENT_FIELDS values.
    """
    detail_url = url_template("consent_detail", "slug", "pk")
    methods = dict(PatientConsent.Method.choices)
    uses = dict(PatientConsent.Use.choices)
    platforms = dict(Platform.choices)
    rows = []
    for consent in consents:
        expires_at = consent["expires_at"]
        if consent["revoked_at"]:
            state = "revoked"
        elif expires_at <= now:
            state = "expired"
        elif expires_at <= soon:
            state = "expiring"
        else:
            state = "active"
        rows.append(
            {
                **consent,
                "url": detail_url.format(slug=practice.slug, pk=consent["pk"]),
                "guardian": consent["signer"] == PatientConsent.Signer.GUARDIAN,
                "method_label": methods.get(consent["method"], consent["method"]),
                # As PatientConsent.use_labels and platform_labels say them.
                "allows": ", ".join(uses[use] for use in consent["uses"] if use in uses),
                "where": ", ".join(
                    platforms[name] for name in consent["platforms"] if name in platforms
                ),
                "state": state,
            }
        )
    return rows
