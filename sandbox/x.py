"""X API v2: posts, media upload, timelines, problem+json errors, OAuth 2.0 with PKCE."""

from __future__ import annotations

import hashlib
import html
from datetime import datetime, timedelta
from typing import Any

from platforms.text import find_urls, x_weighted_length
from sandbox.core import (
    Request,
    Response,
    Router,
    cursor_page,
    iso,
    json_response,
)
from sandbox.gate import ErrorContext, context, finish_create, finish_upload, gate
from sandbox.media import inspect, inspect_video
from sandbox.oauth import basic_credentials, consent_page, redeem
from sandbox.state import Post, Sandbox
from sandbox.users import X_USER

PROBLEM = "application/problem+json"
WINDOW = 15 * 60
POST_LIMIT = 200
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_MEDIA = 4
# Chunked video upload (media_category tweet_video).
MAX_VIDEO_BYTES = 512 * 1024 * 1024
MAX_SEGMENT_BYTES = 5 * 1024 * 1024
MAX_SEGMENT_INDEX = 999
VIDEO_TYPES = ("video/mp4", "video/quicktime")
VIDEO_SECONDS = (0.5, 140.0)
MEDIA_TTL = 24 * 3600  # an upload, and the media id after FINALIZE, last a day
CHECK_AFTER_S = 1
# X's own example of a video it could not process.
UNSUPPORTED = {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"}
ACCESS_TTL = 2 * 3600
REFRESH_TTL = 180 * 24 * 3600

api = Router()
www = Router()


def problem(
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {"title": title, "detail": detail, "type": type_, "status": status, **extra}
    return json_response(status, body, headers, content_type=PROBLEM)


class XDialect:
    platform = "x"
    in_band = frozenset()

    def error(self, kind: str, ctx: ErrorContext) -> Response | None:
        if kind in ("unauthenticated", "token_expired", "permission_revoked"):
            return problem(401, "Unauthorized", "Unauthorized")
        if kind == "throttled":
            reset = int(ctx.now.timestamp() + ctx.retry_after_s)
            return problem(
                429,
                "Too Many Requests",
                "Too Many Requests",
                headers={
                    "x-rate-limit-limit": str(POST_LIMIT),
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": str(reset),
                },
            )
        if kind == "transient":
            return problem(503, "Service Unavailable", "Service Unavailable")
        if kind == "server_error":
            return problem(500, "Internal Server Error", "Internal Server Error")
        if kind == "rejected":
            return problem(403, "Forbidden", "You are not permitted to perform this action.")
        if kind == "duplicate":
            return problem(
                403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
            )
        raise ValueError(kind)


X = XDialect()


def _user_for(sb: Sandbox, req: Request) -> str:
    """X knows the author from the token; tokens we never issued act as the test user."""
    info = sb.token(req.bearer)
    return info.account if info and info.account else X_USER["id"]


def _rate_window(sb: Sandbox, user: str, *, spend: bool) -> tuple[dict[str, int], bool]:
    """The user's POST /2/tweets window; (window, allowed)."""
    knobs = sb.knobs("x", user)
    now = int(sb.now().timestamp())
    with sb.lock:
        window = sb.x_windows.get(user)
        if window is None or window["reset"] <= now:
            limit = int(knobs["quota_limit"] or POST_LIMIT)
            remaining = limit if knobs["quota"] is None else int(knobs["quota"])
            window = {"limit": limit, "remaining": remaining, "reset": now + WINDOW}
            sb.x_windows[user] = window
        if window["remaining"] <= 0:
            return dict(window), False
        if spend:
            window["remaining"] -= 1
        return dict(window), True


def _rate_headers(window: dict[str, int]) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(window["limit"]),
        "x-rate-limit-remaining": str(max(0, window["remaining"])),
        "x-rate-limit-reset": str(window["reset"]),
    }


def _shortened(text: str) -> str:
    """What X shows: every link wrapped in t.co, and &, <, > HTML-escaped."""
    out, pos = [], 0
    for start, end in find_urls(text):
        out.append(html.escape(text[pos:start], quote=False))
        digest = hashlib.sha1(text[start:end].encode(), usedforsecurity=False).hexdigest()[:10]
        out.append(f"https://t.co/{digest}")
        pos = end
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def tweet_json(sb: Sandbox, post: Post) -> dict[str, Any]:
    m = sb.metrics_of(post)
    body: dict[str, Any] = {
        "id": post.id,
        "text": _shortened(post.text),
        "created_at": iso(post.created_at),
        "author_id": post.account,
        "edit_history_tweet_ids": [post.id],
        "public_metrics": {
            "retweet_count": m["shares"],
            "reply_count": m["comments"],
            "like_count": m["likes"],
            "quote_count": 0,
            "bookmark_count": m["saves"],
            "impression_count": m["impressions"],
        },
    }
    if post.extra.get("media_keys"):
        body["attachments"] = {"media_keys": post.extra["media_keys"]}
    return body


@api.route("POST", r"/2/tweets")
def create_tweet(sb: Sandbox, req: Request) -> Response:
    user = _user_for(sb, req)
    refused = gate(sb, req, X, user, content=True, create=True)
    if refused:
        return refused
    body = req.json
    if not isinstance(body, dict):
        return problem(
            400,
            "Invalid Request",
            "One or more parameters to your request was invalid.",
            "https://api.twitter.com/2/problems/invalid-request",
        )
    text = str(body.get("text", ""))
    media_ids = [str(i) for i in ((body.get("media") or {}).get("media_ids") or [])]
    if not text and not media_ids:
        return _invalid("text", "Text or media is required.")
    if x_weighted_length(text) > 280:
        return problem(
            403,
            "Forbidden",
            "Your Tweet text is too long. For more information on "
            "how X determines text length see https://github.com/twitter/twitter-text.",
        )
    if len(media_ids) > MAX_MEDIA:
        return _invalid("media.media_ids", f"size must be between 1 and {MAX_MEDIA}")
    with sb.lock:
        unknown = [m for m in media_ids if m not in sb.x_media]
        videos = [sb.x_media[m]["video"] for m in media_ids if "video" in sb.x_media.get(m, {})]
    if unknown:
        return _invalid("media.media_ids", f"Media id {unknown[0]} is invalid or expired.")
    if videos and len(media_ids) > 1:
        return _invalid("media.media_ids", "A video cannot be combined with other media.")
    window, allowed = _rate_window(sb, user, spend=False)
    if not allowed:
        return problem(429, "Too Many Requests", "Too Many Requests", headers=_rate_headers(window))
    if sb.find_duplicate("x", user, text):
        return X.error("duplicate", context(sb, "x", user)) or _invalid("text", "duplicate")
    window, _ = _rate_window(sb, user, spend=True)
    post = sb.add_post(
        Post(
            platform="x",
            account=user,
            id=sb.new_id(1_860_000_000_000_000_000),
            text=text,
            media_count=len(media_ids),
            created_at=sb.now(),
            token=req.bearer,
            extra=(
                {"media_keys": [f"7_{m}" for m in media_ids], "video": videos[0]}
                if videos
                else {"media_keys": [f"3_{m}" for m in media_ids]}
            ),
        )
    )
    post.permalink = f"{req.base_url}/x_www/i/web/status/{post.id}"
    created = json_response(
        201,
        {"data": {"id": post.id, "text": text, "edit_history_tweet_ids": [post.id]}},
        _rate_headers(window),
    )
    return finish_create(sb, req, X, created)


def _invalid(parameter: str, message: str) -> Response:
    return problem(
        400,
        "Invalid Request",
        "One or more parameters to your request was invalid.",
        "https://api.twitter.com/2/problems/invalid-request",
        errors=[{"parameters": {parameter: []}, "message": message}],
    )


def _not_found(tweet_id: str) -> Response:
    # X answers 200 with an errors array (no data) for a missing post.
    return json_response(
        200,
        {
            "errors": [
                {
                    "value": tweet_id,
                    "detail": f"Could not find tweet with id: [{tweet_id}].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": "id",
                    "resource_id": tweet_id,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            ]
        },
    )


def _fields(req: Request, body: dict[str, Any]) -> dict[str, Any]:
    """id, text and edit history always; the rest only when asked for in tweet.fields."""
    wanted = set(req.query.get("tweet.fields", "").split(","))
    return {
        k: v
        for k, v in body.items()
        if k in ("id", "text", "edit_history_tweet_ids") or k in wanted
    }


@api.route("GET", r"/2/tweets/(\d+)")
def read_tweet(sb: Sandbox, req: Request, tweet_id: str) -> Response:
    post = sb.get_post("x", tweet_id)
    refused = gate(sb, req, X, post.account if post else _user_for(sb, req))
    if refused:
        return refused
    if post is None:
        return _not_found(tweet_id)
    return json_response(200, {"data": _fields(req, tweet_json(sb, post))})


@api.route("DELETE", r"/2/tweets/(\d+)")
def delete_tweet(sb: Sandbox, req: Request, tweet_id: str) -> Response:
    post = sb.get_post("x", tweet_id)
    refused = gate(sb, req, X, post.account if post else _user_for(sb, req))
    if refused:
        return refused
    if post is None:
        return json_response(200, {"data": {"deleted": False}})
    sb.delete_post(post)
    return json_response(200, {"data": {"deleted": True}})


@api.route("GET", r"/2/users/(\d+)/tweets")
def user_tweets(sb: Sandbox, req: Request, user: str) -> Response:
    refused = gate(sb, req, X, user)
    if refused:
        return refused
    q = req.query
    try:
        limit = int(q.get("max_results", "10"))
    except ValueError:
        limit = 0
    if not 5 <= limit <= 100:
        return _invalid(
            "max_results", "The `max_results` query parameter value must be between 5 and 100"
        )
    start = None
    if q.get("start_time"):
        try:
            start = datetime.fromisoformat(q["start_time"].replace("Z", "+00:00"))
        except ValueError:
            return _invalid("start_time", "start_time must be YYYY-MM-DDTHH:mm:ssZ")
    posts = [p for p in sb.recent_posts("x", user) if start is None or p.created_at >= start]
    page, next_token = cursor_page(posts, q.get("pagination_token"), limit)
    rows = [_fields(req, tweet_json(sb, p)) for p in page]
    meta: dict[str, Any] = {"result_count": len(rows)}
    if next_token:
        meta["next_token"] = next_token
    if rows:
        meta.update(newest_id=rows[0]["id"], oldest_id=rows[-1]["id"])
        return json_response(200, {"data": rows, "meta": meta})
    return json_response(200, {"meta": meta})


@api.route("POST", r"/2/media/upload")
def upload_media(sb: Sandbox, req: Request) -> Response:
    user = _user_for(sb, req)
    refused = gate(sb, req, X, user, content=True)
    if refused:
        return refused
    part = req.multipart.get("media")
    if part is None or not part.data:
        return _invalid("media", "media is required")
    info = inspect(part.data)
    if info.size > MAX_IMAGE_BYTES or info.format not in ("JPEG", "PNG", "GIF", "WEBP"):
        return _invalid("media", "Images must be JPEG, PNG, GIF or WEBP and at most 5 MB.")
    media_id = sb.new_id(1_870_000_000_000_000_000)
    with sb.lock:
        sb.x_media[media_id] = {"user": user, "alt_text": "", "created_at": sb.now()}
    uploaded = json_response(
        200,
        {
            "data": {
                "id": media_id,
                "media_key": f"3_{media_id}",
                "size": info.size,
                "expires_after_secs": 86400,
                "image": {
                    "image_type": f"image/{info.format.lower()}",
                    "w": info.width,
                    "h": info.height,
                },
            }
        },
    )
    return finish_upload(sb, req, uploaded)


# --- chunked video upload ----------------------------------------------------
# The dedicated v2 endpoints (initialize, {id}/append, {id}/finalize) and
# STATUS on GET /2/media/upload. Uploads in progress live in sb.video_uploads
# under "x:<media id>"; what arrived whole, as ffprobe read it, in sb.videos.


def _upload_of(sb: Sandbox, media_id: str, user: str) -> dict[str, Any] | None:
    with sb.lock:
        record = sb.video_uploads.get(f"x:{media_id}")
    if record is None or record["user"] != user or record["expires_at"] <= sb.now():
        return None
    return record


def _expired(media_id: str) -> Response:
    return _invalid("media_id", f"Media id {media_id} is invalid or expired.")


@api.route("POST", r"/2/media/upload/initialize")
def initialize_video(sb: Sandbox, req: Request) -> Response:
    user = _user_for(sb, req)
    refused = gate(sb, req, X, user, content=True)
    if refused:
        return refused
    body = req.json if isinstance(req.json, dict) else req.params
    media_type = str(body.get("media_type", ""))
    category = str(body.get("media_category") or "tweet_video")
    try:
        total = int(body.get("total_bytes", 0))
    except (TypeError, ValueError):
        total = 0
    if media_type not in VIDEO_TYPES:
        return _invalid("media_type", f"media_type must be one of {', '.join(VIDEO_TYPES)}")
    if category not in ("tweet_video", "amplify_video"):
        return _invalid("media_category", f"Unsupported media_category {category}")
    if not 0 < total <= MAX_VIDEO_BYTES:
        return _invalid("total_bytes", f"total_bytes must be between 1 and {MAX_VIDEO_BYTES}")
    media_id = sb.new_id(1_880_000_000_000_000_000)
    now = sb.now()
    with sb.lock:
        sb.video_uploads[f"x:{media_id}"] = {
            "user": user,
            "media_type": media_type,
            "category": category,
            "total_bytes": total,
            "created_at": now,
            "expires_at": now + timedelta(seconds=MEDIA_TTL),
            "state": "uploading",  # then processing, succeeded or failed
            "segments": {},  # segment index -> bytes, until FINALIZE
            "stored": [],  # segment indexes in the order they were stored
            "dropped": [],  # part numbers (1-based) whose request was dropped
        }
    started = json_response(
        200,
        {"data": {"id": media_id, "media_key": f"7_{media_id}", "expires_after_secs": MEDIA_TTL}},
    )
    return finish_upload(sb, req, started)


@api.route("POST", r"/2/media/upload/(\d+)/append")
def append_video(sb: Sandbox, req: Request, media_id: str) -> Response:
    user = _user_for(sb, req)
    refused = gate(sb, req, X, user, content=True)
    if refused:
        return refused
    record = _upload_of(sb, media_id, user)
    if record is None:
        return _expired(media_id)
    part = req.multipart.get("media")
    if part is None or not part.data:
        return _invalid("media", "media is required")
    try:
        index = int(req.params.get("segment_index", ""))
    except ValueError:
        index = -1
    if not 0 <= index <= MAX_SEGMENT_INDEX:
        return _invalid("segment_index", f"segment_index must be between 0 and {MAX_SEGMENT_INDEX}")
    if len(part.data) > MAX_SEGMENT_BYTES:
        return _invalid("media", f"File size exceeds {MAX_SEGMENT_BYTES} bytes.")
    lost = sb.knobs("x", user)["lost_part"]
    with sb.lock:
        if record["state"] != "uploading":
            finalized = True
        else:
            finalized = False
            if lost == index + 1 and lost not in record["dropped"]:
                # The lost_part fault: the request arrived, the segment is not
                # kept and no answer goes back (once per upload).
                record["dropped"].append(lost)
                return Response(status=0, drop=True)
            record["segments"][index] = part.data  # sent again: replaced, not added
            record["stored"].append(index)
    if finalized:
        return _invalid("media_id", f"Media id {media_id} was already finalized.")
    return json_response(200, {"data": {"expires_at": int(record["expires_at"].timestamp())}})


@api.route("POST", r"/2/media/upload/(\d+)/finalize")
def finalize_video(sb: Sandbox, req: Request, media_id: str) -> Response:
    user = _user_for(sb, req)
    refused = gate(sb, req, X, user, content=True)
    if refused:
        return refused
    record = _upload_of(sb, media_id, user)
    if record is None:
        return _expired(media_id)
    with sb.lock:
        already = record["state"] != "uploading"
        segments = dict(record["segments"])
    if already:  # FINALIZE again (its answer was lost): where processing stands
        return _status(sb, media_id, record, advance=False)
    if sorted(segments) != list(range(len(segments))) or sum(
        len(data) for data in segments.values()
    ) != int(record["total_bytes"]):
        return _invalid("media_id", "Segments do not add up to provided total file size.")
    # Outside the lock: ffprobe takes a moment.
    info = inspect_video(b"".join(segments[i] for i in range(len(segments))))
    knobs = sb.knobs("x", user)
    error = None
    if knobs["video_processing_fails"] or not info.format:
        error = UNSUPPORTED
    elif not VIDEO_SECONDS[0] <= info.duration <= VIDEO_SECONDS[1]:
        # (unconfirmed wording)
        error = {
            **UNSUPPORTED,
            "message": "Video duration must be between 0.5 seconds and 140 seconds",
        }
    with sb.lock:
        record.update(
            state="processing",
            segments={},
            size=info.size,
            video=info.to_json(),
            error=error,
            polls_left=int(knobs["video_processing_polls"] or 0),
            expires_at=sb.now() + timedelta(seconds=MEDIA_TTL),
        )
        sb.videos[f"x:{media_id}"] = info.to_json()
    return _status(sb, media_id, record, advance=False)


@api.route("GET", r"/2/media/upload")
def video_status(sb: Sandbox, req: Request) -> Response:
    user = _user_for(sb, req)
    refused = gate(sb, req, X, user)
    if refused:
        return refused
    if req.query.get("command") != "STATUS":
        return _invalid("command", "command must be STATUS")
    media_id = req.query.get("media_id", "")
    record = _upload_of(sb, media_id, user)
    if record is None:
        return _expired(media_id)
    if record["state"] == "uploading":
        return _invalid("media_id", f"Media id {media_id} has not been finalized.")
    return _status(sb, media_id, record, advance=True)


def _status(sb: Sandbox, media_id: str, record: dict[str, Any], *, advance: bool) -> Response:
    """processing_info as FINALIZE and STATUS answer it; a STATUS check moves it on.

    The video_processing_polls knob: that many checks still answer in_progress.
    Then it succeeds (the id may go on a post) or fails in X's own words.
    """
    with sb.lock:
        if record["state"] == "processing" and advance:
            if record["polls_left"] > 0:
                record["polls_left"] -= 1
                record["checked"] = record.get("checked", 0) + 1
            elif record["error"]:
                record["state"] = "failed"
            else:
                record["state"] = "succeeded"
                sb.x_media[media_id] = {
                    "user": record["user"],
                    "alt_text": "",
                    "created_at": sb.now(),
                    "video": record["video"],
                }
        state = record["state"]
        checked = record.get("checked", 0)
        remaining = int((record["expires_at"] - sb.now()).total_seconds())
    info: dict[str, Any] = {"state": state}
    if state == "processing":
        info = {
            "state": "in_progress" if checked else "pending",
            "check_after_secs": CHECK_AFTER_S,
            "progress_percent": min(95, 10 + 20 * checked),
        }
    elif state == "failed":
        info = {"state": "failed", "progress_percent": 12, "error": record["error"]}
    else:
        info = {"state": "succeeded", "progress_percent": 100}
    return json_response(
        200,
        {
            "data": {
                "id": media_id,
                "media_key": f"7_{media_id}",
                "size": record.get("size", record["total_bytes"]),
                "expires_after_secs": max(0, remaining),
                "processing_info": info,
            }
        },
    )


@api.route("POST", r"/2/media/metadata")
def media_metadata(sb: Sandbox, req: Request) -> Response:
    user = _user_for(sb, req)
    refused = gate(sb, req, X, user)
    if refused:
        return refused
    body = req.json or {}
    media_id = str(body.get("id", ""))
    alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text", "")
    with sb.lock:
        record = sb.x_media.get(media_id)
        if record is not None:
            record["alt_text"] = alt
    if record is None:
        return _invalid("id", f"Media id {media_id} is invalid or expired.")
    return json_response(
        200, {"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": alt}}}}
    )


