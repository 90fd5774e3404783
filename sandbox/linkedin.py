"""LinkedIn: versioned /rest API (images, posts, statistics), /v2 ACLs and OAuth."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from platforms.text import linkedin_escape
from sandbox import conversations as conv
from sandbox.core import Request, Response, Router, epoch_ms, json_response
from sandbox.gate import ErrorContext, context, finish_create, gate
from sandbox.media import inspect, inspect_video
from sandbox.oauth import consent_page, redeem
from sandbox.state import Post, Sandbox
from sandbox.users import LINKEDIN_MEMBER, LINKEDIN_ORGS

MAX_COMMENTARY = 3_000
MAX_IMAGE_BYTES = 36 * 1024 * 1024
VERSION_LIFETIME_MONTHS = 12  # LinkedIn supports each monthly version for a year
ACCESS_TTL = 60 * 24 * 3600
REFRESH_TTL = 365 * 24 * 3600
ORG_URN = re.compile(r"urn:li:organization:(\d+)")
# Videos API: parts of 4 MB (the video_part_bytes knob makes them smaller),
# files of 75 KB to 500 MB lasting 3 seconds to 30 minutes.
PART_BYTES = 4_194_304
VIDEO_BYTES = (75 * 1024, 500 * 1024 * 1024)
VIDEO_SECONDS = (3.0, 30 * 60.0)
UPLOAD_URLS_TTL = timedelta(hours=24)  # (unconfirmed)

api = Router()
www = Router()


def _error(
    status: int,
    message: str,
    code: str | None = None,
    service_code: int | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"status": status, "message": message}
    if code:
        body["code"] = code
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    body.update(extra)
    return json_response(status, body)


def _input_error(status: int, message: str, code: str, field: str, description: str) -> Response:
    return _error(
        status,
        message,
        errorDetailType="com.linkedin.common.error.BadRequest",
        errorDetails={
            "inputErrors": [
                {
                    "description": description,
                    "input": {"inputPath": {"fieldPath": field}},
                    "code": code,
                }
            ]
        },
    )


class LinkedInDialect:
    platform = "linkedin"
    in_band = frozenset()

    def error(self, kind: str, ctx: ErrorContext) -> Response | None:
        if kind == "unauthenticated":
            return _error(401, "Empty oauth2 access token", "EMPTY_ACCESS_TOKEN", 65604)
        if kind == "token_expired":
            return _error(
                401, "The token used in the request has expired", "EXPIRED_ACCESS_TOKEN", 65602
            )
        if kind == "permission_revoked":
            return _error(
                401,
                "The token used in the request has been revoked by the user",
                "REVOKED_ACCESS_TOKEN",
                65601,
            )
        if kind == "throttled":
            # LinkedIn's limits are daily and it sends no Retry-After header,
            # unless a test chose a wait with the retry_after_s knob.
            response = _error(
                429,
                "Resource level throttle APPLICATION DAY limit for calls to this "
                "resource is reached.",
                "TOO_MANY_REQUESTS",
                101,
            )
            if ctx.retry_after_set:
                response.headers["Retry-After"] = str(int(ctx.retry_after_s))
            return response
        if kind == "transient":
            return _error(503, "Service Unavailable")
        if kind == "server_error":
            return _error(500, "Internal Server Error")
        if kind == "rejected":
            return _input_error(
                422,
                "Posts that violate the Professional Community Policies cannot be created.",
                "INVALID_CONTENT",
                "/commentary",
                "Content violates the Professional Community Policies",
            )
        if kind == "duplicate":
            existing = ctx.existing_id or "urn:li:share:7000000000000000000"
            return _input_error(
                422,
                f"Content is a duplicate of {existing}",
                "DUPLICATE_POST",
                "",
                "Duplicate post is detected",
            )
        raise ValueError(kind)


LINKEDIN = LinkedInDialect()


def _version_problem(sb: Sandbox, req: Request) -> Response | None:
    """Every /rest call must name an active monthly version and Rest.li 2.0.0."""
    version = req.header("LinkedIn-Version")
    if not version:
        return _error(
            400,
            "A version must be present. Please specify a version by adding the "
            "LinkedIn-Version header.",
            "VERSION_MISSING",
        )
    if not _active(sb.now(), version):
        return _error(426, f"Requested version {version} is not active", "NONEXISTENT_VERSION")
    if req.header("X-Restli-Protocol-Version") != "2.0.0":
        return _error(
            400,
            "This API requires the header X-Restli-Protocol-Version: 2.0.0",
            "UNSUPPORTED_PROTOCOL_VERSION",
        )
    return None


def _active(now: datetime, version: str) -> bool:
    match = re.fullmatch(r"(\d{4})(\d{2})(?:\.\d{2})?", version)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return False
    asked = int(match.group(1)) * 12 + int(match.group(2)) - 1
    current = now.year * 12 + now.month - 1
    return current - VERSION_LIFETIME_MONTHS < asked <= current


def rest(handler: Any) -> Any:
    def versioned(sb: Sandbox, req: Request, *args: str) -> Response:
        return _version_problem(sb, req) or handler(sb, req, *args)

    return versioned


# --- images ------------------------------------------------------------------


def initialize_upload(sb: Sandbox, req: Request) -> Response:
    if req.query.get("action") != "initializeUpload":
        return _error(400, "Unsupported action")
    body = req.json or {}
    owner = (body.get("initializeUploadRequest") or {}).get("owner", "")
    if not ORG_URN.fullmatch(owner):
        return _input_error(
            400,
            "Invalid owner",
            "INVALID_VALUE",
            "/initializeUploadRequest/owner",
            "owner must be an organization URN",
        )
    refused = gate(sb, req, LINKEDIN, owner, content=True)
    if refused:
        return refused
    image = "urn:li:image:" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
    slot = secrets.token_urlsafe(16)
    expires = sb.now() + timedelta(hours=24)
    with sb.lock:
        sb.li_images[image] = {"owner": owner, "status": "WAITING_UPLOAD", "slot": slot}
        sb.li_uploads[slot] = image
    return json_response(
        200,
        {
            "value": {
                "uploadUrlExpiresAt": epoch_ms(expires),
                "uploadUrl": f"{req.base_url}/linkedin_api/dms-uploads/{slot}",
                "image": image,
            }
        },
    )


@api.route("PUT", r"/dms-uploads/([^/]+)")
def upload(sb: Sandbox, req: Request, slot: str) -> Response:
    with sb.lock:
        image = sb.li_uploads.get(slot)
    if image is None:
        return _error(404, "Upload URL not found or expired")
    info = inspect(req.body)
    with sb.lock:
        record = sb.li_images[image]
        if len(req.body) > MAX_IMAGE_BYTES or info.format not in ("JPEG", "PNG", "GIF"):
            record["status"] = "PROCESSING_FAILED"
        else:
            record["status"] = "AVAILABLE"
    return Response(status=201)


def get_image(sb: Sandbox, req: Request, image: str) -> Response:
    with sb.lock:
        record = sb.li_images.get(image)
    if record is None:
        return _error(404, f"Image {image} not found", "NOT_FOUND")
    refused = gate(sb, req, LINKEDIN, record["owner"])
    return refused or json_response(
        200, {"id": image, "owner": record["owner"], "status": record["status"]}
    )


# --- videos ------------------------------------------------------------------
# Uploads live in sb.video_uploads under "linkedin:<video urn>", from
# initializeUpload to AVAILABLE; what arrived whole, as ffprobe read it, in
# sb.videos under the same key.


def _video_of(sb: Sandbox, urn: str) -> dict[str, Any] | None:
    with sb.lock:
        return sb.video_uploads.get(f"linkedin:{urn}")


def videos_action(sb: Sandbox, req: Request) -> Response:
    action = req.query.get("action")
    if action == "initializeUpload":
        return initialize_video(sb, req)
    if action == "finalizeUpload":
        return finalize_video(sb, req)
    return _error(400, "Unsupported action")


def initialize_video(sb: Sandbox, req: Request) -> Response:
    body = (req.json or {}).get("initializeUploadRequest") or {}
    owner = str(body.get("owner", ""))
    if not ORG_URN.fullmatch(owner):
        return _input_error(
            400,
            "Invalid owner",
            "INVALID_VALUE",
            "/initializeUploadRequest/owner",
            "owner must be an organization URN",
        )
    refused = gate(sb, req, LINKEDIN, owner, content=True)
    if refused:
        return refused
    size = body.get("fileSizeBytes")
    if not isinstance(size, int) or not VIDEO_BYTES[0] <= size <= VIDEO_BYTES[1]:
        return _input_error(
            400,
            "Invalid fileSizeBytes",
            "INVALID_VALUE",
            "/initializeUploadRequest/fileSizeBytes",
            f"fileSizeBytes must be between {VIDEO_BYTES[0]} and {VIDEO_BYTES[1]}",
        )
    part_bytes = int(sb.knobs("linkedin", owner)["video_part_bytes"] or PART_BYTES)
    video_id = secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
    urn = f"urn:li:video:{video_id}"
    secret = secrets.token_urlsafe(16)
    expires = sb.now() + UPLOAD_URLS_TTL
    parts = [
        {"firstByte": first, "lastByte": min(first + part_bytes, size) - 1}
        for first in range(0, size, part_bytes)
    ]
    with sb.lock:
        sb.video_uploads[f"linkedin:{urn}"] = {
            "owner": owner,
            "size": size,
            "parts": parts,
            "secret": secret,
            "upload_token": secrets.token_urlsafe(12) if len(parts) > 1 else "",
            "urls_expire_at": expires,
            "status": "WAITING_UPLOAD",
            "data": {},  # part number -> bytes, until finalizeUpload
            "etags": {},  # part number -> the ETag its PUT answered
            "stored": [],  # part numbers in the order they were stored
            "dropped": [],  # part numbers whose request was dropped
        }
    base = f"{req.base_url}/linkedin_api/dms-uploads/video/{video_id}"
    return json_response(
        200,
        {
            "value": {
                "uploadUrlsExpireAt": epoch_ms(expires),
                "video": urn,
                "uploadInstructions": [
                    {**part, "uploadUrl": f"{base}/{number}?ut={secret}"}
                    for number, part in enumerate(parts, start=1)
                ],
                "uploadToken": sb.video_uploads[f"linkedin:{urn}"]["upload_token"],
                "thumbnailUploadUrl": "",
                "captionsUploadUrl": "",
            }
        },
    )


@api.route("PUT", r"/dms-uploads/video/([^/]+)/(\d+)")
def put_video_part(sb: Sandbox, req: Request, video_id: str, number_text: str) -> Response:
    record = _video_of(sb, f"urn:li:video:{video_id}")
    number = int(number_text)
    if (
        record is None
        or req.query.get("ut") != record["secret"]
        or not 1 <= number <= len(record["parts"])
        or record["urls_expire_at"] <= sb.now()
    ):
        return _error(404, "Upload URL not found or expired")
    refused = gate(sb, req, LINKEDIN, record["owner"], content=True)
    if refused:
        return refused
    part = record["parts"][number - 1]
    if len(req.body) != part["lastByte"] - part["firstByte"] + 1:
        return _error(
            400, f"Part {number} must be {part['lastByte'] - part['firstByte'] + 1} bytes"
        )
    lost = sb.knobs("linkedin", record["owner"])["lost_part"]
    etag = "/ambry-video/signedId/" + hashlib.sha256(video_id.encode() + req.body).hexdigest()[:40]
    with sb.lock:
        if record["status"] != "WAITING_UPLOAD":
            return _error(400, "The video upload was already finalized")
        if lost == number and number not in record["dropped"]:
            # The lost_part fault: the request arrived, the part is not kept
            # and no answer goes back (once per upload).
            record["dropped"].append(number)
            return Response(status=0, drop=True)
        record["data"][number] = req.body  # put again: replaced, not added
        record["etags"][number] = etag
        record["stored"].append(number)
    return Response(status=200, headers={"ETag": etag})


def finalize_video(sb: Sandbox, req: Request) -> Response:
    body = (req.json or {}).get("finalizeUploadRequest") or {}
    urn = str(body.get("video", ""))
    record = _video_of(sb, urn)
    if record is None:
        return _error(404, f"Video {urn} not found", "NOT_FOUND")
    refused = gate(sb, req, LINKEDIN, record["owner"], content=True)
    if refused:
        return refused
    given = body.get("uploadedPartIds")
    given = [str(i) for i in given] if isinstance(given, list) else []
    with sb.lock:
        status = record["status"]
        etags = [record["etags"].get(n) for n in range(1, len(record["parts"]) + 1)]
        data = dict(record["data"])
    if str(body.get("uploadToken", "")) != record["upload_token"]:
        return _input_error(
            400,
            "Invalid upload token",
            "INVALID_VALUE",
            "/finalizeUploadRequest/uploadToken",
            "uploadToken does not match the upload",
        )
    if given != etags:
        # (unconfirmed wording) LinkedIn checks every part's ETag, in order.
        wrong = next(
            (n for n, (a, b) in enumerate(zip(given, etags, strict=False), start=1) if a != b),
            min(len(given), len(etags)) + 1,
        )
        return _input_error(
            400,
            "Video upload could not be finalized: the uploaded part ids do not match "
            "the uploaded parts",
            "INVALID_VALUE",
            "/finalizeUploadRequest/uploadedPartIds",
            f"Part {wrong} is missing or its ETag is wrong",
        )
    if status != "WAITING_UPLOAD":
        return Response(status=200)  # finalized already (its answer was lost)
    # Outside the lock: ffprobe takes a moment.
    info = inspect_video(b"".join(data[n] for n in sorted(data)))
    knobs = sb.knobs("linkedin", record["owner"])
    reason = None
    if knobs["video_processing_fails"] or not info.format:
        reason = "The video could not be processed: unsupported video format"  # (unconfirmed)
    elif not VIDEO_SECONDS[0] <= info.duration <= VIDEO_SECONDS[1]:
        reason = "Video duration must be between 3 seconds and 30 minutes"  # (unconfirmed)
    with sb.lock:
        record.update(
            status="PROCESSING",
            data={},
            video=info.to_json(),
            failure=reason,
            polls_left=int(knobs["video_processing_polls"] or 0),
            uploaded_at=sb.now(),
        )
        sb.videos[f"linkedin:{urn}"] = info.to_json()
    return Response(status=200)


def get_video(sb: Sandbox, req: Request, urn: str) -> Response:
    """The video's status; each look while PROCESSING moves it on.

    The video_processing_polls knob: that many looks still answer PROCESSING;
    then AVAILABLE, or PROCESSING_FAILED with LinkedIn's reason.
    """
    record = _video_of(sb, urn)
    if record is None:
        return _error(404, f"Video {urn} not found", "NOT_FOUND")
    refused = gate(sb, req, LINKEDIN, record["owner"])
    if refused:
        return refused
    with sb.lock:
        if record["status"] == "PROCESSING":
            if record["polls_left"] > 0:
                record["polls_left"] -= 1
            else:
                record["status"] = "PROCESSING_FAILED" if record["failure"] else "AVAILABLE"
        status = record["status"]
    body: dict[str, Any] = {"id": urn, "owner": record["owner"], "status": status}
    video = record.get("video") or {}
    if status == "AVAILABLE":
        body.update(
            duration=round(float(video.get("duration") or 0) * 1000),
            aspectRatioWidth=video.get("width"),
            aspectRatioHeight=video.get("height"),
            uploadedAt=epoch_ms(record["uploaded_at"]),
        )
    if status == "PROCESSING_FAILED":
        body["processingFailureReason"] = record["failure"]
    return json_response(200, body)


# --- posts -------------------------------------------------------------------


def _content_images(content: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    if not content:
        return []
    if "media" in content:
        return [content["media"]]
    if "multiImage" in content:
        return list(content["multiImage"].get("images") or [])
    if "article" in content:
        return []
    return None


def create_post(sb: Sandbox, req: Request) -> Response:
    body = req.json
    if not isinstance(body, dict):
        return _error(400, "Request body must be a JSON object")
    author = str(body.get("author", ""))
    if not ORG_URN.fullmatch(author):
        return _input_error(
            422, "Invalid author", "INVALID_VALUE", "/author", "author must be an organization URN"
        )
    refused = gate(sb, req, LINKEDIN, author, content=True, create=True)
    if refused:
        return refused
    for field, expected in (("visibility", "PUBLIC"), ("lifecycleState", "PUBLISHED")):
        if body.get(field) != expected:
            return _input_error(
                422,
                f"{field} must be {expected}",
                "INVALID_VALUE",
                f"/{field}",
                f"{field} is required",
            )
    distribution = body.get("distribution") or {}
    if distribution.get("feedDistribution") not in ("MAIN_FEED", "NONE"):
        return _input_error(
            422,
            "distribution.feedDistribution is required",
            "MISSING_FIELD",
            "/distribution/feedDistribution",
            "Field is required",
        )
    commentary = str(body.get("commentary", ""))
    if len(_unescape(commentary)) > MAX_COMMENTARY:
        return _input_error(
            422,
            "commentary is too long",
            "FIELD_LENGTH_TOO_LONG",
            "/commentary",
            f"Length must be at most {MAX_COMMENTARY}",
        )
    images = _content_images(body.get("content"))
    if images is None:
        return _input_error(
            422, "Unsupported content", "INVALID_VALUE", "/content", "Unknown content type"
        )
    if "multiImage" in (body.get("content") or {}) and not 2 <= len(images) <= 20:
        return _input_error(
            422,
            "multiImage needs 2 to 20 images",
            "INVALID_VALUE",
            "/content/multiImage/images",
            "Between 2 and 20 images are required",
        )
    video = None
    with sb.lock:
        for index, image in enumerate(images):
            media_id = str(image.get("id", ""))
            if media_id.startswith("urn:li:video:"):
                record = sb.video_uploads.get(f"linkedin:{media_id}")
                video = (record or {}).get("video")
            else:
                record = sb.li_images.get(media_id)
            if record is None or record["owner"] != author or record["status"] != "AVAILABLE":
                return _input_error(
                    422,
                    f"Image {image.get('id')} is not available",
                    "INVALID_VALUE",
                    f"/content/images/{index}/id",
                    "Image must be uploaded and processed first",
                )
    duplicate = sb.find_duplicate("linkedin", author, commentary)
    if duplicate:
        ctx = context(sb, "linkedin", author)
        ctx.existing_id = duplicate.id
        return LINKEDIN.error("duplicate", ctx) or _error(422, "duplicate")
    article = (body.get("content") or {}).get("article") or {}
    urn = f"urn:li:share:{sb.new_id(7_100_000_000_000_000_000)}"
    sb.add_post(
        Post(
            platform="linkedin",
            account=author,
            id=urn,
            text=commentary,
            media_count=len(images),
            created_at=sb.now(),
            token=req.bearer,
            permalink=f"{req.base_url}/linkedin_www/feed/update/{urn}/",
            link=article.get("source"),
            extra={"content": body.get("content"), **({"video": video} if video else {})},
        )
    )
    created = Response(
        status=201,
        headers={
            "x-restli-id": urn,
            "Location": f"/rest/posts/{quote(urn, safe='')}",
        },
    )
    return finish_create(sb, req, LINKEDIN, created)


def _unescape(commentary: str) -> str:
    """The text a reader sees: templates collapsed, escapes removed (for length checks)."""
    text = re.sub(r"\{hashtag\|\\#\|([^}]*)\}", r"#\1", commentary)
    return re.sub(r"\\(.)", r"\1", text)


def post_json(post: Post) -> dict[str, Any]:
    created = epoch_ms(post.created_at)
    body: dict[str, Any] = {
        "id": post.id,
        "author": post.account,
        "commentary": post.text,
        "visibility": "PUBLIC",
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "createdAt": created,
        "publishedAt": created,
        "lastModifiedAt": created,
    }
    if post.extra.get("content"):
        body["content"] = post.extra["content"]
    return body


def read_post(sb: Sandbox, req: Request, urn: str) -> Response:
    post = sb.get_post("linkedin", urn)
    mention = conv.live(sb, "linkedin", urn) if post is None else None
    if mention is not None and mention.kind == "mention":
        # A member's post that mentions the organization (SHARE_MENTION).
        refused = gate(sb, req, LINKEDIN, mention.account)
        return refused or json_response(200, member_post_json(sb, mention))
    refused = gate(sb, req, LINKEDIN, post.account if post else "")
    if refused:
        return refused
    if post is None:
        return _error(404, f"Post {urn} not found", "NOT_FOUND")
    return json_response(200, post_json(post))


def delete_post(sb: Sandbox, req: Request, urn: str) -> Response:
    post = sb.get_post("linkedin", urn)
    refused = gate(sb, req, LINKEDIN, post.account if post else "")
    if refused:
        return refused
    if post:
        sb.delete_post(post)
    return Response(status=204)  # also when already gone


def find_posts(sb: Sandbox, req: Request) -> Response:
    q = req.query
    if q.get("q") != "author" or not q.get("author"):
        return _error(400, "Finder q=author with an author parameter is required")
    author = q["author"]
    refused = gate(sb, req, LINKEDIN, author)
    if refused:
        return refused
    try:
        count = min(int(q.get("count", "10")), 100)
        start = int(q.get("start", "0"))
    except ValueError:
        return _error(400, "count and start must be integers")
    posts = sb.recent_posts("linkedin", author)
    page = posts[start : start + count]
    return json_response(
        200,
        {
            "elements": [post_json(p) for p in page],
            "paging": {"start": start, "count": count, "total": len(posts), "links": []},
        },
    )


def share_statistics(sb: Sandbox, req: Request) -> Response:
    q = req.query
    org = q.get("organizationalEntity", "")
    if q.get("q") != "organizationalEntity" or not ORG_URN.fullmatch(org):
        return _error(400, "q=organizationalEntity with an organization URN is required")
    refused = gate(sb, req, LINKEDIN, org)
    if refused:
        return refused
    shares = _restli_list(req.raw_query, "shares")
    elements = []
    for urn in shares:
        post = sb.get_post("linkedin", urn)
        if post is None or post.account != org:
            continue
        m = {name: value or 0 for name, value in sb.metrics_of(post).items()}
        engaged = m["likes"] + m["comments"] + m["shares"] + m["clicks"]
        elements.append(
            {
                "organizationalEntity": org,
                "share": urn,
                "totalShareStatistics": {
                    "uniqueImpressionsCount": m["reach"],
                    "impressionCount": m["impressions"],
                    "clickCount": m["clicks"],
                    "likeCount": m["likes"],
                    "commentCount": m["comments"],
                    "shareCount": m["shares"],
                    "engagement": round(engaged / m["impressions"], 4) if m["impressions"] else 0,
                },
            }
        )
    return json_response(
        200, {"elements": elements, "paging": {"start": 0, "count": 10, "links": []}}
    )


def _restli_list(raw_query: str, name: str) -> list[str]:
    """Rest.li 2.0 list parameter: name=List(urn%3Ali%3Ashare%3A1,urn%3A...)."""
    for pair in raw_query.split("&"):
        key, _, value = pair.partition("=")
        if key == name and value.startswith("List(") and value.endswith(")"):
            return [unquote(item) for item in value[5:-1].split(",") if item]
    return []


def organization(sb: Sandbox, req: Request, org_id: str) -> Response:
    org = next((o for o in LINKEDIN_ORGS if str(o["id"]) == org_id), None)
    refused = gate(sb, req, LINKEDIN, f"urn:li:organization:{org_id}")
    if refused:
        return refused
    if org is None:
        return _error(404, f"Organization {org_id} not found", "NOT_FOUND")
    return json_response(200, dict(org))


def network_size(sb: Sandbox, req: Request, urn: str) -> Response:
    """An organization's followers (edgeType=COMPANY_FOLLOWED_BY_MEMBER)."""
    if not ORG_URN.fullmatch(urn):
        return _error(400, f"{urn} is not an organization URN")
    if req.query.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
        return _error(400, "edgeType=COMPANY_FOLLOWED_BY_MEMBER is required")
    refused = gate(sb, req, LINKEDIN, urn)
    if refused:
        return refused
    return json_response(200, {"firstDegreeSize": sb.account_figures("linkedin", urn)["followers"]})


