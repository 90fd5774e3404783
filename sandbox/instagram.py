"""Instagram content publishing: containers (photos, carousels, Reels), status polling,
media_publish, media."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from sandbox import conversations as conv
from sandbox.core import (
    Request,
    Response,
    cursor_page,
    graph_time,
    json_response,
)
from sandbox.facebook import field_specs, graph_paging, requested_fields
from sandbox.gate import finish_create, finish_upload, gate
from sandbox.graph_errors import INSTAGRAM, graph_error, invalid_param, not_found
from sandbox.media import FetchError, VideoInfo, fetch, inspect, inspect_video
from sandbox.state import Post, Sandbox

MAX_CAPTION = 2_200
MAX_IMAGE_BYTES = 8 * 1024 * 1024
# Reels: Instagram documents 300 MB (some say 1 GB); the sandbox fetches up to
# 1 GB so that a too-large video is the client's to refuse, not ours.
MAX_VIDEO_FETCH_BYTES = 1024**3
REEL_MIN_SECONDS = 3.0
REEL_MAX_SECONDS = 15 * 60.0  # through the API
REEL_MAX_WIDTH = 1920
REEL_CODECS = ("h264", "hevc")
# Processing that fails: "The video format is not supported" (the status text
# carries the subcode, as for photos).
VIDEO_FORMAT_ERROR = 2207026
CONTAINER_LIFETIME = timedelta(hours=24)
QUOTA_TOTAL = 50
QUOTA_WINDOW = timedelta(hours=24)
INSIGHT_METRICS = {
    "views": "impressions",
    "reach": "reach",
    "saved": "saves",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
}
STATUS_TEXT = {
    "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
    "IN_PROGRESS": "In Progress: Media is still being processed.",
    "PUBLISHED": "Published: Media has been published.",
    "EXPIRED": "Expired: Media was not published within 24 hours.",
}


def create_container(sb: Sandbox, req: Request, ig_user: str) -> Response:
    params = req.params
    refused = gate(sb, req, INSTAGRAM, ig_user, content=True)
    if refused:
        return refused
    caption = params.get("caption", "")
    if len(caption) > MAX_CAPTION:
        return graph_error(
            400,
            "(#100) The caption is too long.",
            100,
            2207010,
            user_title="Caption too long",
            user_msg=f"Captions can have at most {MAX_CAPTION} characters.",
        )
    media_type = params.get("media_type", "IMAGE").upper()
    is_item = params.get("is_carousel_item", "false").lower() == "true"
    knobs = sb.knobs("instagram", ig_user)
    container: dict[str, Any] = {
        "owner": ig_user,
        "media_type": media_type,
        "caption": caption,
        "children": [],
        "is_carousel_item": is_item,
        "created_at": sb.now(),
        "published": False,
        "media_id": None,
        # Only the container that gets published makes the client wait.
        "polls_left": 0 if is_item else int(knobs["ig_in_progress_polls"]),
        # Processing that fails after the container was accepted.
        "error": knobs["ig_container_error"],
    }
    data = b""  # the image kept for the feed pages, if any
    if media_type == "CAROUSEL":
        children = [c.strip() for c in params.get("children", "").split(",") if c.strip()]
        if not 2 <= len(children) <= 10:
            return invalid_param("The carousel must have between 2 and 10 children", 2207024)
        with sb.lock:
            for child_id in children:
                child = sb.ig_containers.get(child_id)
                if child is None or child["owner"] != ig_user or not child["is_carousel_item"]:
                    return invalid_param(
                        f"The parameter children contains an invalid id {child_id}"
                    )
        container["children"] = children
    elif media_type == "IMAGE":
        problem, data = _fetch_image(params.get("image_url", ""))
        if problem:
            return problem
        container["image_url"] = params["image_url"]
        container["alt_text"] = params.get("alt_text", "")
    elif media_type == "REELS":
        problem, video, cover = _fetch_reel(params)
        if problem:
            return problem
        info = inspect_video(video)
        # Processing takes video_processing_polls status checks more, and ends
        # in Instagram's own error when the knob says so or the video is not
        # one a Reel takes.
        container["polls_left"] += int(knobs["video_processing_polls"] or 0)
        if not container["error"] and (knobs["video_processing_fails"] or not _reel_fits(info)):
            container["error"] = VIDEO_FORMAT_ERROR
        container["video_url"] = params["video_url"]
        container["cover_url"] = params.get("cover_url", "")
        container["share_to_feed"] = params.get("share_to_feed", "true").lower() == "true"
        container["video"] = info.to_json()
        data = cover
    else:
        return invalid_param(f"media_type {media_type} is not supported by this sandbox")
    container_id = sb.new_id(17_900_000_000_000_000)
    if data:
        # The photo, or the Reel's cover, for the feed pages.
        sb.keep_image(f"instagram-{container_id}", data)
    with sb.lock:
        sb.ig_containers[container_id] = container
        if media_type == "REELS":
            # Instagram fetched the whole video at once: the upload is done, the
            # container's processing is what remains.
            sb.video_uploads[f"instagram:{container_id}"] = {
                "owner": ig_user,
                "container": container_id,
                "video_url": container["video_url"],
                "bytes": container["video"]["size"],
                "created_at": container["created_at"],
            }
            sb.videos[f"instagram:{container_id}"] = container["video"]
    return finish_upload(sb, req, json_response(200, {"id": container_id}))


def _fetch_reel(params: dict[str, str]) -> tuple[Response | None, bytes, bytes]:
    """Download a Reel's video and cover like Instagram does: its error if that fails,
    the video, and the cover (b"" without one)."""
    url = params.get("video_url", "")
    if not url:
        return invalid_param("The parameter video_url is required."), b"", b""
    try:
        video = fetch(url, max_bytes=MAX_VIDEO_FETCH_BYTES)
    except FetchError as exc:
        return _download_failed(exc), b"", b""
    cover = b""
    if params.get("cover_url"):
        try:
            cover = fetch(params["cover_url"], max_bytes=MAX_IMAGE_BYTES)
        except FetchError as exc:
            return _download_failed(exc), b"", b""
        if inspect(cover).format != "JPEG":
            return (
                graph_error(
                    400,
                    "The cover image format is not supported.",
                    36001,
                    2207005,
                    user_title="Unsupported format",
                    user_msg="The cover image must be a JPEG.",
                ),
                b"",
                b"",
            )
    return None, video, cover


def _download_failed(exc: FetchError) -> Response:
    if exc.reason == "timeout":
        return graph_error(
            400,
            "Timeout downloading media",
            9004,
            2207003,
            user_title="Timeout",
            user_msg="Media download timed out.",
        )
    return graph_error(
        400,
        "Media download has failed. The media URI doesn't meet our requirements.",
        9004,
        2207052,
        user_title="Media download has failed",
        user_msg=f"The media could not be fetched from the URI ({exc.detail}).",
    )


def _reel_fits(info: VideoInfo) -> bool:
    """Whether Instagram's Reels specification takes this video (as the API does)."""
    return (
        bool(info.format)
        and info.video_codec in REEL_CODECS
        and REEL_MIN_SECONDS <= info.duration <= REEL_MAX_SECONDS
        and 0 < info.width <= REEL_MAX_WIDTH
    )


