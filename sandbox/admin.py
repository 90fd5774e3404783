"""The sandbox's own endpoints under /_sandbox: ledger, faults, clock, tokens, feed pages."""

from __future__ import annotations

import html
import itertools
from typing import Any
from urllib.parse import quote

from sandbox import conversations as conv
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
    before = sb.now()
    try:
        sb.advance_clock(float(body.get("advance_s", 0)))
    except (TypeError, ValueError):
        return _bad("advance_s must be a number of seconds")
    # What appeared meanwhile is announced to accounts with a webhook_url.
    conv.send_webhooks(sb, conv.due_webhooks(sb, before))
    return json_response(200, {"now": sb.now().isoformat()})


# --- conversation: comments, mentions, reviews (sandbox.conversations) ----------


@admin.route("POST", r"/conversations")
def inject_conversation(sb: Sandbox, req: Request) -> Response:
    """Make comments, mentions or reviews appear now, as if people had just written them.

    {"platform", "kind": "comment"|"mention"|"review", "account"? (mentions, reviews),
    "post_id"? (comments: one of our live posts), "parent_id"? (a reply in that comment's
    thread), "count"? (1), "text"?, "rating"? (reviews, 1-5), "author_name"?}
    -> {"ids": [...], "items": [...]} (items left out past 100)
    """
    body = req.json
    if not isinstance(body, dict):
        return _bad("expected a JSON object")
    try:
        count = int(body.get("count", 1))
        rating = None if body.get("rating") is None else int(body["rating"])
        made = conv.inject(
            sb,
            platform=str(body.get("platform", "")),
            account=body.get("account"),
            kind=str(body.get("kind", "")),
            post_id=body.get("post_id"),
            parent_id=body.get("parent_id"),
            count=count,
            text=body.get("text"),
            rating=rating,
            author_name=body.get("author_name"),
        )
    except (TypeError, ValueError) as exc:
        return _bad(str(exc) or "count and rating must be numbers")
    conv.send_webhooks(sb, made)
    now = sb.now()
    answer: dict[str, Any] = {"ids": [item.id for item in made]}
    if len(made) <= 100:
        answer["items"] = [item.to_json(now) for item in made]
    return json_response(200, answer)


@admin.route("GET", r"/conversations")
def list_conversation(sb: Sandbox, req: Request) -> Response:
    """What a platform shows now: ?platform= and either post_id= (a post's comments) or
    account= and kind=; include_deleted=1 adds what was deleted (flagged)."""
    q = req.query
    platform = q.get("platform", "")
    if platform not in conv.KINDS:
        return _bad(f"platform must be one of {tuple(conv.KINDS)}")
    now = sb.now()
    deleted = q.get("include_deleted") in ("1", "true")
    if q.get("post_id"):
        post = sb.get_post(platform, q["post_id"], include_deleted=True)
        if post is None:
            return _bad("no such post")
        conv.draw_post(sb, post)
        with sb.lock:
            items = list(conv.store(sb).by_post.get((platform, post.id), ()))
    else:
        account, kind = q.get("account", ""), q.get("kind", "")
        if not account or kind not in conv.KINDS[platform]:
            return _bad(f"account and kind (one of {conv.KINDS[platform]}) are required")
        if kind == "comment":
            for post in sb.recent_posts(platform, account):
                conv.draw_post(sb, post)
        with sb.lock:
            items = list(conv.account_items(sb, platform, account, kind))
    shown = [i.to_json(now) for i in items if i.created_at <= now and (deleted or i.visible(now))]
    return json_response(200, {"count": len(shown), "items": shown})


@admin.route("POST", r"/conversations/([^/]+)/(.+)")
def edit_conversation(sb: Sandbox, req: Request, platform: str, item_id: str) -> Response:
    """Edit one item now: {"text"?, "rating"?, "hidden"?} -> the item."""
    item = conv.live(sb, platform, item_id)
    if item is None:
        return json_response(404, {"error": f"no live {platform} item {item_id!r}"})
    body = req.json if isinstance(req.json, dict) else {}
    rating = body.get("rating")
    if rating is not None and (item.kind != "review" or rating not in (1, 2, 3, 4, 5)):
        return _bad("rating is 1 to 5, for reviews only")
    if "text" in body or rating is not None:
        conv.edit(sb, item, None if body.get("text") is None else str(body["text"]), rating)
    if "hidden" in body:
        with sb.lock:
            item.hidden = bool(body["hidden"])
    return json_response(200, item.to_json(sb.now()))


@admin.route("DELETE", r"/conversations/([^/]+)/(.+)")
def delete_conversation(sb: Sandbox, req: Request, platform: str, item_id: str) -> Response:
    item = conv.live(sb, platform, item_id)
    if item is None:
        return json_response(404, {"error": f"no live {platform} item {item_id!r}"})
    conv.delete(sb, item)
    return json_response(200, {"deleted": True})