@api.route("GET", r"/v2/organizationalEntityAcls")
def organization_acls(sb: Sandbox, req: Request) -> Response:
    refused = gate(sb, req, LINKEDIN, LINKEDIN_MEMBER)
    if refused:
        return refused
    if req.query.get("q") != "roleAssignee":
        return _error(400, "Finder q=roleAssignee is required")
    elements = [
        {
            "organizationalTarget": f"urn:li:organization:{org['id']}",
            "role": "ADMINISTRATOR",
            "state": "APPROVED",
            "roleAssignee": LINKEDIN_MEMBER,
        }
        for org in LINKEDIN_ORGS
    ]
    return json_response(
        200, {"elements": elements, "paging": {"start": 0, "count": 10, "links": []}}
    )


api.add("POST", r"/rest/images", rest(initialize_upload))
api.add("GET", r"/rest/images/([^/]+)", rest(get_image))
api.add("POST", r"/rest/videos", rest(videos_action))
api.add("GET", r"/rest/videos/([^/]+)", rest(get_video))
api.add("POST", r"/rest/posts", rest(create_post))
api.add("GET", r"/rest/posts", rest(find_posts))
api.add("GET", r"/rest/posts/([^/]+)", rest(read_post))
api.add("DELETE", r"/rest/posts/([^/]+)", rest(delete_post))
api.add("GET", r"/rest/organizationalEntityShareStatistics", rest(share_statistics))
api.add("GET", r"/rest/organizations/(\d+)", rest(organization))
api.add("GET", r"/rest/networkSizes/([^/]+)", rest(network_size))