def _fetch_image(url: str) -> tuple[Response | None, bytes]:
    """Download the image like Instagram does: its error if that or the image fails,
    and the image."""
    if not url:
        return invalid_param("The parameter image_url is required."), b""
    try:
        data = fetch(url, max_bytes=MAX_IMAGE_BYTES)
    except FetchError as exc:
        if exc.reason == "timeout":
            return _refused(
                400,
                "Timeout downloading media",
                9004,
                2207003,
                user_title="Timeout",
                user_msg="Media download timed out.",
            )
        if exc.reason == "too_large":
            return _refused(
                400,
                "The image is too large",
                36000,
                2207004,
                user_title="Image size too large",
                user_msg="The image is too large to download. It should be less than 8 MiB.",
            )
        return _refused(
            400,
            "Media download has failed. The media URI doesn't meet our requirements.",
            9004,
            2207052,
            user_title="Media download has failed",
            user_msg=f"The media could not be fetched from the URI ({exc.detail}).",
        )
    info = inspect(data)
    if info.format != "JPEG":
        return _refused(
            400,
            "The image format is not supported.",
            36001,
            2207005,
            user_title="Unsupported format",
            user_msg="The image format is not supported. Only JPEG is supported.",
        )
    ratio = info.width / info.height
    if not 0.8 <= ratio <= 1.91:
        return _refused(
            400,
            f"The submitted image with aspect ratio ('{ratio:.2f}') cannot be "
            "published. Please submit an image with a valid aspect ratio.",
            36003,
            2207009,
            user_title="Invalid aspect ratio",
            user_msg="The image's aspect ratio must be between 4:5 and 1.91:1.",
        )
    return None, data


