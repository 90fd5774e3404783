"""Facebook Pages: /feed, /photos, /videos (the resumable upload), posts, insights, delete."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sandbox import conversations as conv
from sandbox.core import (
    Request,
    Response,
    cursor_page,
    graph_time,
    json_response,
)
from sandbox.gate import context, finish_create, finish_upload, gate
from sandbox.graph_errors import FACEBOOK, graph_error, invalid_param, not_found
from sandbox.media import FetchError, fetch, inspect, inspect_video
from sandbox.state import Post, Sandbox

MAX_MESSAGE = 63_206
MAX_PHOTO_BYTES = 4 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "GIF", "TIFF", "WEBP", "HEIF"}
# Page videos: up to 10 GB (unconfirmed). Facebook decides the part sizes of
# an upload; the sandbox asks for about a quarter of the file at a time within
# these bounds, so a short test clip arrives in several parts and a long one in
# a few dozen.
MAX_VIDEO_BYTES = 10 * 1024**3
PART_MIN = 32 * 1024
PART_MAX = 4 * 1024 * 1024
# How long an upload session is honoured (Facebook does not say; unconfirmed).
UPLOAD_SESSION_LIFETIME = timedelta(hours=6)
OFFSET_MISMATCH = 1363037
# What a Video node has (asking a Video for a post's field, "message", is an error).
VIDEO_NODE_FIELDS = {
    "id",
    "description",
    "title",
    "created_time",
    "updated_time",
    "permalink_url",
    "length",
    "status",
    "published",
    "likes",
    "comments",
}
VIDEO_INSIGHT_METRICS = {"total_video_views": "impressions", "total_video_views_unique": "reach"}
UNREADABLE_VIDEO = {
    "code": 352,
    "message": "Sorry, the video file you selected is in a format that we don't support.",
}
PROCESSING_FAILED = {
    "code": 6000,
    "message": "There was a problem processing your video. Please try uploading it again.",
}
INSIGHT_METRICS = {
    "post_total_media_view_unique": "reach",
    "post_media_view": "impressions",
    "post_reactions_by_type_total": "likes",
    "post_clicks": "clicks",
}


def _published(params: dict[str, str]) -> bool:
    return params.get("published", "true").strip().lower() not in ("false", "0")


def _attached_media(params: dict[str, str]) -> list[str] | None:
    """attached_media arrives as a JSON array or as attached_media[N] fields."""
    ids: list[str] = []
    raw = params.get("attached_media")
    items: list[Any] = []
    if raw:
        try:
            items = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(items, list):
            return None
    else:
        indexed = sorted(
            (int(k[len("attached_media[") : -1]), v)
            for k, v in params.items()
            if k.startswith("attached_media[") and k.endswith("]") and k[15:-1].isdigit()
        )
        for _, value in indexed:
            try:
                items.append(json.loads(value))
            except ValueError:
                return None
    for item in items:
        if not isinstance(item, dict) or not item.get("media_fbid"):
            return None
        ids.append(str(item["media_fbid"]))
    return ids


def _new_post(sb: Sandbox, req: Request, page: str, text: str, media_count: int, **kw: Any) -> Post:
    number = sb.new_id()
    return sb.add_post(
        Post(
            platform="facebook",
            account=page,
            id=f"{page}_{number}",
            text=text,
            media_count=media_count,
            created_at=sb.now(),
            token=req.bearer,
            permalink=f"{req.base_url}/facebook_www/{page}/posts/{number}",
            **kw,
        )
    )


def create_feed_post(sb: Sandbox, req: Request, page: str) -> Response:
    params = req.params
    refused = gate(sb, req, FACEBOOK, page, content=True, create=True)
    if refused:
        return refused
    if not _published(params):
        # Native scheduling exists on Facebook; Rounds schedules itself, so
        # the sandbox refuses rather than pretend to hold a scheduled post.
        return invalid_param("Unpublished feed posts are not supported by this sandbox")
    message = params.get("message", "")
    link = params.get("link") or None
    photo_ids = _attached_media(params)
    if photo_ids is None:
        return invalid_param("param attached_media must be an array of objects with media_fbid")
    if not message and not link and not photo_ids:
        return invalid_param("Missing message or attachment")
    if len(message) > MAX_MESSAGE:
        return invalid_param(f"param message must be at most {MAX_MESSAGE} characters long")
    with sb.lock:
        for index, photo_id in enumerate(photo_ids):
            photo = sb.fb_photos.get(photo_id)
            if photo is None or photo["page"] != page or photo["used"]:
                return invalid_param(f"param attached_media[{index}] must be a valid media id")
        for photo_id in photo_ids:
            sb.fb_photos[photo_id]["used"] = True
    if not photo_ids and sb.find_duplicate("facebook", page, message):
        return FACEBOOK.error("duplicate", context(sb, "facebook", page))
    post = _new_post(
        sb,
        req,
        page,
        message,
        len(photo_ids),
        link=link,
        extra={"images": [f"facebook-{photo_id}" for photo_id in photo_ids]},
    )
    return finish_create(sb, req, FACEBOOK, json_response(200, {"id": post.id}))


def create_photo(sb: Sandbox, req: Request, page: str) -> Response:
    params = req.params
    published = _published(params)
    refused = gate(sb, req, FACEBOOK, page, content=True, create=published)
    if refused:
        return refused
    source = req.multipart.get("source")
    if source is not None and source.filename is not None:
        data = source.data
    elif params.get("url"):
        try:
            data = fetch(params["url"], max_bytes=MAX_PHOTO_BYTES)
        except FetchError as exc:
            if exc.reason == "too_large":
                return _photo_rejected()
            return graph_error(400, f"(#324) Missing or invalid image file: {exc.detail}", 324)
    else:
        return graph_error(400, "(#324) Requires upload file", 324)
    info = inspect(data)
    if info.size > MAX_PHOTO_BYTES or info.format not in PHOTO_FORMATS:
        return _photo_rejected()
    photo_id = sb.new_id()
    sb.keep_image(f"facebook-{photo_id}", data)
    if not published:
        with sb.lock:
            sb.fb_photos[photo_id] = {"page": page, "used": False, "created_at": sb.now()}
        return finish_upload(sb, req, json_response(200, {"id": photo_id}))
    post = _new_post(
        sb,
        req,
        page,
        params.get("caption", ""),
        1,
        media_urls=[params.get("url", "")],
        extra={"images": [f"facebook-{photo_id}"]},
    )
    return finish_create(
        sb, req, FACEBOOK, json_response(200, {"id": photo_id, "post_id": post.id})
    )


def _photo_rejected() -> Response:
    return invalid_param(
        "Invalid parameter",
        1366046,
        user_title="Can't Upload Photo",
        user_msg="Your photos couldn't be uploaded. Photos should be less than 4 MB and saved "
        "as JPG, PNG, GIF, TIFF, HEIF or WebP files.",
    )


def requested_fields(req: Request, default: str) -> list[str]:
    """Top-level field names from ?fields=a,b.summary(true),c{d}."""
    raw = req.query.get("fields") or default
    names, depth, current = [], 0, ""
    for ch in raw:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        elif ch == "," and depth == 0:
            names.append(current)
            current = ""
            continue
        if depth == 0 and ch not in ")}":
            current += ch
    names.append(current)
    return [n.split(".")[0].strip() for n in names if n.strip()]


def post_fields(sb: Sandbox, post: Post, fields: list[str]) -> dict[str, Any]:
    m = sb.metrics_of(post)
    values: dict[str, Any] = {
        "id": post.id,
        "created_time": graph_time(post.created_at),
        "permalink_url": post.permalink,
        "is_published": True,
        "shares": {"count": m["shares"]},
        "comments": {
            "data": [],
            "summary": {
                "order": "ranked",
                "total_count": m["comments"],
                "can_comment": True,
            },
        },
    }
    if post.text:  # Graph leaves out empty fields rather than sending ""
        values["message"] = post.text
    if post.link:
        values["link"] = post.link
    return {name: values[name] for name in ["id", *fields] if name in values}


def read_post(sb: Sandbox, req: Request, post: Post) -> Response:
    refused = gate(sb, req, FACEBOOK, post.account)
    if refused:
        return refused
    if _is_video(post):
        return _read_video(sb, req, post)
    return json_response(
        200, post_fields(sb, post, requested_fields(req, "id,message,created_time"))
    )


def delete_post(sb: Sandbox, req: Request, post: Post) -> Response:
    refused = gate(sb, req, FACEBOOK, post.account)
    if refused:
        return refused
    sb.delete_post(post)
    return json_response(200, {"success": True})


def list_posts(sb: Sandbox, req: Request, page: str) -> Response:
    refused = gate(sb, req, FACEBOOK, page)
    if refused:
        return refused
    q = req.query
    since = _time_param(q.get("since"))
    until = _time_param(q.get("until"))
    try:
        limit = min(int(q.get("limit", "25")), 100)
    except ValueError:
        return invalid_param("param limit must be an integer")
    fields = requested_fields(req, "id,message,created_time")
    # A video we published is a Video node, found by its id under /videos.
    posts = [
        p
        for p in sb.recent_posts("facebook", page)
        if not _is_video(p)
        and (since is None or p.created_at >= since)
        and (until is None or p.created_at <= until)
    ]
    chosen, after = cursor_page(posts, q.get("after"), limit)
    return json_response(
        200,
        {"data": [post_fields(sb, p, fields) for p in chosen], "paging": graph_paging(req, after)},
    )


def graph_paging(req: Request, after: str | None) -> dict[str, Any]:
    """Graph's paging object: cursors, and a next URL only when there is more."""
    if after is None:
        return {}
    query = {**req.query, "after": after}
    query.pop("access_token", None)
    return {
        "cursors": {"after": after},
        "next": f"{req.base_url}/{req.role}{req.path}?{urlencode(query)}",
    }


