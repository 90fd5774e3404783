"""Routes for the Graph hosts (graph.facebook.com, graph.instagram.com) and Meta OAuth.

Both hosts share one id space, as on the real Graph: /{id} resolves to a
page post, a Page video, an Instagram container or media, a photo or a page
by what the id names.
"""

from __future__ import annotations

from sandbox import conversations as conv
from sandbox import facebook, instagram
from sandbox.admin import permalink_page
from sandbox.core import Request, Response, Router, json_response
from sandbox.gate import gate
from sandbox.graph_errors import (
    FACEBOOK,
    INSTAGRAM,
    graph_error,
    invalid_param,
    not_found,
    usage_header,
)
from sandbox.oauth import consent_page, redeem
from sandbox.state import Sandbox
from sandbox.users import FACEBOOK_PAGES, FACEBOOK_USER, INSTAGRAM_USER

V = r"(?:/v\d+\.\d+)?"
ID = r"([^/]+)"
USER_TOKEN_TTL = 2 * 3600
LONG_LIVED_TTL = 60 * 24 * 3600
IG_SHORT_TTL = 3600
FACEBOOK_SCOPES = "pages_show_list,pages_manage_posts,pages_read_engagement,read_insights"

graph = Router()
facebook_www = Router()
instagram_www = Router()
instagram_api = Router()


# --- objects by id -------------------------------------------------------


def get_object(sb: Sandbox, req: Request, object_id: str) -> Response:
    if object_id == "me":
        return me(sb, req)
    specs = facebook.field_specs(req.query.get("fields", ""))
    if "mentioned_media" in specs:
        return instagram.mentioned_media(sb, req, object_id, *specs["mentioned_media"])
    post = sb.get_post("facebook", object_id)
    if post:
        return facebook.read_post(sb, req, post)
    media = sb.get_post("instagram", object_id)
    if media:
        return instagram.read_media(sb, req, media)
    with sb.lock:
        container = sb.ig_containers.get(object_id)
    if container:
        return instagram.read_container(sb, req, object_id, container)
    if "followers_count" in facebook.requested_fields(req, "id"):
        return _account_fields(sb, req, object_id)
    page = next((p for p in FACEBOOK_PAGES if p["id"] == object_id), None)
    if page:
        refused = gate(sb, req, FACEBOOK, object_id)
        if refused:
            return refused
        values = {"id": page["id"], "name": page["name"], "category": page["category"]}
        if page["id"] == INSTAGRAM_USER["page"]:
            values["instagram_business_account"] = {"id": INSTAGRAM_USER["user_id"]}
        fields = facebook.requested_fields(req, "id,name")
        return json_response(200, {k: values[k] for k in ["id", *fields] if k in values})
    if object_id == INSTAGRAM_USER["user_id"]:
        refused = gate(sb, req, INSTAGRAM, object_id)
        return refused or json_response(
            200, {"id": object_id, "username": INSTAGRAM_USER["username"], "user_id": object_id}
        )
    item = conv.live(sb, "facebook", object_id)
    if item is not None:
        return facebook.read_comment(sb, req, item)
    item = conv.live(sb, "instagram", object_id)
    if item is not None:
        return instagram.read_comment(sb, req, item)
    return not_found(object_id)


def delete_object(sb: Sandbox, req: Request, object_id: str) -> Response:
    post = sb.get_post("facebook", object_id)
    if post:
        return facebook.delete_post(sb, req, post)
    media = sb.get_post("instagram", object_id)
    if media:
        return instagram.delete_media(sb, req, media)
    item = conv.live(sb, "facebook", object_id)
    if item is not None:
        return facebook.delete_comment(sb, req, item)
    item = conv.live(sb, "instagram", object_id)
    if item is not None:
        return instagram.delete_comment(sb, req, item)
    return not_found(object_id, "delete")


def update_object(sb: Sandbox, req: Request, object_id: str) -> Response:
    """POST /{id}: hiding a comment (Facebook is_hidden, Instagram hide)."""
    item = conv.live(sb, "facebook", object_id)
    if item is not None:
        return facebook.update_comment(sb, req, item)
    item = conv.live(sb, "instagram", object_id)
    if item is not None:
        return instagram.update_comment(sb, req, item)
    return not_found(object_id, "post")