def _refused(*args: Any, **kwargs: Any) -> tuple[Response, bytes]:
    return graph_error(*args, **kwargs), b""


def container_status(sb: Sandbox, container: dict[str, Any]) -> str:
    if container["published"]:
        return "PUBLISHED"
    if sb.now() - container["created_at"] > CONTAINER_LIFETIME:
        return "EXPIRED"
    if container["polls_left"] > 0:
        return "IN_PROGRESS"
    if container.get("error"):
        return "ERROR"
    return "FINISHED"


def read_container(
    sb: Sandbox, req: Request, container_id: str, container: dict[str, Any]
) -> Response:
    refused = gate(sb, req, INSTAGRAM, container["owner"])
    if refused:
        return refused
    with sb.lock:
        status = container_status(sb, container)
        if status == "IN_PROGRESS":
            container["polls_left"] -= 1
    text = STATUS_TEXT.get(status) or (
        f"Error: Media upload has failed with error code {container.get('error')}"
    )
    values = {"id": container_id, "status_code": status, "status": text}
    fields = requested_fields(req, "id")
    return json_response(200, {k: values[k] for k in ["id", *fields] if k in values})


def quota_usage(sb: Sandbox, ig_user: str) -> tuple[int, int]:
    knobs = sb.knobs("instagram", ig_user)
    since = sb.now() - QUOTA_WINDOW
    with sb.lock:
        posts = list(sb.by_account.get(("instagram", ig_user), ()))
    # Deleting a post does not give its quota back.
    used = sum(1 for p in posts if p.created_at >= since) + int(knobs["quota"] or 0)
    return used, int(knobs["quota_limit"] or QUOTA_TOTAL)


def publish(sb: Sandbox, req: Request, ig_user: str) -> Response:
    params = req.params
    refused = gate(sb, req, INSTAGRAM, ig_user, create=True)
    if refused:
        return refused
    container_id = params.get("creation_id", "")
    if not container_id:
        return invalid_param("The parameter creation_id is required.")
    with sb.lock:
        container = sb.ig_containers.get(container_id)
    if container is None or container["owner"] != ig_user:
        return graph_error(
            400, "(#24) The media builder does not exist or has expired", 24, 2207008
        )
    status = container_status(sb, container)
    if status == "EXPIRED":
        return graph_error(
            400, "(#24) The media builder does not exist or has expired", 24, 2207008
        )
    if status == "IN_PROGRESS":
        return graph_error(
            400,
            "Media ID is not available",
            9007,
            2207027,
            user_title="Media not ready for publishing",
            user_msg="The media is not ready for publishing, please wait for a moment",
        )
    if container["is_carousel_item"]:
        return invalid_param("A carousel item cannot be published on its own")
    used, total = quota_usage(sb, ig_user)
    if used >= total:
        return graph_error(
            400,
            "Application request limit reached",
            9,
            2207042,
            user_title="Cannot publish post",
            user_msg="You reached maximum number of posts that is allowed to be "
            "published by Content Publishing API.",
        )
    # A PUBLISHED container is published again here, on purpose: the platform
    # docs warn that a blind retry posts twice, and tests must be able to see it.
    media_id = sb.new_id(17_800_000_000_000_000)
    shortcode = secrets.token_urlsafe(8)[:11]
    reel = container["media_type"] == "REELS"
    post = sb.add_post(
        Post(
            platform="instagram",
            account=ig_user,
            id=media_id,
            text=container["caption"],
            media_count=len(container["children"]) or 1,
            created_at=sb.now(),
            token=req.bearer,
            permalink=f"{req.base_url}/instagram_www/p/{shortcode}/",
            extra={
                "shortcode": shortcode,
                "container": container_id,
                # A Reel is media of type VIDEO whose product type is REELS.
                "media_type": "VIDEO" if reel else container["media_type"],
                "media_product_type": "REELS" if reel else "FEED",
                "images": [
                    f"instagram-{child}" for child in container["children"] or [container_id]
                ],
                **({"video": container["video"]} if reel else {}),
            },
        )
    )
    with sb.lock:
        container["published"] = True
        container["media_id"] = post.id
    return finish_create(sb, req, INSTAGRAM, json_response(200, {"id": post.id}))