# --- comments and mentions (sandbox.conversations) -----------------------------
# GET and POST /rest/socialActions/{post or comment URN}/comments, GET and DELETE
# /rest/socialActions/{URN}/comments/{comment id} (DELETE with ?actor=), and GET
# /rest/organizationalEntityNotifications?q=criteria (SHARE_MENTION, COMMENT_MENTION).

MAX_COMMENT = 1_250  # (unconfirmed)
NOTIFICATIONS_KEPT = timedelta(days=60)
COMMENT_URN = re.compile(r"urn:li:comment:\((.+),(\d+)\)")


def _split_comment(urn: str) -> tuple[str, str] | None:
    """(the post, the comment id) of a comment URN."""
    match = COMMENT_URN.fullmatch(urn)
    return (match.group(1), match.group(2)) if match else None


def comment_json(sb: Sandbox, item: conv.Item) -> dict[str, Any]:
    now = sb.now()
    _, number = _split_comment(item.id) or ("", item.id)
    replies = 0 if item.parent_id else len(conv.thread_of(sb, item))
    body: dict[str, Any] = {
        "actor": item.author_id,
        "commentUrn": item.id,
        "$URN": item.id,
        "id": number,
        "created": {"actor": item.author_id, "time": epoch_ms(item.created_at)},
        "lastModified": {"actor": item.author_id, "time": epoch_ms(item.updated_at(now))},
        "message": {"text": item.text_at(now), "attributes": []},
        "object": item.post_id,
        "commentsSummary": {
            "selectedComments": [],
            "totalFirstLevelComments": replies,
            "aggregatedTotalComments": replies,
        },
        "likesSummary": {"selectedLikes": [], "likedByCurrentUser": False, "totalLikes": 0},
    }
    if item.parent_id:
        body["parentComment"] = item.parent_id
    return body


