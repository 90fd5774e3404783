"""Google Business Profile: v4 localPosts, account/location listing and Google OAuth."""

from __future__ import annotations

from typing import Any

from sandbox import conversations as conv
from sandbox.core import (
    Request,
    Response,
    Router,
    cursor_page,
    iso,
    json_response,
)
from sandbox.gate import ErrorContext, finish_create, gate
from sandbox.media import FetchError, fetch, inspect
from sandbox.oauth import consent_page, redeem
from sandbox.state import Post, Sandbox
from sandbox.users import GOOGLE_ACCOUNTS

MAX_SUMMARY = 1_500
MAX_IMAGE_BYTES = 5 * 1024 * 1024
TOPIC_TYPES = {"STANDARD", "EVENT", "OFFER", "ALERT"}
ACTION_TYPES = {"BOOK", "ORDER", "SHOP", "LEARN_MORE", "SIGN_UP", "CALL"}
ACCESS_TTL = 3599
LOCATION = r"(accounts/[^/]+/locations/[^/]+)"

business = Router()
accounts = Router()
info = Router()
oauth = Router()
www = Router()


def google_error(
    status: int,
    state: str,
    message: str,
    details: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    error: dict[str, Any] = {"code": status, "message": message, "status": state}
    if details:
        error["details"] = details
    return json_response(status, {"error": error}, headers)


def _invalid(field: str, message: str) -> Response:
    return google_error(
        400,
        "INVALID_ARGUMENT",
        "Request contains an invalid argument.",
        [
            {
                "@type": "type.googleapis.com/google.mybusiness.v4.ValidationError",
                "errorDetails": [{"code": 3, "field": field, "message": message}],
            }
        ],
    )


class GoogleDialect:
    platform = "google_business"
    # Google accepts a post that breaks policy and marks it REJECTED.
    in_band = frozenset({"rejected"})

    def error(self, kind: str, ctx: ErrorContext) -> Response | None:
        if kind in ("unauthenticated", "token_expired"):
            return google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication "
                "credentials. Expected OAuth 2 access token, login cookie or other "
                "valid authentication credential.",
            )
        if kind == "permission_revoked":
            return google_error(403, "PERMISSION_DENIED", "The caller does not have permission")
        if kind == "throttled":
            return google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric "
                "'Requests' and limit 'Requests per minute' of service "
                "'mybusiness.googleapis.com'.",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "RATE_LIMIT_EXCEEDED",
                        "domain": "googleapis.com",
                        "metadata": {"quota_limit_value": "300"},
                    },
                    {
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": f"{int(ctx.retry_after_s)}s",
                    },
                ],
            )
        if kind == "transient":
            return google_error(503, "UNAVAILABLE", "The service is currently unavailable.")
        if kind == "server_error":
            return google_error(500, "INTERNAL", "Internal error encountered.")
        if kind == "duplicate":
            return None  # Google has no duplicate check
        raise ValueError(kind)


GOOGLE = GoogleDialect()


def post_json(post: Post) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": post.id,
        "languageCode": post.extra.get("languageCode", "en"),
        "summary": post.text,
        "state": post.state,
        "createTime": iso(post.created_at),
        "updateTime": iso(post.created_at),
        "searchUrl": post.permalink,
        "topicType": post.extra.get("topicType", "STANDARD"),
    }
    if post.extra.get("callToAction"):
        body["callToAction"] = post.extra["callToAction"]
    if post.media_urls:
        body["media"] = [
            {"name": f"{post.id}/media/{i}", "mediaFormat": "PHOTO", "googleUrl": url}
            for i, url in enumerate(post.media_urls)
        ]
    return body


