"""X API v2: posts, media upload, timelines, problem+json errors, OAuth 2.0 with PKCE."""

from __future__ import annotations

import hashlib
import heapq
import html
import re
from datetime import datetime, timedelta
from typing import Any

from platforms.text import find_urls, x_weighted_length
from sandbox import conversations as conv
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
    reply_to = str((body.get("reply") or {}).get("in_reply_to_tweet_id") or "")
    if reply_to:
        return _create_reply(sb, req, user, reply_to, text)
    if sb.find_duplicate("x", user, text):
        return X.error("duplicate", context(sb, "x", user)) or _invalid("text", "duplicate")
    window, _ = _rate_window(sb, user, spend=True)
    post = sb.add_post(
        Post(
            platform="x",
            account=user,
            # A snowflake, as X's ids are: time-ordered, so since_id works on them.
            id=conv.snowflake(sb.now(), int(sb.new_id(0))),
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
    item = conv.live(sb, "x", tweet_id) if post is None else None
    if item is not None:
        refused = gate(sb, req, X, item.account)
        return refused or json_response(200, {"data": _fields(req, item_json(sb, item))})
    refused = gate(sb, req, X, post.account if post else _user_for(sb, req))
    if refused:
        return refused
    if post is None:
        return _not_found(tweet_id)
    return json_response(200, {"data": _fields(req, tweet_json(sb, post))})


@api.route("DELETE", r"/2/tweets/(\d+)")
def delete_tweet(sb: Sandbox, req: Request, tweet_id: str) -> Response:
    post = sb.get_post("x", tweet_id)
    item = conv.live(sb, "x", tweet_id) if post is None else None
    if item is not None:
        refused = gate(sb, req, X, item.account)
        if refused:
            return refused
        if item.author_id != _user_for(sb, req):
            # (unconfirmed wording) Only the author deletes a post on X.
            return problem(
                403, "Forbidden", "You are not allowed to delete a Tweet you did not create."
            )
        conv.delete(sb, item)
        return json_response(200, {"data": {"deleted": True}})
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


# --- replies to our posts, mentions, hiding (sandbox.conversations) -------------
# GET /2/tweets/search/recent (conversation_id:, in_reply_to_tweet_id:, from:, OR;
# the last 7 days only), GET /2/users/{id}/mentions (since_id, until_id,
# pagination_token; the 800 newest), GET /2/tweets?ids= (lookup), PUT
# /2/tweets/{id}/hidden, and POST /2/tweets with reply.in_reply_to_tweet_id.

SEARCH_WINDOW = timedelta(days=7)
MENTIONS_KEPT = 800
QUERY_TERM = re.compile(r"(conversation_id|in_reply_to_tweet_id|from):(\S+)")
ORIGINALS = 280  # characters of a long post's `text`; the whole is in note_tweet


def _create_reply(sb: Sandbox, req: Request, user: str, reply_to: str, text: str) -> Response:
    post = sb.get_post("x", reply_to)
    target = conv.live(sb, "x", reply_to) if post is None else None
    if post is None and target is None:
        return problem(
            403,
            "Forbidden",
            "You attempted to reply to a Tweet that is deleted or not visible to you.",
        )
    _rate_window(sb, user, spend=True)
    reply = conv.add_reply(
        sb,
        platform="x",
        account=post.account if post is not None else target.account,  # type: ignore[union-attr]
        to=target,
        post_id=reply_to if post is not None else None,
        text=text,
        new_id=conv.snowflake(sb.now(), int(sb.new_id(0))),
    )
    if post is not None:
        reply.extra.update(
            conversation_id=post.id, in_reply_to_user_id=post.account, replied_to=post.id
        )
    created = json_response(
        201, {"data": {"id": reply.id, "text": text, "edit_history_tweet_ids": [reply.id]}}
    )
    return finish_create(sb, req, X, created)


def item_json(sb: Sandbox, item: conv.Item) -> dict[str, Any]:
    """A reply or mention as X shows it now: its latest version (an edit is a new id,
    edit_history_tweet_ids keeps the first), a long post cut in `text` and whole in
    note_tweet."""
    now = sb.now()
    versions = [item.id] + [
        v for v, e in zip(item.extra.get("versions", []), item.edits, strict=False) if e.at <= now
    ]
    edit = item.current(now)
    full = item.text_at(now)
    body: dict[str, Any] = {
        "id": versions[-1],
        "text": _shortened(full if len(full) <= ORIGINALS else full[:ORIGINALS] + "…"),
        "created_at": iso(edit.at if edit else item.created_at),
        "author_id": item.author_id,
        "conversation_id": item.extra.get("conversation_id", item.id),
        "edit_history_tweet_ids": versions,
        "public_metrics": {
            "retweet_count": 0,
            "reply_count": 0,
            "like_count": 0,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 0,
        },
    }
    if item.extra.get("replied_to"):
        body["in_reply_to_user_id"] = item.extra.get("in_reply_to_user_id")
        body["referenced_tweets"] = [{"type": "replied_to", "id": item.extra["replied_to"]}]
    if len(full) > ORIGINALS:
        body["note_tweet"] = {"text": _shortened(full)}
    return body


def _user_json(sb: Sandbox, user_id: str, name: str = "", username: str = "") -> dict[str, str]:
    if user_id == X_USER["id"]:
        return {"id": user_id, "name": X_USER["name"], "username": X_USER["username"]}
    return {
        "id": user_id,
        "name": name or f"User {user_id}",
        "username": username or f"user{user_id}",
    }


def _listing(sb: Sandbox, req: Request, rows: list[Any], next_token: str | None) -> Response:
    """data, includes.users (expansions=author_id) and meta, as X answers a list."""
    data = []
    users: dict[str, dict[str, str]] = {}
    for row in rows:
        if isinstance(row, conv.Item):
            data.append(_fields(req, item_json(sb, row)))
            users[row.author_id] = _user_json(
                sb, row.author_id, row.author_name, row.extra.get("username", "")
            )
        else:
            body = tweet_json(sb, row)
            body["conversation_id"] = row.id
            data.append(_fields(req, body))
            users[row.account] = _user_json(sb, row.account)
    meta: dict[str, Any] = {"result_count": len(data)}
    if next_token:
        meta["next_token"] = next_token
    if not data:
        return json_response(200, {"meta": meta})
    meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
    body: dict[str, Any] = {"data": data, "meta": meta}
    if "author_id" in req.query.get("expansions", "").split(","):
        wanted = set(req.query.get("user.fields", "").split(","))
        body["includes"] = {
            "users": [
                {k: v for k, v in u.items() if k in ("id", "name", "username") or k in wanted}
                for u in users.values()
            ]
        }
    return json_response(200, body)


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _parse_query(query: str) -> list[dict[str, str]] | None:
    """A search query as OR'ed clauses of AND'ed operator terms; None if not understood
    (the sandbox knows conversation_id:, in_reply_to_tweet_id: and from:)."""
    clauses = []
    for part in re.split(r"\s+OR\s+", query.strip().strip("()").strip()):
        terms = {}
        for token in part.strip().strip("()").split():
            match = QUERY_TERM.fullmatch(token)
            if not match:
                return None
            terms[match.group(1)] = match.group(2).lstrip("@")
        if not terms:
            return None
        clauses.append(terms)
    return clauses or None


@api.route("GET", r"/2/tweets/search/recent")
def search_recent(sb: Sandbox, req: Request) -> Response:
    user = _user_for(sb, req)
    refused = gate(sb, req, X, user)
    if refused:
        return refused
    q = req.query
    clauses = _parse_query(q.get("query", ""))
    if clauses is None:
        return _invalid(
            "query",
            f"There were errors processing your request: this sandbox does not understand "
            f"the query {q.get('query')!r}",
        )
    try:
        limit = int(q.get("max_results", "10"))
    except ValueError:
        limit = 0
    if not 10 <= limit <= 100:
        return _invalid(
            "max_results", "The `max_results` query parameter value must be between 10 and 100"
        )
    now = sb.now()
    oldest = now - SEARCH_WINDOW
    start = _time(q.get("start_time"))
    if start is not None and start < oldest:
        return _invalid(
            "start_time",
            f"Invalid 'start_time':'{q['start_time']}'. 'start_time' must be on or after "
            f"{oldest.strftime('%Y-%m-%dT%H:%MZ')}",
        )
    end = _time(q.get("end_time"))
    since = int(q["since_id"]) if q.get("since_id", "").isdigit() else None
    found: dict[str, Any] = {}
    for clause in clauses:
        for row in _candidates(sb, clause):
            created = row.created_at
            author = row.author_id if isinstance(row, conv.Item) else row.account
            if created < max(oldest, start or oldest) or (end and created > end):
                continue
            if "from" in clause and clause["from"] not in (author, _username(sb, row)):
                continue
            if since is not None and int(row.id) <= since:
                continue
            found[row.id] = row
    rows = sorted(found.values(), key=lambda r: (r.created_at, r.id), reverse=True)
    before = conv.decode_cursor(q.get("next_token"))
    if before is not None:
        rows = [r for r in rows if (conv.micros(r.created_at), int(r.id)) < before]
    chosen = rows[:limit]
    token = None
    if len(rows) > limit:
        last = chosen[-1]
        token = conv.encode_key((conv.micros(last.created_at), int(last.id)))
    return _listing(sb, req, chosen, token)


def _username(sb: Sandbox, row: Any) -> str:
    if isinstance(row, conv.Item):
        return str(row.extra.get("username") or conv.our_handle("x", row.author_id))
    return conv.our_handle("x", row.account)


def _candidates(sb: Sandbox, clause: dict[str, str]) -> list[Any]:
    """What one search clause can match: a conversation's posts, or the replies to one."""
    now = sb.now()
    if "conversation_id" in clause:
        root = clause["conversation_id"]
        rows: list[Any] = []
        post = sb.get_post("x", root)
        if post is not None:
            conv.draw_post(sb, post)
            rows.append(post)
        with sb.lock:
            rows += [i for i in conv.store(sb).by_post.get(("x", root), ()) if i.visible(now)]
        item = conv.live(sb, "x", root)
        if item is not None and item.id == root:
            rows.append(item)
        return rows
    if "in_reply_to_tweet_id" in clause:
        target_id = clause["in_reply_to_tweet_id"]
        target = conv.get(sb, "x", target_id)
        wanted = target.id if target is not None else target_id
        root = target.extra.get("conversation_id", target.id) if target else target_id
        post = sb.get_post("x", root)
        if post is not None:
            conv.draw_post(sb, post)
        with sb.lock:
            under = list(conv.store(sb).by_post.get(("x", root), ()))
        return [i for i in under if i.visible(now) and i.extra.get("replied_to") == wanted]
    return []


@api.route("GET", r"/2/users/(\d+)/mentions")
def user_mentions(sb: Sandbox, req: Request, user: str) -> Response:
    """Posts naming @user and replies to the user's posts, newest first."""
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
    since = int(q["since_id"]) if q.get("since_id", "").isdigit() else None
    until = int(q["until_id"]) if q.get("until_id", "").isdigit() else None
    before = conv.decode_cursor(q.get("pagination_token"))
    for post in sb.recent_posts("x", user):
        conv.draw_post(sb, post)
    streams = [
        conv.newest_first(sb, "x", user, "mention", before=before),
        (
            i
            for i in conv.newest_first(sb, "x", user, "comment", before=before)
            if not i.from_us and i.extra.get("in_reply_to_user_id") == user
        ),
    ]
    merged = heapq.merge(*streams, key=lambda i: i.key, reverse=True)
    rows = []
    for position, item in enumerate(merged):
        if position >= MENTIONS_KEPT or (since is not None and int(item.id) <= since):
            break
        if until is not None and int(item.id) >= until:
            continue
        rows.append(item)
        if len(rows) > limit:
            break
    chosen = rows[:limit]
    token = conv.encode_cursor(chosen[-1]) if len(rows) > limit else None
    return _listing(sb, req, chosen, token)


@api.route("GET", r"/2/tweets")
def lookup(sb: Sandbox, req: Request) -> Response:
    user = _user_for(sb, req)
    refused = gate(sb, req, X, user)
    if refused:
        return refused
    ids = [i for i in req.query.get("ids", "").split(",") if i]
    if not 1 <= len(ids) <= 100:
        return _invalid("ids", "ids must name between 1 and 100 posts")
    data, errors = [], []
    for tweet_id in ids:
        post = sb.get_post("x", tweet_id)
        item = conv.live(sb, "x", tweet_id) if post is None else None
        if post is not None:
            body = tweet_json(sb, post)
            body["conversation_id"] = post.id
            data.append(_fields(req, body))
        elif item is not None:
            data.append(_fields(req, item_json(sb, item)))
        else:
            errors.append(
                {
                    "value": tweet_id,
                    "detail": f"Could not find tweet with ids: [{tweet_id}].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": "ids",
                    "resource_id": tweet_id,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            )
    body: dict[str, Any] = {}
    if data:
        body["data"] = data
    if errors:
        body["errors"] = errors
    return json_response(200, body)


@api.route("PUT", r"/2/tweets/(\d+)/hidden")
def hide_reply(sb: Sandbox, req: Request, tweet_id: str) -> Response:
    """Hide (or show again) a reply in a conversation the caller started."""
    user = _user_for(sb, req)
    item = conv.live(sb, "x", tweet_id)
    refused = gate(sb, req, X, item.account if item else user)
    if refused:
        return refused
    body = req.json if isinstance(req.json, dict) else {}
    if not isinstance(body.get("hidden"), bool):
        return _invalid("hidden", "hidden must be true or false")
    root = sb.get_post("x", str(item.extra.get("conversation_id", ""))) if item else None
    if item is None or root is None or root.account != user or item.author_id == user:
        # (unconfirmed wording)
        return problem(403, "Forbidden", "You can only hide replies to conversations you started.")
    with sb.lock:
        item.hidden = body["hidden"]
    return json_response(200, {"data": {"hidden": item.hidden}})


ROUTERS = {"x_api": api, "x_www": www}