def member_post_json(sb: Sandbox, item: conv.Item) -> dict[str, Any]:
    """A member's post, its commentary in little text with the organization's mention."""
    now = sb.now()
    name = conv.our_name("linkedin", item.account)
    text = linkedin_escape(item.text_at(now))
    escaped_name = linkedin_escape(name)
    if escaped_name in text:
        text = text.replace(escaped_name, f"@[{escaped_name}]({item.account})", 1)
    created = epoch_ms(item.created_at)
    return {
        "id": item.id,
        "author": item.author_id,
        "commentary": text,
        "visibility": "PUBLIC",
        "lifecycleState": "PUBLISHED",
        "createdAt": created,
        "publishedAt": created,
        "lastModifiedAt": epoch_ms(item.updated_at(now)),
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
    }


def _target(sb: Sandbox, urn: str) -> tuple[str, str, conv.Item | None] | None:
    """(the organization, the post, the item) a socialActions URN names: one of our
    posts, a member's post that mentioned us, or a comment."""
    post = sb.get_post("linkedin", urn)
    if post is not None:
        return post.account, post.id, None
    item = conv.live(sb, "linkedin", urn)
    if item is None:
        return None
    return item.account, item.post_id or urn, item


def list_comments(sb: Sandbox, req: Request, urn: str) -> Response:
    """First-level comments of a post, or the replies under one comment, oldest first."""
    target = _target(sb, urn)
    refused = gate(sb, req, LINKEDIN, target[0] if target else "")
    if refused:
        return refused
    if target is None:
        return _error(404, f"{urn} not found", "NOT_FOUND")
    _, post_id, item = target
    now = sb.now()
    if item is None or (item.kind == "mention" and item.post_id == item.id):
        with sb.lock:
            under = list(conv.store(sb).by_post.get(("linkedin", post_id), ()))
        rows = [i for i in under if i.visible(now) and not i.parent_id]
    else:
        top = item if not item.parent_id else conv.get(sb, "linkedin", item.parent_id)
        rows = conv.thread_of(sb, top) if top else []
    try:
        count = min(int(req.query.get("count", "10")), 100)
        start = int(req.query.get("start", "0"))
    except ValueError:
        return _error(400, "count and start must be integers")
    page = rows[start : start + count]
    return json_response(
        200,
        {
            "elements": [comment_json(sb, i) for i in page],
            "paging": {"start": start, "count": count, "total": len(rows), "links": []},
        },
    )