def _time_param(value: str | None) -> datetime | None:
    if not value:
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def post_insights(sb: Sandbox, req: Request, post: Post) -> Response:
    refused = gate(sb, req, FACEBOOK, post.account)
    if refused:
        return refused
    metrics = [m for m in req.query.get("metric", "").split(",") if m]
    for name in metrics:
        if name not in INSIGHT_METRICS:
            # The *impressions* family was retired in November 2025.
            return invalid_param("The value must be a valid insights metric")
    data = []
    m = sb.metrics_of(post)
    for name in metrics:
        if name == "post_reactions_by_type_total":
            likes = m["likes"] or 0
            value: Any = {"like": likes - likes // 3, "love": likes // 3}
        else:
            value = m[INSIGHT_METRICS[name]]
            if value is None:
                continue  # not reported yet: Graph leaves the metric out
        data.append(
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": value}],
                "title": name.replace("_", " ").capitalize(),
                "id": f"{post.id}/insights/{name}/lifetime",
            }
        )
    return json_response(200, {"data": data, "paging": {}})


def missing(object_id: str, verb: str = "get") -> Response:
    return not_found(object_id, verb)


# --- videos: the resumable upload session -----------------------------------------


def _is_video(post: Post) -> bool:
    return post.extra.get("kind") == "video"