@business.route("POST", rf"/v4/{LOCATION}/localPosts")
def create_post(sb: Sandbox, req: Request, location: str) -> Response:
    refused = gate(sb, req, GOOGLE, location, content=True, create=True)
    if refused:
        return refused
    body = req.json
    if not isinstance(body, dict):
        return _invalid("", "The request body must be a LocalPost.")
    summary = str(body.get("summary", ""))
    topic = body.get("topicType", "STANDARD")
    if topic not in TOPIC_TYPES:
        return _invalid("topic_type", f"Unknown topic type {topic}.")
    if not summary.strip() and not body.get("media"):
        return _invalid("summary", "A post needs a summary or media.")
    if len(summary) > MAX_SUMMARY:
        return _invalid("summary", f"The summary is longer than {MAX_SUMMARY} characters.")
    action = body.get("callToAction")
    if action is not None and (
        action.get("actionType") not in ACTION_TYPES
        or (action.get("actionType") != "CALL" and not action.get("url"))
    ):
        return _invalid("call_to_action", "The call to action needs a valid actionType and url.")
    media_urls = []
    for index, item in enumerate(body.get("media") or []):
        problem = _fetch_photo(item, index)
        if problem:
            return problem
        media_urls.append(item["sourceUrl"])
    number = sb.new_id()
    post = sb.add_post(
        Post(
            platform="google_business",
            account=location,
            id=f"{location}/localPosts/{number}",
            text=summary,
            media_count=len(media_urls),
            created_at=sb.now(),
            token=req.bearer,
            permalink=f"{req.base_url}/google_www/localposts/{number}",
            link=(action or {}).get("url"),
            media_urls=media_urls,
            state="REJECTED" if "rejected" in req.injected else "LIVE",
            extra={
                "topicType": topic,
                "callToAction": action,
                "languageCode": body.get("languageCode", "en"),
            },
        )
    )
    return finish_create(sb, req, GOOGLE, json_response(200, post_json(post)))


def _fetch_photo(item: dict[str, Any], index: int) -> Response | None:
    """Google fetches sourceUrl itself; a photo it cannot use fails the whole call."""
    field = f"media[{index}].source_url"
    if item.get("mediaFormat") != "PHOTO" or not item.get("sourceUrl"):
        return _invalid(field, "Only PHOTO media with a sourceUrl is supported.")
    try:
        data = fetch(item["sourceUrl"], max_bytes=MAX_IMAGE_BYTES)
    except FetchError as exc:
        if exc.reason == "too_large":
            return _invalid(field, "The photo is larger than 5 MB.")
        return _invalid(field, f"Fetching image failed: {exc.detail}")
    if inspect(data).format not in ("JPEG", "PNG"):
        return _invalid(field, "The photo must be a JPG or PNG file.")
    return None


def _find(sb: Sandbox, name: str) -> Post | None:
    return sb.get_post("google_business", name)


def _location_of(name: str) -> str:
    return name.rsplit("/localPosts/", 1)[0]


def _not_found() -> Response:
    return google_error(404, "NOT_FOUND", "Requested entity was not found.")


@business.route("GET", rf"/v4/({LOCATION[1:-1]}/localPosts/[^/:]+)")
def read_post(sb: Sandbox, req: Request, name: str) -> Response:
    refused = gate(sb, req, GOOGLE, _location_of(name))
    if refused:
        return refused
    post = _find(sb, name)
    return json_response(200, post_json(post)) if post else _not_found()


@business.route("DELETE", rf"/v4/({LOCATION[1:-1]}/localPosts/[^/:]+)")
def delete_post(sb: Sandbox, req: Request, name: str) -> Response:
    refused = gate(sb, req, GOOGLE, _location_of(name))
    if refused:
        return refused
    post = _find(sb, name)
    if post is None:
        return _not_found()
    sb.delete_post(post)
    return json_response(200, {})


@business.route("GET", rf"/v4/{LOCATION}/localPosts")
def list_posts(sb: Sandbox, req: Request, location: str) -> Response:
    refused = gate(sb, req, GOOGLE, location)
    if refused:
        return refused
    try:
        size = min(int(req.query.get("pageSize", "20")), 100)
    except ValueError:
        return _invalid("page_size", "pageSize must be a number.")
    posts = sb.recent_posts("google_business", location)
    page, next_token = cursor_page(posts, req.query.get("pageToken"), size)
    body: dict[str, Any] = {"localPosts": [post_json(p) for p in page]}
    if next_token:
        body["nextPageToken"] = next_token
    return json_response(200, body)