def create_comment(sb: Sandbox, req: Request, urn: str) -> Response:
    body = req.json
    if not isinstance(body, dict):
        return _error(400, "Request body must be a JSON object")
    target = _target(sb, urn)
    refused = gate(sb, req, LINKEDIN, target[0] if target else "", content=True, create=True)
    if refused:
        return refused
    if target is None:
        return _error(404, f"{urn} not found", "NOT_FOUND")
    org, post_id, item = target
    actor = str(body.get("actor", ""))
    if actor != org:
        return _input_error(
            403 if ORG_URN.fullmatch(actor) else 422,
            "Actor is not allowed to comment as this organization",
            "INVALID_VALUE",
            "/actor",
            "actor must be the organization that owns the post",
        )
    text = str((body.get("message") or {}).get("text", ""))
    if not text.strip():
        return _input_error(
            422, "message.text is required", "MISSING_FIELD", "/message/text", "Field is required"
        )
    if len(text) > MAX_COMMENT:
        return _input_error(
            422,
            "message.text is too long",
            "FIELD_LENGTH_TOO_LONG",
            "/message/text",
            f"Length must be at most {MAX_COMMENT}",
        )
    parent = str(body.get("parentComment") or "")
    if (
        item is not None
        and item.kind == "comment"
        and parent
        and parent not in (item.id, item.parent_id)
    ):
        return _input_error(
            422,
            "parentComment does not match the comment replied to",
            "INVALID_VALUE",
            "/parentComment",
            "parentComment must be the target",
        )
    to = item
    if item is not None and item.kind == "mention" and item.post_id == item.id:
        to = item  # a comment of ours on the member's post
    thread_post = item.post_id if item is not None else post_id
    number = sb.new_id(7_300_000_000_000_000_000)
    reply = conv.add_reply(
        sb,
        platform="linkedin",
        account=org,
        to=to,
        post_id=post_id,
        text=text,
        new_id=f"urn:li:comment:({thread_post},{number})",
    )
    created = json_response(201, comment_json(sb, reply), {"x-restli-id": number})
    return finish_create(sb, req, LINKEDIN, created)


