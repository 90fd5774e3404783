"""OAuth helpers the clients share: PKCE, token requests and answers, refusals as errors."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from platforms._http import Transport, json_body, retry_after_header
from platforms.base import TokenSet
from platforms.errors import (
    PlatformError,
    ReconnectNeeded,
    ThrottledError,
    TransientError,
    said,
)


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge, for one authorization (RFC 7636).

    X requires PKCE; the other platforms accept it or ignore it.
    """
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_set(
    body: dict[str, Any],
    *,
    refresh_token: str = "",
    refresh_expires_at: datetime | None = None,
    scopes: str = "",
) -> TokenSet:
    """A TokenSet from a token endpoint's JSON (expires_in seconds from now)."""
    now = datetime.now(UTC)
    expires_in = body.get("expires_in")
    refresh_in = body.get("refresh_token_expires_in")
    scope = body.get("scope", scopes)
    if isinstance(scope, list):
        scope = " ".join(scope)
    return TokenSet(
        access_token=str(body["access_token"]),
        refresh_token=str(body.get("refresh_token") or refresh_token),
        expires_at=now + timedelta(seconds=int(expires_in)) if expires_in else None,
        refresh_expires_at=(
            now + timedelta(seconds=int(refresh_in)) if refresh_in else refresh_expires_at
        ),
        scopes=str(scope or ""),
    )


def request_token(
    transport: Transport, url: str, grant: dict[str, str], *, basic_auth: bool = False
) -> dict[str, Any]:
    """POST a grant (a code, a refresh token) with our app's credentials; see token_body."""
    config = transport.config
    if basic_auth:
        # X: a confidential client authenticates with HTTP Basic, and sends
        # client_id in the form too, as public clients must.
        resp = transport.request(
            "POST",
            url,
            data={**grant, "client_id": config.client_id},
            auth=(config.client_id, config.client_secret),
        )
    else:
        resp = transport.request(
            "POST",
            url,
            data={**grant, "client_id": config.client_id, "client_secret": config.client_secret},
        )
    return token_body(transport, resp)


def code_grant(
    transport: Transport, token_url: str, *, code: str, redirect_uri: str, code_verifier: str | None
) -> TokenSet:
    """The standard authorization_code grant (PKCE verifier when the flow used one)."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        data["code_verifier"] = code_verifier
    return token_set(request_token(transport, token_url, data))


def refresh_grant(transport: Transport, token_url: str, tokens: TokenSet) -> TokenSet:
    """The standard refresh_token grant, for platforms that keep the refresh token.

    The refresh token lives on unchanged: refreshing does not extend its own
    life (LinkedIn) and a failure such as invalid_grant means reconnect (Google).
    """
    body = request_token(
        transport,
        token_url,
        {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
    )
    return token_set(
        body,
        refresh_token=tokens.refresh_token,
        refresh_expires_at=tokens.refresh_expires_at,
        scopes=tokens.scopes,
    )


def token_body(transport: Transport, resp: requests.Response) -> dict[str, Any]:
    """A token endpoint's JSON answer, holding an access_token; else the classified refusal."""
    body = json_body(resp)
    if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
        body = body["data"][0]  # Instagram's older code exchange wraps the token in a list
    if not resp.ok or not isinstance(body, dict) or "access_token" not in body:
        raise oauth_failure(transport, resp, body)
    return body


def oauth_failure(transport: Transport, resp: requests.Response, body: Any) -> PlatformError:
    """A refused token request: a person must connect again, unless it was the platform's fault."""
    label, platform = transport.label, transport.platform
    words = ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # Graph style
            words = error.get("message", "")
        else:
            words = (
                body.get("error_description")
                or body.get("error_message")
                or body.get("message")
                or (str(error) if error else "")
            )
        code = body.get("error") if isinstance(body.get("error"), str) else None
    else:
        code = None
    if resp.status_code == 429:
        return ThrottledError(
            f"{label} is limiting sign-in requests; try again shortly.{said(label, words)}",
            platform=platform,
            retry_after=retry_after_header(resp),
        )
    if resp.status_code >= 500:
        return TransientError(
            f"{label} could not issue a token just now.{said(label, words)}", platform=platform
        )
    return ReconnectNeeded(
        f"{label} would not issue or renew the connection's token; connect the account "
        f"again.{said(label, words)}",
        platform=platform,
        platform_code=code or resp.status_code,
    )