def media_fields(sb: Sandbox, post: Post, fields: list[str]) -> dict[str, Any]:
    m = sb.metrics_of(post)
    values: dict[str, Any] = {
        "id": post.id,
        "timestamp": graph_time(post.created_at),
        "permalink": post.permalink,
        "shortcode": post.extra.get("shortcode"),
        "media_type": post.extra.get("media_type", "IMAGE"),
        "media_product_type": post.extra.get("media_product_type", "FEED"),
        "like_count": m["likes"],
        "comments_count": m["comments"],
    }
    if post.text:
        values["caption"] = post.text
    return {name: values[name] for name in ["id", *fields] if name in values}


def read_media(sb: Sandbox, req: Request, post: Post) -> Response:
    refused = gate(sb, req, INSTAGRAM, post.account)
    if refused:
        return refused
    return json_response(200, media_fields(sb, post, requested_fields(req, "id")))


def list_media(sb: Sandbox, req: Request, ig_user: str) -> Response:
    refused = gate(sb, req, INSTAGRAM, ig_user)
    if refused:
        return refused
    try:
        limit = min(int(req.query.get("limit", "25")), 100)
    except ValueError:
        return invalid_param("param limit must be an integer")
    fields = requested_fields(req, "id")
    chosen, after = cursor_page(
        sb.recent_posts("instagram", ig_user), req.query.get("after"), limit
    )
    rows = [media_fields(sb, p, fields) for p in chosen]
    return json_response(200, {"data": rows, "paging": graph_paging(req, after)})


def publishing_limit(sb: Sandbox, req: Request, ig_user: str) -> Response:
    refused = gate(sb, req, INSTAGRAM, ig_user)
    if refused:
        return refused
    used, total = quota_usage(sb, ig_user)
    return json_response(
        200,
        {
            "data": [
                {
                    "quota_usage": used,
                    "config": {
                        "quota_total": total,
                        "quota_duration": int(QUOTA_WINDOW.total_seconds()),
                    },
                }
            ]
        },
    )


def media_insights(sb: Sandbox, req: Request, post: Post) -> Response:
    refused = gate(sb, req, INSTAGRAM, post.account)
    if refused:
        return refused
    metrics = [m for m in req.query.get("metric", "").split(",") if m]
    allowed = [*INSIGHT_METRICS, "total_interactions"]
    for index, name in enumerate(metrics):
        if name not in allowed:
            return invalid_param(
                f"metric[{index}] must be one of the following values: {', '.join(allowed)}"
            )
    m = sb.metrics_of(post)
    data = []
    for name in metrics:
        if name == "total_interactions":
            parts = [m["likes"], m["comments"], m["shares"], m["saves"]]
            if any(part is None for part in parts):
                continue  # not reported yet: left out, as Graph does
            value = sum(part or 0 for part in parts)
        else:
            value = m[INSIGHT_METRICS[name]]
            if value is None:
                continue
        data.append(
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": value}],
                "title": name.capitalize(),
                "id": f"{post.id}/insights/{name}/lifetime",
            }
        )
    return json_response(200, {"data": data})


def delete_media(sb: Sandbox, req: Request, post: Post) -> Response:
    refused = gate(sb, req, INSTAGRAM, post.account)
    if refused:
        return refused
    if not sb.knobs("instagram", post.account)["delete_enabled"]:
        # What Graph says for a method an object does not support.
        return not_found(post.id, "delete")
    sb.delete_post(post)
    return json_response(200, {"success": True})


# --- comments on our media, tags and mentions (sandbox.conversations) ---------------
# GET /{ig-media-id}/comments (fields with a nested replies{...}), GET and POST
# /{ig-comment-id}/replies, POST /{ig-comment-id} hide=true|false, DELETE
# /{ig-comment-id}, GET /{ig-user-id}/tags, POST /{ig-user-id}/mentions (our comment
# on media that mentioned us), GET /{ig-user-id}?fields=mentioned_media.media_id(id){...}.

MAX_COMMENT = 2_200  # (unconfirmed)
COMMENT_DEFAULT_FIELDS = "id,text,timestamp"
NESTED_REPLIES = 50  # replies shown inline under a comment before paging to /replies