def _comment_at(sb: Sandbox, urn: str, comment_id: str) -> conv.Item | None:
    if comment_id.startswith("urn:li:comment:"):
        return conv.live(sb, "linkedin", comment_id)
    split = _split_comment(urn)
    post = split[0] if split else urn
    return conv.live(sb, "linkedin", f"urn:li:comment:({post},{comment_id})")


def get_comment(sb: Sandbox, req: Request, urn: str, comment_id: str) -> Response:
    item = _comment_at(sb, urn, comment_id)
    refused = gate(sb, req, LINKEDIN, item.account if item else "")
    if refused:
        return refused
    if item is None:
        return _error(404, "Comment not found", "NOT_FOUND")
    return json_response(200, comment_json(sb, item))


def delete_comment(sb: Sandbox, req: Request, urn: str, comment_id: str) -> Response:
    item = _comment_at(sb, urn, comment_id)
    refused = gate(sb, req, LINKEDIN, item.account if item else "")
    if refused:
        return refused
    if item is None:
        return _error(404, "Comment not found", "NOT_FOUND")
    if req.query.get("actor") != item.account:
        return _error(403, "Not enough permissions to delete this comment", "ACCESS_DENIED", 100)
    ours = sb.get_post("linkedin", item.post_id or "") is not None
    if item.kind != "comment" or not (ours or item.from_us):
        return _error(403, "Not enough permissions to delete this comment", "ACCESS_DENIED", 100)
    conv.delete(sb, item)
    return Response(status=204)