@api.route("GET", r"/2/users/me")
def users_me(sb: Sandbox, req: Request) -> Response:
    user = _user_for(sb, req)
    refused = gate(sb, req, X, user)
    if refused:
        return refused
    data: dict[str, Any] = (
        dict(X_USER)
        if user == X_USER["id"]
        else {"id": user, "name": f"User {user}", "username": f"user{user}"}
    )
    if "public_metrics" in req.query.get("user.fields", "").split(","):
        followers = sb.account_figures("x", user)["followers"]
        data["public_metrics"] = {
            "followers_count": followers,
            "following_count": followers // 10,
            "tweet_count": len(sb.recent_posts("x", user)),
            "listed_count": followers // 200,
        }
    return json_response(200, {"data": data})


# --- OAuth 2.0 ---------------------------------------------------------------


@www.route("GET", r"/i/oauth2/authorize")
def authorize(sb: Sandbox, req: Request) -> Response:
    return consent_page(sb, req, "x", pkce="required")


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response(status, {"error": error, "error_description": description})


@api.route("POST", r"/2/oauth2/token")
def token(sb: Sandbox, req: Request) -> Response:
    form = req.form
    basic = basic_credentials(req)
    client_id = basic[0] if basic else form.get("client_id", "")
    if not client_id:
        return _oauth_error("unauthorized_client", "Missing valid authorization header", 401)
    grant = form.get("grant_type")
    if grant == "authorization_code":
        stored, why = redeem(
            sb,
            "x",
            code=form.get("code", ""),
            redirect_uri=form.get("redirect_uri", ""),
            client_id=client_id,
            code_verifier=form.get("code_verifier"),
        )
        if stored is None:
            return _oauth_error("invalid_request", f"Value passed for the token was invalid: {why}")
        return _issue(sb, stored.scope, X_USER["id"])
    if grant == "refresh_token":
        refresh = form.get("refresh_token", "")
        info = sb.token(refresh)
        if not refresh or sb.token_problem(refresh) or (info and info.kind != "refresh"):
            return _oauth_error("invalid_request", "Value passed for the token was invalid.")
        sb.revoke(refresh)  # X refresh tokens are single use: each refresh rotates it
        return _issue(
            sb,
            info.scopes if info else "tweet.read tweet.write users.read offline.access media.write",
            info.account if info else X_USER["id"],
        )
    return _oauth_error("invalid_request", f"grant_type {grant!r} is not supported")


def _issue(sb: Sandbox, scopes: str, user: str) -> Response:
    access = sb.issue_token("x", "access", prefix="", ttl=ACCESS_TTL, account=user, scopes=scopes)
    body: dict[str, Any] = {
        "token_type": "bearer",
        "expires_in": ACCESS_TTL,
        "access_token": access,
        "scope": scopes,
    }
    if "offline.access" in scopes.split():
        body["refresh_token"] = sb.issue_token(
            "x", "refresh", prefix="", ttl=REFRESH_TTL, account=user, scopes=scopes
        )
    return json_response(200, body)


ROUTERS = {"x_api": api, "x_www": www}
