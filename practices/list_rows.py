"""The rows of the account and authorization lists, put together in Python.

See core.list_html for why; every value below goes through `escape`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString

from core.list_html import day, escape, html, url_template
from practices import connect, tokens
from practices.models import PatientConsent, Platform, Practice, SocialAccount


def account_rows(
    accounts: Iterable[dict[str, Any]], *, show_practice: bool, can_connect: bool, csrf_token: str
) -> SafeString:
    """The table's body: each account, its health, its token, and (for the lead) its buttons.

    The accounts are connect.account_list_values rows: their tokens are not read.
    """
    now = timezone.now()
    practice_url = url_template("practice_detail", "slug")
    reconnect_url = url_template("connect_start", "slug", "platform")
    disconnect_url = url_template("account_disconnect", "pk")
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    platforms = dict(Platform.choices)
    statuses = dict(SocialAccount.Status.choices)
    parts = []
    for account in accounts:
        status, platform, slug = account["status"], account["platform"], account["practice__slug"]
        renews = tokens.renews_itself(platform, has_refresh_token=account["has_refresh_token"])
        health = connect.health_of(status, account["token_expires_at"], renews, now)
        cells = []
        if show_practice:
            cells.append(
                f'<td><a href="{escape(practice_url.format(slug=slug))}">'
                f"{escape(account['practice__name'])}</a></td>"
            )
        cells.append(
            f"<td>{escape(account['display_name'])}<br>"
            f'<span class="muted">{escape(platforms.get(platform, platform))}</span></td>'
        )
        label = "Expiring soon" if health == "expiring" else statuses.get(status, status)
        detail = account["status_detail"]
        cells.append(
            f'<td><span class="badge {escape(health)}">{escape(label)}</span>'
            + (f'<div class="muted">{escape(detail)}</div>' if detail else "")
            + "</td>"
        )
        if account["token_expires_at"]:
            until = day(account["token_expires_at"])
            cells.append(f"<td>until {until}{' (renews itself)' if renews else ''}</td>")
        else:
            cells.append("<td>—</td>")
        buttons = ""
        if can_connect:
            if health != SocialAccount.Status.CONNECTED:
                action = reconnect_url.format(slug=slug, platform=platform)
                buttons += (
                    f'<form method="post" action="{escape(action)}" class="inline">{csrf}'
                    '<button type="submit" class="primary">Reconnect</button></form>'
                )
            if status != SocialAccount.Status.DISCONNECTED:
                action = disconnect_url.format(pk=account["pk"])
                buttons += (
                    f'<form method="post" action="{escape(action)}" class="inline">{csrf}'
                    '<button type="submit">Disconnect</button></form>'
                )
        cells.append(f"<td>{buttons}</td>")
        parts.append(f"<tr>{''.join(cells)}</tr>")
    return html(parts)


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
) -> SafeString:
    """The table's body: each authorization, who signed it, what it allows, its state.

    The authorizations are CONSENT_FIELDS values; dates are days on the practice's clock.
    """
    zone = practice.zone
    detail_url = url_template("consent_detail", "slug", "pk")
    methods = dict(PatientConsent.Method.choices)
    uses = dict(PatientConsent.Use.choices)
    platforms = dict(Platform.choices)
    parts = []
    for consent in consents:
        guardian = (
            ' <span class="muted">(guardian)</span>'
            if consent["signer"] == PatientConsent.Signer.GUARDIAN
            else ""
        )
        expires_at, revoked_at = consent["expires_at"], consent["revoked_at"]
        if revoked_at:
            state = f'<span class="badge revoked">Revoked {day(revoked_at, zone)}</span>'
        elif expires_at <= now:
            state = '<span class="badge expired">Expired</span>'
        elif expires_at <= soon:
            state = '<span class="badge expiring">Expires soon</span>'
        else:
            state = '<span class="badge approved">Active</span>'
        url = detail_url.format(slug=practice.slug, pk=consent["pk"])
        # As PatientConsent.use_labels and platform_labels say them.
        allows = ", ".join(uses[use] for use in consent["uses"] if use in uses)
        where = ", ".join(platforms[name] for name in consent["platforms"] if name in platforms)
        parts.append(
            f'<tr><td><a href="{escape(url)}">{escape(consent["patient_label"])}</a></td>'
            f"<td>{escape(consent['signer_name'])}{guardian}<br>"
            f'<span class="muted">{escape(methods.get(consent["method"], consent["method"]))}, '
            f"{day(consent['signed_at'], zone)}</span></td>"
            f"<td>{escape(allows)}</td>"
            f"<td>{escape(where)}</td>"
            f"<td>{day(expires_at, zone)}</td>"
            f"<td>{state}</td></tr>"
        )
    return html(parts)