def _restli_values(raw_query: str, name: str) -> str:
    for pair in raw_query.split("&"):
        key, _, value = pair.partition("=")
        if key == name:
            return unquote(value)
    return ""


def notifications(sb: Sandbox, req: Request) -> Response:
    """The organization's social action notifications, newest first, kept 60 days.

    Only the mentions are modelled (SHARE_MENTION: a member's post names the
    organization; COMMENT_MENTION: a comment does); other actions answer nothing.
    """
    org = req.query.get("organizationalEntity", "")
    if req.query.get("q") != "criteria" or not ORG_URN.fullmatch(org):
        return _error(400, "q=criteria with an organizationalEntity URN is required")
    refused = gate(sb, req, LINKEDIN, org)
    if refused:
        return refused
    listed = _restli_values(req.raw_query, "actions")
    actions = set(listed[5:-1].split(",")) if listed.startswith("List(") else set()
    window = re.fullmatch(r"\(start:(\d+),end:(\d+)\)", _restli_values(req.raw_query, "timeRange"))
    try:
        count = min(int(req.query.get("count", "10")), 100)
        start = int(req.query.get("start", "0"))
    except ValueError:
        return _error(400, "count and start must be integers")
    oldest = sb.now() - NOTIFICATIONS_KEPT
    rows = (
        i
        for i in conv.newest_first(sb, "linkedin", org, "mention")
        if i.extra.get("action") in actions
        and (
            window is None or int(window.group(1)) <= epoch_ms(i.created_at) <= int(window.group(2))
        )
    )
    elements = []
    for index, item in enumerate(rows):
        if item.created_at < oldest:
            break
        if index < start:
            continue
        if len(elements) == count:
            break
        elements.append(
            {
                "action": item.extra["action"],
                "organizationalEntity": org,
                "sourcePost": item.post_id,
                "generatedActivity": item.id,
                "lastModifiedAt": epoch_ms(item.created_at),
                "actor": item.author_id,
            }
        )
    return json_response(
        200, {"elements": elements, "paging": {"start": start, "count": count, "links": []}}
    )