@business.route("POST", rf"/v4/{LOCATION}/localPosts:reportInsights")
def report_insights(sb: Sandbox, req: Request, location: str) -> Response:
    refused = gate(sb, req, GOOGLE, location)
    if refused:
        return refused
    body = req.json or {}
    names = body.get("localPostNames") or []
    if not names or len(names) > 100:
        return _invalid("local_post_names", "Between 1 and 100 localPostNames are required.")
    metrics = []
    for name in names:
        post = sb.get_post("google_business", name, include_deleted=True)
        if post is None or post.account != location:
            continue
        m = sb.metrics_of(post)
        metrics.append(
            {
                "localPostName": name,
                "metricValues": [
                    {
                        "metric": "LOCAL_POST_VIEWS_SEARCH",
                        "totalValue": {
                            "metricOption": "AGGREGATED_TOTAL",
                            "value": str(m["impressions"]),
                        },
                    },
                    {
                        "metric": "LOCAL_POST_ACTIONS_CALL_TO_ACTION",
                        "totalValue": {
                            "metricOption": "AGGREGATED_TOTAL",
                            "value": str(m["clicks"]),
                        },
                    },
                ],
            }
        )
    return json_response(200, {"name": location, "localPostMetrics": metrics})


# --- reviews (sandbox.conversations) ---------------------------------------------
# GET /v4/{location}/reviews (pageSize up to 50, pageToken; newest first),
# GET /v4/{review name}, PUT and DELETE /v4/{review name}/reply.

STARS = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}
REVIEW = rf"({LOCATION[1:-1]}/reviews/[^/:]+)"
MAX_REPLY = 4_096  # (unconfirmed: Google documents bytes, we count characters)


def review_json(sb: Sandbox, item: conv.Item) -> dict[str, Any]:
    now = sb.now()
    rating = item.rating_at(now) or 5
    body: dict[str, Any] = {
        "name": item.id,
        "reviewId": item.id.rsplit("/", 1)[-1],
        "reviewer": {
            "displayName": item.author_name,
            "isAnonymous": bool(item.extra.get("anonymous")),
        },
        "starRating": STARS[rating],
        "createTime": iso(item.created_at),
        "updateTime": iso(item.updated_at(now)),
    }
    if not item.extra.get("anonymous"):
        body["reviewer"]["profilePhotoUrl"] = "https://lh3.googleusercontent.com/a/default-user"
    text = item.text_at(now)
    if text:  # a rating without words has no comment at all
        body["comment"] = text
    reply = item.reply_at(now)
    if reply is not None:
        body["reviewReply"] = {"comment": reply.text, "updateTime": iso(reply.at)}
    return body


@business.route("GET", rf"/v4/{LOCATION}/reviews")
def list_reviews(sb: Sandbox, req: Request, location: str) -> Response:
    refused = gate(sb, req, GOOGLE, location)
    if refused:
        return refused
    try:
        size = int(req.query.get("pageSize", "50"))
    except ValueError:
        return _invalid("page_size", "pageSize must be a number.")
    if not 1 <= size <= 50:
        return _invalid("page_size", "pageSize must be between 1 and 50.")
    rows = conv.newest_first(
        sb,
        "google_business",
        location,
        "review",
        before=conv.decode_cursor(req.query.get("pageToken")),
    )
    chosen, token = conv.take(rows, size)
    # The totals cover every review, not the page: one pass over the location's reviews.
    now = sb.now()
    with sb.lock:
        every = [
            i
            for i in conv.account_items(sb, "google_business", location, "review")
            if i.visible(now)
        ]
    ratings = [i.rating_at(now) or 5 for i in every]
    body: dict[str, Any] = {
        "reviews": [review_json(sb, i) for i in chosen],
        "averageRating": round(sum(ratings) / len(ratings), 1) if ratings else 0,
        "totalReviewCount": len(ratings),
    }
    if token:
        body["nextPageToken"] = token
    return json_response(200, body)


def _review(sb: Sandbox, name: str) -> conv.Item | None:
    item = conv.live(sb, "google_business", name)
    return item if item is not None and item.kind == "review" else None


def _location_of_review(name: str) -> str:
    return name.rsplit("/reviews/", 1)[0]


@business.route("GET", rf"/v4/{REVIEW}")
def read_review(sb: Sandbox, req: Request, name: str) -> Response:
    refused = gate(sb, req, GOOGLE, _location_of_review(name))
    if refused:
        return refused
    item = _review(sb, name)
    return json_response(200, review_json(sb, item)) if item else _not_found()


