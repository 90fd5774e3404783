"""Graph API error bodies and usage headers, shared by Facebook and Instagram."""

from __future__ import annotations

import json
import secrets
from typing import Any

from sandbox.core import Response, json_response
from sandbox.gate import ErrorContext


def graph_error(
    status: int,
    message: str,
    code: int,
    subcode: int | None = None,
    *,
    type_: str = "OAuthException",
    user_title: str | None = None,
    user_msg: str | None = None,
    is_transient: bool | None = None,
    headers: dict[str, str] | None = None,
    error_data: dict[str, Any] | None = None,
) -> Response:
    error: dict[str, Any] = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if error_data is not None:
        # What some errors add for the client to act on (a video upload's
        # expected offsets).
        error["error_data"] = error_data
    if is_transient is not None:
        error["is_transient"] = is_transient
    if user_title:
        error["error_user_title"] = user_title
    if user_msg:
        error["error_user_msg"] = user_msg
    error["fbtrace_id"] = secrets.token_urlsafe(8)
    # Graph sends WWW-Authenticate on OAuth failures like other OAuth servers.
    extra = {"WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{message}"'}
    if code not in (190, 102, 104):
        extra = {}
    return json_response(status, {"error": error}, {**extra, **(headers or {})})


def not_found(object_id: str, verb: str = "get") -> Response:
    return graph_error(
        400,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        100,
        33,
        type_="GraphMethodException",
    )


def invalid_param(message: str, subcode: int | None = None, **kwargs: Any) -> Response:
    return graph_error(400, f"(#100) {message}", 100, subcode, **kwargs)


def usage_header(account: str, kind: str, *, regain_minutes: int = 0, call_count: int = 1) -> str:
    """X-Business-Use-Case-Usage: per-object usage, with the wait when throttled."""
    return json.dumps(
        {
            account: [
                {
                    "type": kind,
                    "call_count": call_count,
                    "total_cputime": max(1, call_count // 2),
                    "total_time": max(1, call_count // 2),
                    "estimated_time_to_regain_access": regain_minutes,
                }
            ]
        }
    )


class GraphDialect:
    """Error answers for Facebook Pages ("pages") or Instagram ("instagram")."""

    in_band = frozenset()

    def __init__(self, platform: str, usage_type: str) -> None:
        self.platform = platform
        self.usage_type = usage_type

    def error(self, kind: str, ctx: ErrorContext) -> Response | None:
        if kind == "unauthenticated":
            return graph_error(400, "An access token is required to request this resource.", 104)
        if kind == "token_expired":
            return graph_error(
                400,
                "Error validating access token: Session has expired. The current time is "
                f"{ctx.now:%A, %d-%b-%y %H:%M:%S} UTC.",
                190,
                463,
            )
        if kind == "permission_revoked":
            return graph_error(
                400,
                "Error validating access token: The user has not authorized application.",
                190,
                458,
            )
        if kind == "throttled":
            # Graph counts in whole minutes; under a minute reads as 0 ("soon").
            minutes = int(ctx.retry_after_s // 60)
            header = usage_header(
                ctx.account, self.usage_type, regain_minutes=minutes, call_count=100
            )
            if self.platform == "facebook":
                code, text = 80001, "There have been too many calls to this Page account."
            else:
                code, text = 80002, "There have been too many calls to this Instagram account."
            return graph_error(
                400,
                f"(#{code}) {text} Wait a bit and try again. For more info, please refer to "
                "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
                code,
                is_transient=True,
                headers={"X-Business-Use-Case-Usage": header},
            )
        if kind == "transient":
            return graph_error(503, "Service temporarily unavailable", 2, is_transient=True)
        if kind == "server_error":
            return graph_error(
                500,
                "An unexpected error has occurred. Please retry your request later.",
                2,
                is_transient=True,
            )
        if kind == "rejected":
            if self.platform == "instagram":
                return graph_error(
                    400,
                    "The submitted image with aspect ratio ('0.5') cannot be published. Please "
                    "submit an image with a valid aspect ratio.",
                    36003,
                    2207009,
                    user_title="Invalid aspect ratio",
                    user_msg="The image's aspect ratio does not fall within our acceptable range. "
                    "Advise the app user to try again with an image that falls within a 4:5 to "
                    "1.91:1 range.",
                )
            return invalid_param(
                "Invalid parameter",
                1349125,
                user_title="Post couldn't be shared",
                user_msg="Your post couldn't be shared because this content goes against our "
                "Community Standards on spam.",
            )
        if kind == "duplicate":
            if self.platform == "instagram":
                return None  # Instagram has no duplicate check to trip
            return graph_error(
                400,
                "(#506) Duplicate status message",
                506,
                user_title="Duplicate Post",
                user_msg="This status update is identical to the last one you posted. Try "
                "posting something different, or delete your previous update.",
            )
        raise ValueError(kind)


FACEBOOK = GraphDialect("facebook", "pages")
INSTAGRAM = GraphDialect("instagram", "instagram")