def _part_size(file_size: int) -> int:
    return min(PART_MAX, max(PART_MIN, math.ceil(file_size / 4)))


def upload_video(sb: Sandbox, req: Request, page: str) -> Response:
    """POST /{page-id}/videos: one of the resumable upload's three phases."""
    phase = req.params.get("upload_phase", "")
    if phase == "start":
        return _start_upload(sb, req, page)
    if phase == "transfer":
        return _transfer(sb, req, page)
    if phase == "finish":
        return _finish_upload(sb, req, page)
    # Facebook also takes a whole file (source, file_url); Rounds never sends
    # one, so the sandbox refuses rather than pretend.
    return invalid_param("upload_phase must be one of start, transfer, finish in this sandbox")


def _start_upload(sb: Sandbox, req: Request, page: str) -> Response:
    refused = gate(sb, req, FACEBOOK, page, content=True)
    if refused:
        return refused
    try:
        size = int(req.params.get("file_size", ""))
    except ValueError:
        return invalid_param("The parameter file_size is required")
    if size <= 0:
        return invalid_param("param file_size must be a positive integer")
    if size > MAX_VIDEO_BYTES:
        return graph_error(
            400,
            "The video file you tried to upload is too large. Please try again with a smaller "
            "file.",
            382,
        )
    session, video_id = sb.new_id(), sb.new_id()
    with sb.lock:
        sb.video_uploads[f"facebook:{session}"] = {
            "page": page,
            "session": session,
            "video_id": video_id,
            "file_size": size,
            "data": bytearray(),
            "created_at": sb.now(),
            "transfers": 0,  # transfer requests that reached the platform
            "parts": [],  # [start, end) of each part stored, in order
            "lost": False,  # the lost_part fault has struck this upload
            "finished": False,
            "polls_left": 0,
            "error": None,
        }
    body = {
        "video_id": video_id,
        "upload_session_id": session,
        "start_offset": "0",
        "end_offset": str(min(size, _part_size(size))),
    }
    return finish_upload(sb, req, json_response(200, body))