def comment_json(
    sb: Sandbox, req: Request, item: conv.Item, fields: list[str], specs: dict[str, Any]
) -> dict[str, Any]:
    now = sb.now()
    values: dict[str, Any] = {
        "id": item.id,
        "text": item.text_at(now),
        "timestamp": graph_time(item.created_at),
        "username": item.extra.get("username") or conv.our_name("instagram", item.account),
        "from": {
            "id": item.author_id,
            "username": item.extra.get("username") or conv.our_name("instagram", item.account),
        },
        "hidden": item.hidden,
        "like_count": 0,
        "media": {"id": item.post_id, "media_product_type": "FEED"},
    }
    if item.parent_id:
        values["parent_id"] = item.parent_id
    if "replies" in fields and not item.parent_id:
        _, sub = specs.get("replies", ("", ""))
        sub_fields = requested_fields_of(sub or COMMENT_DEFAULT_FIELDS)
        replies = conv.thread_of(sb, item)
        shown = replies[:NESTED_REPLIES]
        paging: dict[str, Any] = {}
        if len(replies) > NESTED_REPLIES:
            after = conv.encode_cursor(shown[-1])
            base = f"{req.base_url}/{req.role}/{_version(req)}"
            paging = {
                "cursors": {"after": after},
                "next": f"{base}/{item.id}/replies?after={after}",
            }
        values["replies"] = {
            "data": [comment_json(sb, req, r, sub_fields, {}) for r in shown],
            **({"paging": paging} if paging else {}),
        }
    return {name: values[name] for name in ["id", *fields] if name in values}


def requested_fields_of(raw: str) -> list[str]:
    return list(field_specs(raw))


def _version(req: Request) -> str:
    first = req.path.strip("/").split("/", 1)[0]
    return first if first.startswith("v") else "v25.0"


def list_comments(sb: Sandbox, req: Request, post: Post) -> Response:
    """GET /{ig-media-id}/comments: top-level comments, oldest first, replies nested."""
    refused = gate(sb, req, INSTAGRAM, post.account)
    if refused:
        return refused
    try:
        limit = min(int(req.query.get("limit", "25")), 50)
    except ValueError:
        return invalid_param("param limit must be an integer")
    items = [i for i in conv.comments_of(sb, post) if not i.parent_id]
    chosen, after = conv.page(items, req.query.get("after"), limit)
    specs = field_specs(req.query.get("fields") or COMMENT_DEFAULT_FIELDS)
    fields = list(specs)
    return json_response(
        200,
        {
            "data": [comment_json(sb, req, i, fields, specs) for i in chosen],
            "paging": graph_paging(req, after),
        },
    )


def list_replies(sb: Sandbox, req: Request, item: conv.Item) -> Response:
    refused = gate(sb, req, INSTAGRAM, item.account)
    if refused:
        return refused
    top = item if not item.parent_id else conv.get(sb, "instagram", item.parent_id)
    replies = conv.thread_of(sb, top) if top else []
    try:
        limit = min(int(req.query.get("limit", "25")), 50)
    except ValueError:
        return invalid_param("param limit must be an integer")
    chosen, after = conv.page(replies, req.query.get("after"), limit)
    fields = requested_fields(req, COMMENT_DEFAULT_FIELDS)
    return json_response(
        200,
        {
            "data": [comment_json(sb, req, r, fields, {}) for r in chosen],
            "paging": graph_paging(req, after),
        },
    )


def _our_comment(
    sb: Sandbox, req: Request, account: str, to: conv.Item | None, post_id: str | None
) -> Response:
    refused = gate(sb, req, INSTAGRAM, account, content=True, create=True)
    if refused:
        return refused
    message = req.params.get("message", "")
    if not message.strip():
        return invalid_param("The parameter message is required.")
    if len(message) > MAX_COMMENT:
        return invalid_param(f"The comment is longer than {MAX_COMMENT} characters.")
    if to is not None and to.hidden:
        # Instagram: "You cannot reply to hidden comments." (unconfirmed wording)
        return invalid_param("Cannot reply to a hidden comment.")
    reply = conv.add_reply(
        sb,
        platform="instagram",
        account=account,
        to=to,
        post_id=post_id,
        text=message,
        new_id=sb.new_id(18_900_000_000_000_000),
    )
    return finish_create(sb, req, INSTAGRAM, json_response(200, {"id": reply.id}))


def create_reply(sb: Sandbox, req: Request, item: conv.Item) -> Response:
    """POST /{ig-comment-id}/replies: replies to a reply land under its top-level comment."""
    return _our_comment(sb, req, item.account, item, item.post_id)


def create_comment(sb: Sandbox, req: Request, post: Post) -> Response:
    """POST /{ig-media-id}/comments: our own comment on our media."""
    return _our_comment(sb, req, post.account, None, post.id)