@admin.route("GET", r"/webhooks")
def webhooks(sb: Sandbox, req: Request) -> Response:
    """The webhook deliveries made (the newest 200): url, item, payload, status."""
    with sb.lock:
        deliveries = list(conv.store(sb).deliveries)
    return json_response(200, {"deliveries": deliveries})


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
    "p.text{white-space:pre-wrap}.gone{opacity:.5}ul.talk{list-style:none;padding-left:1rem;"
    "border-left:3px solid #e3e7ee;font-size:.92rem}ul.talk p{white-space:pre-wrap;margin:.2rem 0;"
    "overflow-wrap:anywhere}.ours{background:#f1f6ff}.stars{color:#b7791f}</style>"
)
# Comments shown under a post, mentions and reviews on an account's page, before "+N more".
SHOWN = 50


def _page(title: str, body: str, refresh: bool = False) -> Response:
    meta = "<meta http-equiv='refresh' content='5'>" if refresh else ""
    return html_response(
        200,
        (
            f"<!doctype html><html><head><meta charset='utf-8'>{meta}<title>{html.escape(title)}"
            f"</title>{_STYLE}</head><body>{body}</body></html>"
        ),
    )


def _talk(item: conv.Item, now: Any, replies: list[conv.Item] | None = None) -> str:
    """One comment, mention or review, its text escaped (it is hostile on purpose)."""
    notes = []
    if item.from_us:
        notes.append("our reply")
    if item.hidden:
        notes.append("hidden")
    if item.updated_at(now) != item.created_at:
        notes.append("edited")
    rating = item.rating_at(now)
    stars = (
        f"<span class='stars' aria-label='{rating} of 5 stars'>{'★' * rating}{'☆' * (5 - rating)}"
        "</span> "
        if rating
        else ""
    )
    note = f" &middot; {html.escape(', '.join(notes))}" if notes else ""
    reply = item.reply_at(now)
    owner = (
        f"<ul class='talk'><li class='ours'><time>{reply.at:%Y-%m-%d %H:%M} UTC</time> &middot; "
        f"owner's reply<p>{html.escape(reply.text)}</p></li></ul>"
        if reply
        else ""
    )
    nested = ""
    if replies:
        nested = "<ul class='talk'>" + "".join(_talk(r, now) for r in replies) + "</ul>"
    css = " class='ours'" if item.from_us else ""
    return (
        f"<li{css} id='{html.escape(item.id)}'>{stars}<strong>{html.escape(item.author_name)}"
        f"</strong> <time>{item.created_at:%Y-%m-%d %H:%M} UTC</time>{note}"
        f"<p>{html.escape(item.text_at(now))}</p>{owner}{nested}</li>"
    )


def _thread(sb: Sandbox, post: Post) -> str:
    """A post's comments, each with the replies in its thread."""
    if post.platform not in conv.COMMENT_PLATFORMS or post.deleted_at:
        return ""
    items = conv.comments_of(sb, post)
    tops = [i for i in items if not i.parent_id]
    if not tops:
        return ""
    now = sb.now()
    under: dict[str, list[conv.Item]] = {}
    for item in items:
        if item.parent_id:
            under.setdefault(item.parent_id, []).append(item)
    shown = "".join(_talk(i, now, under.get(i.id)) for i in tops[:SHOWN])
    more = f"<li>+{len(tops) - SHOWN} more</li>" if len(tops) > SHOWN else ""
    return f"<ul class='talk' aria-label='Comments'>{shown}{more}</ul>"


def _account_talk(sb: Sandbox, platform: str, account: str) -> str:
    """An account's mentions, or a location's reviews, newest first."""
    kind = "review" if platform == "google_business" else "mention"
    if kind not in conv.KINDS.get(platform, ()):
        return ""
    now = sb.now()
    items = list(itertools.islice(conv.newest_first(sb, platform, account, kind), SHOWN + 1))
    if not items:
        return ""
    title = "Reviews" if kind == "review" else "Mentions"
    rows = "".join(_talk(i, now) for i in items[:SHOWN])
    more = "<li>+ more (the newest are shown)</li>" if len(items) > SHOWN else ""
    return f"<h2>{title}</h2><ul class='talk'>{rows}{more}</ul>"


def _article(post: Post, sb: Sandbox | None = None) -> str:
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
    talk = _thread(sb, post) if sb is not None else ""
    return (
        f"<article{gone} id='{html.escape(post.id)}'><time>{post.created_at:%Y-%m-%d %H:%M:%S} UTC"
        f"</time>{note}<p class='text'>{html.escape(post.text)}</p>{images}{talk}</article>"
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
    with sb.lock:
        reviewed = [a for (p, a, k) in conv.store(sb).drawn_until if k == "review"]
    listed = sb.accounts_with_posts()
    known = {(p, a) for p, a, _ in listed}
    listed += [("google_business", a, 0) for a in reviewed if ("google_business", a) not in known]
    rows = "".join(
        f"<li><a href='/_sandbox/feed/{platform}/{quote(account, safe='/:')}'>"
        f"{html.escape(platform)} &middot; {html.escape(account)}</a> ({count})</li>"
        for platform, account, count in sorted(listed)
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
    articles = "".join(_article(p, sb) for p in reversed(posts)) or "<p>No posts yet.</p>"
    title = f"{platform} · {account}"
    return _page(
        title,
        f"<p><a href='/_sandbox/'>All accounts</a></p><h1>{html.escape(title)}</h1>{articles}"
        f"{_account_talk(sb, platform, account)}",
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
            f"<p><a href='{link}'>{html.escape(post.account)}</a></p>" + _article(post, sb),
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