def _session(sb: Sandbox, page: str, params: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
    """The upload session named in the request, or why it cannot be used."""
    session = params.get("upload_session_id", "")
    with sb.lock:
        upload = sb.video_uploads.get(f"facebook:{session}")
    if upload is None or upload["page"] != page:
        return None, f"Invalid upload_session_id {session}"
    if not upload["finished"] and sb.now() - upload["created_at"] > UPLOAD_SESSION_LIFETIME:
        return None, f"The upload session {session} has expired"
    return upload, ""


def _transfer(sb: Sandbox, req: Request, page: str) -> Response:
    params = req.params
    refused = gate(sb, req, FACEBOOK, page, content=True)
    if refused:
        return refused
    upload, problem = _session(sb, page, params)
    if upload is None:
        return invalid_param(problem)
    part = req.multipart.get("video_file_chunk")
    if part is None or part.filename is None:
        return invalid_param("The parameter video_file_chunk is required")
    try:
        start = int(params.get("start_offset", ""))
    except ValueError:
        return invalid_param("The parameter start_offset is required")
    lost_part = sb.knobs("facebook", page)["lost_part"]
    with sb.lock:
        upload["transfers"] += 1
        lost = bool(lost_part) and upload["transfers"] == int(lost_part) and not upload["lost"]
        if lost:
            upload["lost"] = True
    if lost:
        # The connection drops before the part is stored: the client hears nothing.
        return Response(status=0, drop=True)
    size = upload["file_size"]
    with sb.lock:
        have = len(upload["data"])
        if upload["finished"] or start != have:
            # Facebook's answer to a part it did not expect: where to send from.
            return graph_error(
                400,
                "There was a problem uploading your video file. Please try again.",
                6001,
                OFFSET_MISMATCH,
                user_title="Video Upload Is Missing",
                user_msg="The video upload was interrupted; resume from the given offset.",
                error_data={
                    "start_offset": str(have),
                    "end_offset": str(min(size, have + _part_size(size))),
                },
            )
        if not part.data or have + len(part.data) > size:
            return invalid_param("The video file chunk does not fit the file_size given at start")
        upload["data"] += part.data
        upload["parts"].append([have, have + len(part.data)])
        have = len(upload["data"])
    return json_response(
        200,
        {"start_offset": str(have), "end_offset": str(min(size, have + _part_size(size)))},
    )


def _finish_upload(sb: Sandbox, req: Request, page: str) -> Response:
    params = req.params
    refused = gate(sb, req, FACEBOOK, page, content=True, create=True)
    if refused:
        return refused
    upload, problem = _session(sb, page, params)
    if upload is None:
        return invalid_param(problem)
    if upload["finished"]:
        # The video already exists (an earlier finish whose answer was lost):
        # finishing again makes no second one.
        return json_response(200, {"success": True})
    description = params.get("description", "")
    if len(description) > MAX_MESSAGE:
        return invalid_param(f"param description must be at most {MAX_MESSAGE} characters long")
    with sb.lock:
        received, size = len(upload["data"]), upload["file_size"]
        data = bytes(upload["data"])
    if received < size:
        return invalid_param(
            f"The upload session has received {received} of the {size} bytes announced"
        )
    info = inspect_video(data)  # ffprobe, outside the lock
    knobs = sb.knobs("facebook", page)
    error = None
    if not info.format:
        error = UNREADABLE_VIDEO
    elif knobs["video_processing_fails"]:
        error = PROCESSING_FAILED
    video_id = upload["video_id"]
    with sb.lock:
        if upload["finished"]:  # a racing finish got here first
            return json_response(200, {"success": True})
        upload.update(
            finished=True,
            data=bytearray(),  # the bytes live on as sb.videos' record only
            polls_left=int(knobs["video_processing_polls"] or 0),
            error=error,
        )
        sb.videos[f"facebook:{upload['session']}"] = info.to_json()
    sb.add_post(
        Post(
            platform="facebook",
            account=page,
            id=video_id,
            text=description,
            media_count=1,
            created_at=sb.now(),
            token=req.bearer,
            permalink=f"{req.base_url}/facebook_www/{page}/videos/{video_id}/",
            extra={
                "kind": "video",
                "session": upload["session"],
                "title": params.get("title", ""),
                "video": info.to_json(),
            },
        )
    )
    return finish_create(sb, req, FACEBOOK, json_response(200, {"success": True}))


def _video_status(sb: Sandbox, post: Post, *, consume: bool) -> dict[str, Any]:
    """A Video's status: processing for video_processing_polls reads, then ready or error."""
    with sb.lock:
        upload = sb.video_uploads.get(f"facebook:{post.extra.get('session')}") or {}
        size = int(upload.get("file_size", 0))
        processing: dict[str, Any] = {"status": "complete"}
        if upload.get("polls_left", 0) > 0:
            if consume:
                upload["polls_left"] -= 1
            video_status, processing = "processing", {"status": "in_progress"}
        elif upload.get("error"):
            video_status = "error"
            processing = {"status": "error", "errors": [dict(upload["error"])]}
        else:
            video_status = "ready"
    published = video_status == "ready"
    return {
        "video_status": video_status,
        "uploading_phase": {"status": "complete", "bytes_transferred": size},
        "processing_phase": processing,
        "publishing_phase": {
            "status": "complete" if published else "not_started",
            "publish_status": "published" if published else "not_published",
            **({"publish_time": int(post.created_at.timestamp())} if published else {}),
        },
    }


def video_fields(sb: Sandbox, post: Post, fields: list[str], *, consume: bool) -> dict[str, Any]:
    m = sb.metrics_of(post)
    info = post.extra.get("video") or {}
    values: dict[str, Any] = {
        "id": post.id,
        "created_time": graph_time(post.created_at),
        "updated_time": graph_time(post.created_at),
        "permalink_url": post.permalink,
        "length": info.get("duration", 0.0),
        "published": True,
        "likes": {"data": [], "summary": {"total_count": m["likes"], "can_like": True}},
        "comments": {
            "data": [],
            "summary": {"order": "ranked", "total_count": m["comments"], "can_comment": True},
        },
    }
    if post.text:
        values["description"] = post.text
    if post.extra.get("title"):
        values["title"] = post.extra["title"]
    if "status" in fields:
        values["status"] = _video_status(sb, post, consume=consume)
    return {name: values[name] for name in ["id", *fields] if name in values}


def _read_video(sb: Sandbox, req: Request, post: Post) -> Response:
    fields = requested_fields(req, "id,description,updated_time")
    wrong = [name for name in fields if name not in VIDEO_NODE_FIELDS]
    if wrong:
        return invalid_param(f"Tried accessing nonexisting field ({wrong[0]}) on node type (Video)")
    return json_response(200, video_fields(sb, post, fields, consume=True))


def list_videos(sb: Sandbox, req: Request, page: str) -> Response:
    """GET /{page-id}/videos: the Page's videos, newest first, while still processing too."""
    refused = gate(sb, req, FACEBOOK, page)
    if refused:
        return refused
    q = req.query
    since = _time_param(q.get("since"))
    until = _time_param(q.get("until"))
    try:
        limit = min(int(q.get("limit", "25")), 100)
    except ValueError:
        return invalid_param("param limit must be an integer")
    fields = requested_fields(req, "id,description,updated_time")
    wrong = [name for name in fields if name not in VIDEO_NODE_FIELDS]
    if wrong:
        return invalid_param(f"Tried accessing nonexisting field ({wrong[0]}) on node type (Video)")
    videos = [
        p
        for p in sb.recent_posts("facebook", page)
        if _is_video(p)
        and (since is None or p.created_at >= since)
        and (until is None or p.created_at <= until)
    ]
    chosen, after = cursor_page(videos, q.get("after"), limit)
    rows = [video_fields(sb, p, fields, consume=False) for p in chosen]
    return json_response(200, {"data": rows, "paging": graph_paging(req, after)})


def video_insights(sb: Sandbox, req: Request, video_id: str) -> Response:
    """GET /{video-id}/video_insights: lifetime views, and views by unique people."""
    post = sb.get_post("facebook", video_id)
    if post is None or not _is_video(post):
        return not_found(video_id)
    refused = gate(sb, req, FACEBOOK, post.account)
    if refused:
        return refused
    metrics = [m for m in req.query.get("metric", "").split(",") if m] or list(
        VIDEO_INSIGHT_METRICS
    )
    for name in metrics:
        if name not in VIDEO_INSIGHT_METRICS:
            return invalid_param("The value must be a valid insights metric")
    m = sb.metrics_of(post)
    data = []
    for name in metrics:
        value = m[VIDEO_INSIGHT_METRICS[name]]
        if value is None:
            continue  # not reported yet: left out, as Graph does
        data.append(
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": value}],
                "title": name.replace("_", " ").capitalize(),
                "id": f"{post.id}/video_insights/{name}/lifetime",
            }
        )
    return json_response(200, {"data": data, "paging": {}})