api.add("GET", r"/rest/socialActions/([^/]+)/comments", rest(list_comments))
api.add("POST", r"/rest/socialActions/([^/]+)/comments", rest(create_comment))
api.add("GET", r"/rest/socialActions/([^/]+)/comments/([^/]+)", rest(get_comment))
api.add("DELETE", r"/rest/socialActions/([^/]+)/comments/([^/]+)", rest(delete_comment))
api.add("GET", r"/rest/organizationalEntityNotifications", rest(notifications))


# --- OAuth -------------------------------------------------------------------


@www.route("GET", r"/oauth/v2/authorization")
def authorize(sb: Sandbox, req: Request) -> Response:
    return consent_page(sb, req, "linkedin", pkce="optional")


def _oauth_error(error: str, description: str) -> Response:
    return json_response(400, {"error": error, "error_description": description})


@www.route("POST", r"/oauth/v2/accessToken")
def access_token(sb: Sandbox, req: Request) -> Response:
    form = req.form
    if not form.get("client_id") or not form.get("client_secret"):
        return _oauth_error(
            "invalid_request", 'A required parameter "client_id" or "client_secret" is missing'
        )
    grant = form.get("grant_type")
    if grant == "authorization_code":
        stored, why = redeem(
            sb,
            "linkedin",
            code=form.get("code", ""),
            redirect_uri=form.get("redirect_uri", ""),
            client_id=form["client_id"],
            code_verifier=form.get("code_verifier"),
        )
        if stored is None:
            return _oauth_error("invalid_request", f"Unable to retrieve access token: {why}")
        refresh_expires = sb.now() + timedelta(seconds=REFRESH_TTL)
        refresh = sb.issue_token(
            "linkedin", "refresh", prefix="AQX", ttl=REFRESH_TTL, scopes=stored.scope
        )
        return _tokens(sb, stored.scope, refresh, refresh_expires)
    if grant == "refresh_token":
        refresh = form.get("refresh_token", "")
        info = sb.token(refresh)
        if not refresh or sb.token_problem(refresh) or (info and info.kind != "refresh"):
            return _oauth_error(
                "invalid_request",
                "The provided authorization grant or refresh token is invalid, expired or revoked",
            )
        # Refreshing never extends the refresh token's own 365 days.
        refresh_expires = (info.expires_at if info else None) or sb.now() + timedelta(
            seconds=REFRESH_TTL
        )
        return _tokens(sb, info.scopes if info else "", refresh, refresh_expires)
    return _oauth_error("unsupported_grant_type", f"grant_type {grant!r} is not supported")


def _tokens(sb: Sandbox, scopes: str, refresh: str, refresh_expires: datetime) -> Response:
    access = sb.issue_token("linkedin", "access", prefix="AQV", ttl=ACCESS_TTL, scopes=scopes)
    return json_response(
        200,
        {
            "access_token": access,
            "expires_in": ACCESS_TTL,
            "refresh_token": refresh,
            "refresh_token_expires_in": max(0, int((refresh_expires - sb.now()).total_seconds())),
            "scope": scopes.replace(" ", ","),
        },
    )


ROUTERS = {"linkedin_api": api, "linkedin_www": www}
