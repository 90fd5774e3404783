"""The OAuth pieces every platform shares: an auto-approving consent page and codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
from datetime import timedelta
from urllib.parse import urlencode

from sandbox.core import Request, Response, html_response
from sandbox.state import AuthCode, Sandbox

CODE_LIFETIME = timedelta(minutes=10)


def consent_page(
    sb: Sandbox, req: Request, platform: str, *, pkce: str = "optional", scope_sep: str = " "
) -> Response:
    """Approve at once as the test user and send the browser back with a code.

    pkce: "required" (X), "optional" (Google) or "ignored".
    """
    q = req.query
    redirect_uri = q.get("redirect_uri", "")
    if not q.get("client_id") or not redirect_uri.startswith(("http://", "https://")):
        return html_response(
            400, "<h1>Invalid request</h1><p>client_id and redirect_uri are required.</p>"
        )
    if q.get("response_type", "code") != "code":
        return _back(
            redirect_uri, {"error": "unsupported_response_type", "state": q.get("state", "")}
        )
    challenge = q.get("code_challenge") or None
    method = q.get("code_challenge_method") or None
    if pkce == "required" and not challenge:
        return _back(redirect_uri, {"error": "invalid_request", "state": q.get("state", "")})
    if challenge and method not in ("S256", "plain"):
        return _back(redirect_uri, {"error": "invalid_request", "state": q.get("state", "")})
    code = sb.new_code(
        AuthCode(
            platform=platform,
            client_id=q["client_id"],
            redirect_uri=redirect_uri,
            scope=q.get("scope", "").replace(scope_sep, " ").strip(),
            code_challenge=challenge if pkce != "ignored" else None,
            code_challenge_method=method,
            expires_at=sb.now() + CODE_LIFETIME,
        )
    )
    params = {"code": code}
    if "state" in q:
        params["state"] = q["state"]
    return _back(redirect_uri, params, consent=True, platform=platform, scope=q.get("scope", ""))


def _back(
    redirect_uri: str, params: dict[str, str], *, consent: bool = False, **info: str
) -> Response:
    target = redirect_uri + ("&" if "?" in redirect_uri else "?") + urlencode(params)
    safe = html.escape(target, quote=True)
    title = "Allow access?" if consent else "Could not authorize"
    body = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<meta http-equiv='refresh' content='0; url={safe}'><title>{title}</title></head>"
        f"<body><h1>{title}</h1>"
        f"<p>Sandbox {html.escape(info.get('platform', ''))} test user approves "
        f"{html.escape(info.get('scope', ''))}.</p>"
        f"<p><a id='continue' href='{safe}'>Continue</a></p></body></html>"
    )
    return html_response(200, body)


def redeem(
    sb: Sandbox,
    platform: str,
    *,
    code: str,
    redirect_uri: str,
    client_id: str | None,
    code_verifier: str | None,
) -> tuple[AuthCode | None, str]:
    """The stored code if everything matches, else (None, why)."""
    stored = sb.take_code(code)
    if stored is None or stored.platform != platform:
        return None, "authorization code is invalid, expired or already used"
    if stored.redirect_uri != redirect_uri:
        return None, "redirect_uri does not match the one used to authorize"
    if client_id and stored.client_id != client_id:
        return None, "client_id does not match the one used to authorize"
    if stored.code_challenge:
        if not code_verifier:
            return None, "code_verifier is required"
        if not pkce_matches(stored.code_challenge, stored.code_challenge_method, code_verifier):
            return None, "code_verifier does not match the code_challenge"
    return stored, ""


def pkce_matches(challenge: str, method: str | None, verifier: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        expected = verifier
    return hmac.compare_digest(expected, challenge)


def basic_credentials(req: Request) -> tuple[str, str] | None:
    auth = req.header("Authorization")
    if not auth.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password