# --- comments on our posts, the Page's tagged posts (sandbox.conversations) -----------
# GET /{post-id}/comments (filter=toplevel|stream, order, limit, after), GET and POST
# /{comment-id}/comments (a thread's replies; our reply), POST /{comment-id}
# is_hidden=true|false, DELETE /{comment-id}, GET /{page-id}/tagged.

MAX_COMMENT = 8_000  # (unconfirmed)
COMMENT_DEFAULT_FIELDS = "id,message,created_time,from"
TAGGED_DEFAULT_FIELDS = "id,message,created_time"


def comment_json(sb: Sandbox, req: Request, item: conv.Item, fields: list[str]) -> dict[str, Any]:
    now = sb.now()
    number = (item.post_id or "").rsplit("_", 1)[-1]
    values: dict[str, Any] = {
        "id": item.id,
        "created_time": graph_time(item.created_at),
        "from": {"id": item.author_id, "name": item.author_name},
        "is_hidden": item.hidden,
        "permalink_url": (
            f"{req.base_url}/facebook_www/{item.account}/posts/{number}?comment_id={item.id}"
        ),
        "like_count": 0,
        "can_hide": not item.from_us,
        "can_remove": True,
        "object": {"id": item.post_id},
    }
    text = item.text_at(now)
    if text:  # Graph leaves out an empty message (a sticker, a photo)
        values["message"] = text
    if item.parent_id:
        values["parent"] = {"id": item.parent_id}
    if "comment_count" in fields:
        values["comment_count"] = len(conv.thread_of(sb, item)) if not item.parent_id else 0
    return {name: values[name] for name in ["id", *fields] if name in values}