def reply_to_mention(sb: Sandbox, req: Request, ig_user: str) -> Response:
    """POST /{ig-user-id}/mentions with media_id (and comment_id): our comment on media,
    or under a comment, that mentioned the account."""
    params = req.params
    media = conv.live(sb, "instagram", params.get("media_id", ""))
    if media is None or media.kind != "mention" or media.account != ig_user:
        refused = gate(sb, req, INSTAGRAM, ig_user)
        return refused or invalid_param("The parameter media_id must be media that mentioned you.")
    return _our_comment(sb, req, ig_user, media, media.post_id)


def update_comment(sb: Sandbox, req: Request, item: conv.Item) -> Response:
    """POST /{ig-comment-id} hide=true|false."""
    refused = gate(sb, req, INSTAGRAM, item.account)
    if refused:
        return refused
    if "hide" not in req.params:
        return invalid_param("The parameter hide is required.")
    if item.from_us:
        return invalid_param("You cannot hide your own comment.")
    with sb.lock:
        item.hidden = req.params["hide"].strip().lower() in ("true", "1")
    return json_response(200, {"success": True})


def read_comment(sb: Sandbox, req: Request, item: conv.Item) -> Response:
    refused = gate(sb, req, INSTAGRAM, item.account)
    if refused:
        return refused
    if item.kind == "mention":
        # Media of others is read through mentioned_media (below), not by id.
        return not_found(item.id)
    specs = field_specs(req.query.get("fields") or COMMENT_DEFAULT_FIELDS)
    return json_response(200, comment_json(sb, req, item, list(specs), specs))


def delete_comment(sb: Sandbox, req: Request, item: conv.Item) -> Response:
    refused = gate(sb, req, INSTAGRAM, item.account)
    if refused:
        return refused
    if item.kind != "comment":
        return not_found(item.id, "delete")
    conv.delete(sb, item)
    return json_response(200, {"success": True})


def tag_json(sb: Sandbox, req: Request, item: conv.Item, fields: list[str]) -> dict[str, Any]:
    now = sb.now()
    values: dict[str, Any] = {
        "id": item.id,
        "caption": item.text_at(now),
        "username": item.extra.get("username", ""),
        "timestamp": graph_time(item.created_at),
        "permalink": f"{req.base_url}/instagram_www/p/{item.extra.get('shortcode', item.id)}/",
        "media_type": "IMAGE",
        "media_product_type": "FEED",
        "like_count": 0,
        "comments_count": 0,
    }
    return {name: values[name] for name in ["id", *fields] if name in values}


def list_tags(sb: Sandbox, req: Request, ig_user: str) -> Response:
    """GET /{ig-user-id}/tags: media others published that tag or mention the account,
    newest first."""
    refused = gate(sb, req, INSTAGRAM, ig_user)
    if refused:
        return refused
    try:
        limit = min(int(req.query.get("limit", "25")), 50)
    except ValueError:
        return invalid_param("param limit must be an integer")
    rows = conv.newest_first(
        sb, "instagram", ig_user, "mention", before=conv.decode_cursor(req.query.get("after"))
    )
    chosen, after = conv.take(rows, limit)
    fields = requested_fields(req, "id")
    return json_response(
        200,
        {
            "data": [tag_json(sb, req, i, fields) for i in chosen],
            "paging": graph_paging(req, after),
        },
    )


def mentioned_media(sb: Sandbox, req: Request, ig_user: str, modifiers: str, sub: str) -> Response:
    """GET /{ig-user-id}?fields=mentioned_media.media_id({id}){caption,comments{...}}."""
    refused = gate(sb, req, INSTAGRAM, ig_user)
    if refused:
        return refused
    match = re.search(r"media_id\(([^)]*)\)", modifiers)
    media = conv.live(sb, "instagram", match.group(1)) if match else None
    if media is None or media.kind != "mention" or media.account != ig_user:
        return invalid_param("mentioned_media requires the media_id of media that mentioned you")
    specs = field_specs(sub or "id,caption")
    body = tag_json(sb, req, media, list(specs))
    if "comments" in specs:
        now = sb.now()
        with sb.lock:
            under = list(conv.store(sb).by_post.get(("instagram", media.id), ()))
        comment_fields = list(field_specs(specs["comments"][1] or COMMENT_DEFAULT_FIELDS))
        body["comments"] = {
            "data": [comment_json(sb, req, c, comment_fields, {}) for c in under if c.visible(now)]
        }
    return json_response(200, {"mentioned_media": body, "id": ig_user})