# --- comments and mentions: by what the id names ------------------------------


def comments_edge(sb: Sandbox, req: Request, object_id: str) -> Response:
    media = sb.get_post("instagram", object_id)
    if media is not None:
        if req.method == "POST":
            return instagram.create_comment(sb, req, media)
        return instagram.list_comments(sb, req, media)
    if req.method == "POST":
        return facebook.create_comment(sb, req, object_id)
    return facebook.list_comments(sb, req, object_id)


def replies_edge(sb: Sandbox, req: Request, object_id: str) -> Response:
    item = conv.live(sb, "instagram", object_id)
    if item is None or item.kind != "comment":
        return not_found(object_id)
    if req.method == "POST":
        return instagram.create_reply(sb, req, item)
    return instagram.list_replies(sb, req, item)


@graph.route("GET", rf"{V}/{ID}/insights")
def insights(sb: Sandbox, req: Request, object_id: str) -> Response:
    post = sb.get_post("facebook", object_id)
    if post:
        return facebook.post_insights(sb, req, post)
    media = sb.get_post("instagram", object_id)
    if media:
        return instagram.media_insights(sb, req, media)
    if req.query.get("period") == "day":
        return _account_insights(sb, req, object_id)
    return not_found(object_id)


def _account_platform(object_id: str) -> str:
    # Instagram professional accounts' ids start 1784; every other id is a Page.
    return "instagram" if object_id.startswith("1784") else "facebook"


def _account_fields(sb: Sandbox, req: Request, object_id: str) -> Response:
    """A Page's or an Instagram account's followers_count (and id)."""
    platform = _account_platform(object_id)
    refused = gate(sb, req, INSTAGRAM if platform == "instagram" else FACEBOOK, object_id)
    if refused:
        return refused
    figures = sb.account_figures(platform, object_id)
    return json_response(200, {"id": object_id, "followers_count": figures["followers"]})


# An account's daily reach: a Page's media views by unique people, an
# Instagram account's reach.
ACCOUNT_INSIGHTS = {"facebook": "page_total_media_view_unique", "instagram": "reach"}


def _account_insights(sb: Sandbox, req: Request, object_id: str) -> Response:
    platform = _account_platform(object_id)
    refused = gate(sb, req, INSTAGRAM if platform == "instagram" else FACEBOOK, object_id)
    if refused:
        return refused
    wanted = [m for m in req.query.get("metric", "").split(",") if m]
    metric = ACCOUNT_INSIGHTS[platform]
    if wanted != [metric]:
        return invalid_param(f"metric[0] must be one of the following values: {metric}")
    value = sb.account_figures(platform, object_id)["reach"]
    end = sb.now().replace(hour=8, minute=0, second=0, microsecond=0)
    return json_response(
        200,
        {
            "data": [
                {
                    "name": metric,
                    "period": "day",
                    "values": [
                        {"value": value, "end_time": end.strftime("%Y-%m-%dT%H:%M:%S+0000")}
                    ],
                    "title": "Daily reach",
                    "id": f"{object_id}/insights/{metric}/day",
                }
            ]
        },
    )


graph.add("POST", rf"{V}/{ID}/feed", facebook.create_feed_post)
graph.add("POST", rf"{V}/{ID}/photos", facebook.create_photo)
graph.add("POST", rf"{V}/{ID}/videos", facebook.upload_video)
graph.add("GET", rf"{V}/{ID}/videos", facebook.list_videos)
graph.add("GET", rf"{V}/{ID}/video_insights", facebook.video_insights)
graph.add("GET", rf"{V}/{ID}/posts", facebook.list_posts)
graph.add("GET", rf"{V}/{ID}/published_posts", facebook.list_posts)
graph.add("POST", rf"{V}/{ID}/media", instagram.create_container)
graph.add("GET", rf"{V}/{ID}/media", instagram.list_media)
graph.add("POST", rf"{V}/{ID}/media_publish", instagram.publish)
graph.add("GET", rf"{V}/{ID}/content_publishing_limit", instagram.publishing_limit)
graph.add("GET", rf"{V}/{ID}/comments", comments_edge)
graph.add("POST", rf"{V}/{ID}/comments", comments_edge)
graph.add("GET", rf"{V}/{ID}/replies", replies_edge)
graph.add("POST", rf"{V}/{ID}/replies", replies_edge)
graph.add("GET", rf"{V}/{ID}/tagged", facebook.list_tagged)
graph.add("GET", rf"{V}/{ID}/tags", instagram.list_tags)
graph.add("POST", rf"{V}/{ID}/mentions", instagram.reply_to_mention)