def _thread_owner(sb: Sandbox, object_id: str) -> tuple[str, list[conv.Item], bool] | None:
    """(account, the items under it oldest first, whether it is a post) for a post of
    ours, a tagged post or a comment; None when the id names none of them."""
    post = sb.get_post("facebook", object_id)
    if post is not None and not _is_video(post):
        return post.account, conv.comments_of(sb, post), True
    item = conv.live(sb, "facebook", object_id)
    if item is None:
        return None
    if item.kind == "mention":
        with sb.lock:
            under = list(conv.store(sb).by_post.get(("facebook", item.post_id or ""), ()))
        now = sb.now()
        return item.account, [i for i in under if i.visible(now)], True
    top = item if not item.parent_id else conv.get(sb, "facebook", item.parent_id)
    return item.account, conv.thread_of(sb, top) if top else [], False


def list_comments(sb: Sandbox, req: Request, object_id: str) -> Response:
    owner = _thread_owner(sb, object_id)
    if owner is None:
        return not_found(object_id)
    account, items, is_post = owner
    refused = gate(sb, req, FACEBOOK, account)
    if refused:
        return refused
    q = req.query
    try:
        limit = min(int(q.get("limit", "25")), 100)
    except ValueError:
        return invalid_param("param limit must be an integer")
    if is_post and q.get("filter", "toplevel") != "stream":
        items = [i for i in items if not i.parent_id]
    if q.get("order") == "reverse_chronological":
        # A newest-first page: cursors still name items, so page on the reversed list.
        chosen, after = _reverse_page(items, q.get("after"), limit)
    else:
        chosen, after = conv.page(items, q.get("after"), limit)
    fields = requested_fields(req, COMMENT_DEFAULT_FIELDS)
    body: dict[str, Any] = {
        "data": [comment_json(sb, req, i, fields) for i in chosen],
        "paging": graph_paging(req, after),
    }
    if q.get("summary") in ("true", "1"):
        body["summary"] = {"order": "chronological", "total_count": len(items), "can_comment": True}
    return json_response(200, body)