@business.route("PUT", rf"/v4/{REVIEW}/reply")
def put_reply(sb: Sandbox, req: Request, name: str) -> Response:
    """Create or replace the owner's reply: PUT again replaces, it never adds a second."""
    refused = gate(sb, req, GOOGLE, _location_of_review(name), content=True, create=True)
    if refused:
        return refused
    item = _review(sb, name)
    if item is None:
        return _not_found()
    body = req.json if isinstance(req.json, dict) else {}
    comment = str(body.get("comment", ""))
    if not comment.strip():
        return _invalid("comment", "The reply comment is required.")
    if len(comment) > MAX_REPLY:
        return _invalid("comment", f"The reply is longer than {MAX_REPLY} characters.")
    with sb.lock:
        item.reply = conv.Edit(sb.now(), comment)
    reply = {"comment": comment, "updateTime": iso(item.reply.at)}
    return finish_create(sb, req, GOOGLE, json_response(200, reply))


@business.route("DELETE", rf"/v4/{REVIEW}/reply")
def delete_reply(sb: Sandbox, req: Request, name: str) -> Response:
    refused = gate(sb, req, GOOGLE, _location_of_review(name))
    if refused:
        return refused
    item = _review(sb, name)
    if item is None:
        return _not_found()
    with sb.lock:
        item.reply = None
    return json_response(200, {})


# --- accounts and locations ----------------------------------------------------


@accounts.route("GET", r"/v1/accounts")
def list_accounts(sb: Sandbox, req: Request) -> Response:
    refused = gate(sb, req, GOOGLE, "")
    if refused:
        return refused
    rows = [{k: v for k, v in a.items() if k != "locations"} for a in GOOGLE_ACCOUNTS]
    return json_response(200, {"accounts": rows})


@info.route("GET", r"/v1/(accounts/[^/]+)/locations")
def list_locations(sb: Sandbox, req: Request, account: str) -> Response:
    refused = gate(sb, req, GOOGLE, "")
    if refused:
        return refused
    if not req.query.get("readMask"):
        return _invalid("read_mask", "Field read_mask is required.")
    found = next((a for a in GOOGLE_ACCOUNTS if a["name"] == account), None)
    if found is None:
        return google_error(403, "PERMISSION_DENIED", "The caller does not have permission")
    mask = set(req.query["readMask"].split(","))
    return json_response(
        200,
        {"locations": [{k: v for k, v in loc.items() if k in mask} for loc in found["locations"]]},
    )


# --- OAuth ---------------------------------------------------------------------


@www.route("GET", r"/o/oauth2/v2/auth")
def authorize(sb: Sandbox, req: Request) -> Response:
    return consent_page(sb, req, "google_business", pkce="optional")


def _oauth_error(error: str, description: str) -> Response:
    return json_response(400, {"error": error, "error_description": description})


@oauth.route("POST", r"/token")
def token(sb: Sandbox, req: Request) -> Response:
    form = req.form
    if not form.get("client_id") or not form.get("client_secret"):
        return json_response(401, {"error": "invalid_client", "error_description": "Unauthorized"})
    grant = form.get("grant_type")
    if grant == "authorization_code":
        stored, why = redeem(
            sb,
            "google_business",
            code=form.get("code", ""),
            redirect_uri=form.get("redirect_uri", ""),
            client_id=form["client_id"],
            code_verifier=form.get("code_verifier"),
        )
        if stored is None:
            return _oauth_error("invalid_grant", why)
        access = sb.issue_token(
            "google_business", "access", prefix="ya29.", ttl=ACCESS_TTL, scopes=stored.scope
        )
        refresh = sb.issue_token(
            "google_business", "refresh", prefix="1//", ttl=None, scopes=stored.scope
        )
        return json_response(
            200,
            {
                "access_token": access,
                "expires_in": ACCESS_TTL,
                "refresh_token": refresh,
                "scope": stored.scope,
                "token_type": "Bearer",
            },
        )
    if grant == "refresh_token":
        refresh = form.get("refresh_token", "")
        stored_info = sb.token(refresh)
        if not refresh or sb.token_problem(refresh):
            return _oauth_error("invalid_grant", "Token has been expired or revoked.")
        scopes = (
            stored_info.scopes if stored_info else "https://www.googleapis.com/auth/business.manage"
        )
        access = sb.issue_token(
            "google_business", "access", prefix="ya29.", ttl=ACCESS_TTL, scopes=scopes
        )
        return json_response(
            200,
            {
                "access_token": access,
                "expires_in": ACCESS_TTL,
                "scope": scopes,
                "token_type": "Bearer",
            },
        )
    return _oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant}")


ROUTERS = {
    "google_business": business,
    "google_accounts": accounts,
    "google_info": info,
    "google_oauth": oauth,
    "google_www": www,
}
