"""The sandbox's own endpoints under /_sandbox: ledger, faults, clock, tokens, feed pages."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from sandbox.core import Request, Response, Router, html_response, json_response
from sandbox.state import PLATFORMS, KnobError, Post, Sandbox

admin = Router()

TOKEN_PREFIXES = {
    "facebook": "EAAP",
    "instagram": "IGAAL",
    "linkedin": "AQV",
    "x": "",
    "google_business": "ya29.",
}


def _bad(message: str) -> Response:
    return json_response(400, {"error": message})


@admin.route("GET", r"/ledger")
def ledger(sb: Sandbox, req: Request) -> Response:
    posts = sb.ledger_json(req.query.get("platform"), req.query.get("account"))
    return json_response(200, {"count": len(posts), "posts": posts})


@admin.route("GET", r"/calls")
def calls(sb: Sandbox, req: Request) -> Response:
    """How many calls each route answered since the last reset."""
    with sb.lock:
        counted = dict(sb.calls)
    return json_response(200, {"calls": counted})


@admin.route("POST", r"/reset")
def reset(sb: Sandbox, req: Request) -> Response:
    body = req.json if isinstance(req.json, dict) else {}
    sb.reset(body.get("seed"))
    return json_response(200, {"ok": True})


def _faults_json(sb: Sandbox) -> dict[str, Any]:
    with sb.lock:
        return {
            "seed": sb.seed,
            "clock_offset_s": sb.clock_offset.total_seconds(),
            "faults": sb.faults.as_json(),
        }


@admin.route("GET", r"/faults")
def get_faults(sb: Sandbox, req: Request) -> Response:
    return json_response(200, _faults_json(sb))


@admin.route("POST", r"/faults")
def set_faults(sb: Sandbox, req: Request) -> Response:
    body = req.json
    if not isinstance(body, dict):
        return _bad("expected a JSON object of knobs")
    body = dict(body)
    seed = body.pop("seed", None)
    platform = body.pop("platform", None)
    account = body.pop("account", None)
    platforms = [platform] if platform else list(PLATFORMS)
    try:
        with sb.lock:
            for name in platforms:
                sb.faults.update(name, account, body)
                # A new quota knob starts a new X rate-limit window.
                if "quota" in body or "quota_limit" in body:
                    for user in [account] if account else list(sb.x_windows):
                        sb.x_windows.pop(user, None)
    except KnobError as exc:
        return _bad(str(exc))
    if seed is not None:
        sb.reseed(int(seed))
    return json_response(200, _faults_json(sb))


@admin.route("DELETE", r"/faults")
def clear_faults(sb: Sandbox, req: Request) -> Response:
    with sb.lock:
        sb.faults.scopes.clear()
        sb.x_windows.clear()
    return json_response(200, _faults_json(sb))


@admin.route("POST", r"/clock")
def clock(sb: Sandbox, req: Request) -> Response:
    body = req.json if isinstance(req.json, dict) else {}
    try:
        sb.advance_clock(float(body.get("advance_s", 0)))
    except (TypeError, ValueError):
        return _bad("advance_s must be a number of seconds")
    return json_response(200, {"now": sb.now().isoformat()})


@admin.route("POST", r"/tokens")
def tokens(sb: Sandbox, req: Request) -> Response:
    """Mint a token bound to one account (X derives the author from the token)."""
    body = req.json if isinstance(req.json, dict) else {}
    platform = body.get("platform")
    if platform not in PLATFORMS:
        return _bad(f"platform must be one of {PLATFORMS}")
    ttl = body.get("ttl_s")
    token = sb.issue_token(
        platform,
        "access",
        prefix=TOKEN_PREFIXES[platform],
        ttl=None if ttl is None else float(ttl),
        account=str(body.get("account", "")),
        scopes=body.get("scopes", ""),
    )
    info = sb.token(token)
    refresh = sb.issue_token(
        platform,
        "refresh",
        prefix="R",
        ttl=None,
        account=str(body.get("account", "")),
        scopes=body.get("scopes", ""),
    )
    return json_response(
        200,
        {
            "access_token": token,
            "refresh_token": refresh,
            "expires_at": info.expires_at.isoformat() if info and info.expires_at else None,
        },
    )


@admin.route("POST", r"/revoke")
def revoke(sb: Sandbox, req: Request) -> Response:
    body = req.json if isinstance(req.json, dict) else {}
    if not body.get("token"):
        return _bad("token is required")
    sb.revoke(str(body["token"]))
    return json_response(200, {"revoked": True})


# --- pages for people ----------------------------------------------------------

_STYLE = (
    "<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;"
    "padding:0 1rem;color:#1d2330}article{border:1px solid #d8dde6;border-radius:8px;"
    "padding:.8rem 1rem;margin:.8rem 0}time{color:#667;font-size:.85rem}"
    "p.text{white-space:pre-wrap}.gone{opacity:.5}</style>"
)


def _page(title: str, body: str, refresh: bool = False) -> Response:
    meta = "<meta http-equiv='refresh' content='5'>" if refresh else ""
    return html_response(
        200,
        (
            f"<!doctype html><html><head><meta charset='utf-8'>{meta}<title>{html.escape(title)}"
            f"</title>{_STYLE}</head><body>{body}</body></html>"
        ),
    )


def _article(post: Post) -> str:
    gone = " class='gone'" if post.deleted_at or post.state == "REJECTED" else ""
    notes = []
    video = post.extra.get("video")
    if video:
        # What arrived, as ffprobe read it: the journey test and a person can
        # see it is the cleaned clip and carries no place.
        place = "a location in its tags" if video.get("has_location") else "no location"
        notes.append(
            f"a video ({video.get('video_codec')}, {video.get('width')}×{video.get('height')}, "
            f"{float(video.get('duration') or 0):.1f} s, {place})"
        )
    elif post.media_count:
        notes.append(f"{post.media_count} image{'s' if post.media_count > 1 else ''}")
    if post.state != "LIVE":
        notes.append(post.state.lower())
    if post.deleted_at:
        notes.append("deleted")
    note = f" &middot; {html.escape(', '.join(notes))}" if notes else ""
    images = "".join(
        f"<img src='/_sandbox/image/{quote(key)}' alt='Image {n} of the post' width='320'>"
        for n, key in enumerate(post.extra.get("images", []), start=1)
    )
    return (
        f"<article{gone} id='{html.escape(post.id)}'><time>{post.created_at:%Y-%m-%d %H:%M:%S} UTC"
        f"</time>{note}<p class='text'>{html.escape(post.text)}</p>{images}</article>"
    )


@admin.route("GET", r"/image/([^/]+)")
def image(sb: Sandbox, req: Request, key: str) -> Response:
    """An image a post came with, exactly as the platform received it."""
    data = sb.image(key)
    if data is None:
        return html_response(404, "<h1>No such image (only the newest are kept)</h1>")
    return Response(200, data, {"Content-Type": "image/jpeg"})


@admin.route("GET", r"/?")
def index(sb: Sandbox, req: Request) -> Response:
    rows = "".join(
        f"<li><a href='/_sandbox/feed/{platform}/{quote(account, safe='/:')}'>"
        f"{html.escape(platform)} &middot; {html.escape(account)}</a> ({count})</li>"
        for platform, account, count in sb.accounts_with_posts()
    )
    body = (
        "<h1>Sandbox platforms</h1><p>Accounts with posts:</p>"
        f"<ul>{rows or '<li>None yet.</li>'}</ul>"
        "<p><a href='/_sandbox/ledger'>Ledger (JSON)</a> &middot; "
        "<a href='/_sandbox/faults'>Fault knobs (JSON)</a></p>"
    )
    return _page("Sandbox platforms", body, refresh=True)


@admin.route("GET", r"/feed/([^/]+)/(.+)")
def feed(sb: Sandbox, req: Request, platform: str, account: str) -> Response:
    with sb.lock:
        posts = list(sb.by_account.get((platform, account), ()))
    articles = "".join(_article(p) for p in reversed(posts)) or "<p>No posts yet.</p>"
    title = f"{platform} · {account}"
    return _page(
        title,
        f"<p><a href='/_sandbox/'>All accounts</a></p><h1>{html.escape(title)}</h1>{articles}",
        refresh=True,
    )


def permalink_page(platform: str, key: str) -> Any:
    """A handler showing one post, for the permalinks the sandbox hands out."""

    def show(sb: Sandbox, req: Request, *parts: str) -> Response:
        with sb.lock:
            posts = list(sb.ledger)
        wanted = "/".join(parts)
        post = next((p for p in posts if p.platform == platform and _key(p, key) == wanted), None)
        if post is None:
            return html_response(404, "<h1>This content isn't available</h1>")
        link = f"/_sandbox/feed/{platform}/{quote(post.account, safe='/:')}"
        return _page(
            f"{platform} post",
            f"<p><a href='{link}'>{html.escape(post.account)}</a></p>" + _article(post),
        )

    return show


def _key(post: Post, key: str) -> str:
    if key == "fb":
        return post.id.replace("_", "/", 1)
    if key == "ig":
        return str(post.extra.get("shortcode"))
    if key == "google":
        return post.id.rsplit("/", 1)[-1]
    return post.id
