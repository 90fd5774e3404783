"""Facebook Pages: /feed, /photos, posts, insights, delete."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sandbox.core import (
    Request,
    Response,
    cursor_page,
    graph_time,
    json_response,
)
from sandbox.gate import context, finish_create, finish_upload, gate
from sandbox.graph_errors import FACEBOOK, graph_error, invalid_param, not_found
from sandbox.media import FetchError, fetch, inspect
from sandbox.state import Post, Sandbox

MAX_MESSAGE = 63_206
MAX_PHOTO_BYTES = 4 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "GIF", "TIFF", "WEBP", "HEIF"}
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
    posts = [
        p
        for p in sb.recent_posts("facebook", page)
        if (since is None or p.created_at >= since) and (until is None or p.created_at <= until)
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