def _reverse_page(
    items: list[conv.Item], cursor: str | None, limit: int
) -> tuple[list[conv.Item], str | None]:
    before = conv.decode_cursor(cursor)
    rows = [i for i in reversed(items) if before is None or i.key < before]
    chosen = rows[:limit]
    return chosen, (conv.encode_cursor(chosen[-1]) if len(rows) > limit and chosen else None)


def create_comment(sb: Sandbox, req: Request, object_id: str) -> Response:
    """POST /{object}/comments: our reply in a comment's thread, or our comment on one of
    our posts or on a post that tagged the Page."""
    post = sb.get_post("facebook", object_id)
    target = None if post is not None else conv.live(sb, "facebook", object_id)
    if post is None and target is None:
        return not_found(object_id, "post")
    account = post.account if post is not None else target.account  # type: ignore[union-attr]
    refused = gate(sb, req, FACEBOOK, account, content=True, create=True)
    if refused:
        return refused
    message = req.params.get("message", "")
    if not message.strip() and not req.params.get("attachment_url"):
        return invalid_param("Missing message or attachment")
    if len(message) > MAX_COMMENT:
        return invalid_param(f"param message must be at most {MAX_COMMENT} characters long")
    post_id = post.id if post is not None else (target.post_id if target else None)
    number = (post_id or "").rsplit("_", 1)[-1]
    reply = conv.add_reply(
        sb,
        platform="facebook",
        account=account,
        to=target,
        post_id=post_id,
        text=message,
        new_id=f"{number}_{sb.new_id()}",
    )
    return finish_create(sb, req, FACEBOOK, json_response(200, {"id": reply.id}))