# --- the user behind the token -------------------------------------------


def me(sb: Sandbox, req: Request) -> Response:
    if req.role == "instagram_graph":
        refused = gate(sb, req, INSTAGRAM, INSTAGRAM_USER["user_id"])
        return refused or json_response(
            200,
            {
                "id": "26" + INSTAGRAM_USER["user_id"][-12:],  # app-scoped, unlike user_id
                "user_id": INSTAGRAM_USER["user_id"],
                "username": INSTAGRAM_USER["username"],
            },
        )
    refused = gate(sb, req, FACEBOOK, FACEBOOK_USER["id"])
    return refused or json_response(200, dict(FACEBOOK_USER))


@graph.route("GET", rf"{V}/me/accounts")
def me_accounts(sb: Sandbox, req: Request) -> Response:
    refused = gate(sb, req, FACEBOOK, FACEBOOK_USER["id"])
    if refused:
        return refused
    pages = []
    for page in FACEBOOK_PAGES:
        # Page tokens derived from a long-lived user token do not expire.
        token = sb.issue_token("facebook", "page", prefix="EAAP", ttl=None, account=page["id"])
        pages.append({**page, "access_token": token, "tasks": ["CREATE_CONTENT", "ANALYZE"]})
    return json_response(200, {"data": pages, "paging": {"cursors": {"before": "", "after": ""}}})


@graph.route("GET", rf"{V}/me/permissions")
def me_permissions(sb: Sandbox, req: Request) -> Response:
    refused = gate(sb, req, FACEBOOK, FACEBOOK_USER["id"])
    if refused:
        return refused
    info = sb.token(req.bearer)
    scopes = (info.scopes if info and info.scopes else FACEBOOK_SCOPES).split(",")
    data = [{"permission": s.strip(), "status": "granted"} for s in scopes if s.strip()]
    return json_response(200, {"data": data})


# --- Facebook Login ----------------------------------------------------------


@facebook_www.route("GET", rf"{V}/dialog/oauth")
def facebook_dialog(sb: Sandbox, req: Request) -> Response:
    return consent_page(sb, req, "facebook", pkce="ignored", scope_sep=",")