def update_comment(sb: Sandbox, req: Request, item: conv.Item) -> Response:
    """POST /{comment-id}: is_hidden=true|false hides or shows it again (or message edits
    one of ours)."""
    refused = gate(sb, req, FACEBOOK, item.account)
    if refused:
        return refused
    params = req.params
    if "is_hidden" in params:
        if item.from_us:
            return invalid_param("A Page cannot hide its own comment")
        with sb.lock:
            item.hidden = params["is_hidden"].strip().lower() in ("true", "1")
        return json_response(200, {"success": True})
    if "message" in params and item.from_us:
        conv.edit(sb, item, params["message"])
        return json_response(200, {"success": True})
    return invalid_param("Nothing to update: pass is_hidden (or message for your own comment)")


def read_comment(sb: Sandbox, req: Request, item: conv.Item) -> Response:
    refused = gate(sb, req, FACEBOOK, item.account)
    if refused:
        return refused
    fields = requested_fields(req, COMMENT_DEFAULT_FIELDS)
    if item.kind == "mention":
        return json_response(200, tagged_json(sb, req, item, fields))
    return json_response(200, comment_json(sb, req, item, fields))


def delete_comment(sb: Sandbox, req: Request, item: conv.Item) -> Response:
    refused = gate(sb, req, FACEBOOK, item.account)
    if refused:
        return refused
    if item.kind != "comment":
        return not_found(item.id, "delete")  # someone else's post: not the Page's to delete
    conv.delete(sb, item)
    return json_response(200, {"success": True})


def tagged_json(sb: Sandbox, req: Request, item: conv.Item, fields: list[str]) -> dict[str, Any]:
    now = sb.now()
    author, _, number = item.id.partition("_")
    values: dict[str, Any] = {
        "id": item.id,
        "created_time": graph_time(item.created_at),
        "updated_time": graph_time(item.updated_at(now)),
        "from": {"id": item.author_id, "name": item.author_name},
        "permalink_url": f"{req.base_url}/facebook_www/{author}/posts/{number}",
        "to": {"data": [{"id": item.account, "name": conv.our_name("facebook", item.account)}]},
    }
    text = item.text_at(now)
    if text:
        values["message"] = text
    return {name: values[name] for name in ["id", *fields] if name in values}


def list_tagged(sb: Sandbox, req: Request, page: str) -> Response:
    """GET /{page-id}/tagged: posts of others that tag the Page, newest first."""
    refused = gate(sb, req, FACEBOOK, page)
    if refused:
        return refused
    q = req.query
    since = _time_param(q.get("since"))
    try:
        limit = min(int(q.get("limit", "25")), 100)
    except ValueError:
        return invalid_param("param limit must be an integer")
    rows = conv.newest_first(
        sb, "facebook", page, "mention", before=conv.decode_cursor(q.get("after"))
    )
    if since is not None:
        rows = _until_older(rows, since)  # newest first: stop at the first older one
    chosen, after = conv.take(rows, limit)
    fields = requested_fields(req, TAGGED_DEFAULT_FIELDS)
    return json_response(
        200,
        {
            "data": [tagged_json(sb, req, i, fields) for i in chosen],
            "paging": graph_paging(req, after),
        },
    )


def _until_older(rows: Any, since: datetime) -> Any:
    for item in rows:
        if item.created_at < since:
            return
        yield item


def field_specs(raw: str) -> dict[str, tuple[str, str]]:
    """?fields= as {name: (modifiers, sub-fields)}: "replies.limit(5){id,text}" gives
    {"replies": (".limit(5)", "id,text")}."""
    parts, depth, current = [], 0, ""
    for ch in raw:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    specs: dict[str, tuple[str, str]] = {}
    for part in (p.strip() for p in parts):
        if not part:
            continue
        end = len(part)
        for index, ch in enumerate(part):
            if ch in ".({":
                end = index
                break
        name, rest = part[:end], part[end:]
        sub = ""
        brace, paren = -1, 0
        for index, ch in enumerate(rest):
            if ch == "(":
                paren += 1
            elif ch == ")":
                paren -= 1
            elif ch == "{" and paren == 0:
                brace = index
                break
        if brace >= 0 and rest.endswith("}"):
            rest, sub = rest[:brace], rest[brace + 1 : -1]
        specs[name] = (rest, sub)
    return specs