@graph.route("GET", rf"{V}/oauth/access_token")
def facebook_token(sb: Sandbox, req: Request) -> Response:
    q = req.query
    if not q.get("client_id") or not q.get("client_secret"):
        return invalid_param("Missing client_id or client_secret parameter.")
    if q.get("grant_type") == "fb_exchange_token":
        short = q.get("fb_exchange_token", "")
        problem = sb.token_problem(short) if short else "missing"
        if problem:
            return graph_error(
                400, f"Error validating access token: the token is {problem}.", 190, 463
            )
        info = sb.token(short)
        token = sb.issue_token(
            "facebook",
            "access",
            prefix="EAAL",
            ttl=LONG_LIVED_TTL,
            scopes=info.scopes if info else "",
        )
        return json_response(
            200, {"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_TTL}
        )
    stored, why = redeem(
        sb,
        "facebook",
        code=q.get("code", ""),
        redirect_uri=q.get("redirect_uri", ""),
        client_id=q["client_id"],
        code_verifier=None,
    )
    if stored is None:
        return graph_error(400, f"Error validating verification code: {why}.", 100, 36009)
    token = sb.issue_token(
        "facebook",
        "access",
        prefix="EAAS",
        ttl=USER_TOKEN_TTL,
        scopes=stored.scope.replace(" ", ",") or FACEBOOK_SCOPES,
    )
    return json_response(
        200, {"access_token": token, "token_type": "bearer", "expires_in": USER_TOKEN_TTL}
    )


# --- Instagram Login ---------------------------------------------------------


@instagram_www.route("GET", r"/oauth/authorize/?")
def instagram_authorize(sb: Sandbox, req: Request) -> Response:
    return consent_page(sb, req, "instagram", pkce="ignored", scope_sep=",")


def _ig_oauth_error(message: str) -> Response:
    return json_response(
        400, {"error_type": "OAuthException", "code": 400, "error_message": message}
    )


@instagram_api.route("POST", r"/oauth/access_token")
def instagram_code_exchange(sb: Sandbox, req: Request) -> Response:
    form = req.form
    if form.get("grant_type") != "authorization_code" or not form.get("client_secret"):
        return _ig_oauth_error("Invalid grant_type or missing client_secret")
    stored, why = redeem(
        sb,
        "instagram",
        code=form.get("code", ""),
        redirect_uri=form.get("redirect_uri", ""),
        client_id=form.get("client_id"),
        code_verifier=None,
    )
    if stored is None:
        return _ig_oauth_error(f"Invalid authorization code: {why}")
    scopes = stored.scope.replace(" ", ",")
    token = sb.issue_token(
        "instagram",
        "access",
        prefix="IGAAS",
        ttl=IG_SHORT_TTL,
        account=INSTAGRAM_USER["user_id"],
        scopes=scopes,
    )
    return json_response(
        200,
        {
            "access_token": token,
            "user_id": int(INSTAGRAM_USER["user_id"]),
            "permissions": [s for s in scopes.split(",") if s],
        },
    )


def _ig_long_lived(sb: Sandbox, req: Request, grant: str) -> Response:
    q = req.query
    if q.get("grant_type") != grant:
        return invalid_param(f"grant_type must be {grant}")
    if grant == "ig_exchange_token" and not q.get("client_secret"):
        return invalid_param("Missing client_secret parameter.")
    current = q.get("access_token", "")
    problem = sb.token_problem(current) if current else "missing"
    if problem:
        return graph_error(400, f"Error validating access token: the token is {problem}.", 190, 463)
    info = sb.token(current)
    token = sb.issue_token(
        "instagram",
        "access",
        prefix="IGAAL",
        ttl=LONG_LIVED_TTL,
        account=INSTAGRAM_USER["user_id"],
        scopes=info.scopes if info else "",
    )
    return json_response(
        200, {"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED_TTL}
    )


@graph.route("GET", r"/access_token")
def instagram_exchange(sb: Sandbox, req: Request) -> Response:
    return _ig_long_lived(sb, req, "ig_exchange_token")


@graph.route("GET", r"/refresh_access_token")
def instagram_refresh(sb: Sandbox, req: Request) -> Response:
    return _ig_long_lived(sb, req, "ig_refresh_token")


# Last, so that the named paths above win over "any object id".
graph.add("GET", rf"{V}/{ID}", get_object)
graph.add("DELETE", rf"{V}/{ID}", delete_object)
graph.add("POST", rf"{V}/{ID}", update_object)


def add_usage_headers(req: Request, response: Response) -> Response:
    """Graph reports rate-limit usage on every answer, per page or IG account."""
    if req.scope and "X-Business-Use-Case-Usage" not in response.headers and not response.drop:
        platform, account = req.scope
        kind = "pages" if platform == "facebook" else "instagram"
        response.headers["X-Business-Use-Case-Usage"] = usage_header(account, kind)
    return response


# A Page video's permalink, like Facebook's /{page}/videos/{video-id}/.
facebook_www.add("GET", r"/[^/]+/videos/([^/]+)/?", permalink_page("facebook", "id"))

ROUTERS = {
    "graph": graph,
    # graph-video.facebook.com, where Meta documents video uploads: the same Graph.
    "graph_video": graph,
    "instagram_graph": graph,
    "facebook_www": facebook_www,
    "instagram_www": instagram_www,
    "instagram_api": instagram_api,
}
