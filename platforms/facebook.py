"""Facebook Pages through the Graph API."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from platforms import text as texts
from platforms._http import Transport, parse_time, text_matches
from platforms.base import (
    Account,
    AccountMetrics,
    ClientConfig,
    Metrics,
    PublishRequest,
    PublishResult,
    RemotePost,
    Target,
    TokenSet,
    metrics_each,
)
from platforms.errors import PlatformError, ReconnectNeeded
from platforms.graph import GraphAPI, account_figures, insight_values
from platforms.oauth import token_body, token_set

SCOPES = (
    "pages_show_list",
    "pages_manage_posts",
    "pages_read_engagement",
    "read_insights",
    "business_management",
)
POST_FIELDS = "id,message,created_time,permalink_url"
# The impressions family was retired in November 2025; these replaced it.
INSIGHTS = "post_total_media_view_unique,post_reactions_by_type_total,post_clicks"


class FacebookClient:
    platform = "facebook"
    can_delete = True
    has_account_metrics = True

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.http = Transport("facebook", "Facebook", config)
        self.graph = GraphAPI(self.http, config, "graph")

    # --- publishing ------------------------------------------------------------

    def publish(
        self,
        account: Account,
        request: PublishRequest,
        *,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> PublishResult:
        message = self.prepare_text(request.text)
        texts.require_publishable("facebook", request.text, len(request.media))
        page, token = account.external_id, account.access_token
        if request.media and request.link and request.link not in message:
            # Photo posts have no link field; the link goes in the text.
            message = f"{message}\n\n{request.link}".strip()
        if not request.media:
            data = {"message": message}
            if request.link:
                data["link"] = request.link
            body = self.graph.call("POST", f"/{page}/feed", token, create=True, data=data)
            post_id = self.graph.new_id(body, create=True)
        elif len(request.media) == 1:
            photo = self._upload_photo(page, token, request.media[0], caption=message)
            post_id = photo.get("post_id") or f"{page}_{self.graph.new_id(photo, create=True)}"
        else:
            photo_ids = self._upload_unpublished(page, token, request, on_progress)
            attached = json.dumps([{"media_fbid": i} for i in photo_ids])
            body = self.graph.call(
                "POST",
                f"/{page}/feed",
                token,
                create=True,
                data={"message": message, "attached_media": attached},
            )
            post_id = self.graph.new_id(body, create=True)
        return self._result(token, str(post_id))

    def _upload_photo(self, page: str, token: str, item: Any, *, caption: str) -> dict[str, Any]:
        data = {"caption": caption, "published": "true"}
        if item.data is None:
            # Facebook fetches a public URL itself.
            return self.graph.call(
                "POST", f"/{page}/photos", token, create=True, data={**data, "url": item.url}
            )
        files = {"source": ("photo", item.data, item.content_type)}
        return self.graph.call(
            "POST", f"/{page}/photos", token, create=True, data=data, files=files
        )

    def _upload_unpublished(
        self,
        page: str,
        token: str,
        request: PublishRequest,
        on_progress: Callable[[dict[str, Any]], None] | None,
    ) -> list[str]:
        """Upload each photo unpublished, saving ids as we go so a retry reuses them."""
        photo_ids = list(request.state.get("photo_ids") or [])[: len(request.media)]
        for item in request.media[len(photo_ids) :]:
            data: dict[str, Any] = {"published": "false"}
            files = None
            if item.data is None:
                data["url"] = item.url
            else:
                files = {"source": ("photo", item.data, item.content_type)}
            body = self.graph.call("POST", f"/{page}/photos", token, data=data, files=files)
            photo_ids.append(self.graph.new_id(body, create=False))
            if on_progress:
                on_progress({**request.state, "photo_ids": list(photo_ids)})
        return photo_ids

    def _result(self, token: str, post_id: str) -> PublishResult:
        # The post exists now: a failure to look up its link must not fail the
        # publish (a retry would post twice), so fall back to a built URL.
        try:
            body = self.graph.call("GET", f"/{post_id}", token, params={"fields": POST_FIELDS})
        except PlatformError:
            return PublishResult(post_id, f"{self.config.host('facebook_www')}/{post_id}", None)
        return PublishResult(
            post_id,
            body.get("permalink_url") or f"{self.config.host('facebook_www')}/{post_id}",
            parse_time(body.get("created_time")),
        )

    # --- reading back ------------------------------------------------------------

    def read_back(self, account: Account, platform_id: str) -> RemotePost | None:
        body = self.graph.call_if_exists(
            "GET", f"/{platform_id}", account.access_token, params={"fields": POST_FIELDS}
        )
        return None if body is None else _remote(body)

    def find_recent(self, account: Account, text: str, *, since: datetime) -> RemotePost | None:
        prepared = self.prepare_text(text)
        params = {"fields": POST_FIELDS, "since": int(since.timestamp()), "limit": 50}
        for row in self.graph.rows(f"/{account.external_id}/posts", account.access_token, params):
            created = parse_time(row.get("created_time"))
            if text_matches(row.get("message", ""), text, prepared) and (
                created is None or created >= since
            ):
                return _remote(row)
        return None

    def delete(self, account: Account, platform_id: str) -> None:
        # Already gone is what we wanted.
        self.graph.call_if_exists("DELETE", f"/{platform_id}", account.access_token)

    def metrics(self, account: Account, platform_id: str) -> Metrics:
        token = account.access_token
        insights = self.graph.call(
            "GET", f"/{platform_id}/insights", token, params={"metric": INSIGHTS}
        )
        counts = self.graph.call(
            "GET", f"/{platform_id}", token, params={"fields": "shares,comments.summary(true)"}
        )
        values = insight_values(insights)
        reactions = values.get("post_reactions_by_type_total")
        likes = sum(int(v) for v in reactions.values()) if isinstance(reactions, dict) else None
        comments = ((counts.get("comments") or {}).get("summary") or {}).get("total_count")
        return Metrics(
            reach=_maybe_int(values.get("post_total_media_view_unique")),
            likes=likes,
            clicks=_maybe_int(values.get("post_clicks")),
            comments=_maybe_int(comments),
            # Graph leaves "shares" out when nobody shared.
            shares=_maybe_int((counts.get("shares") or {}).get("count", 0)),
        )

    def metrics_many(self, account: Account, platform_ids: list[str]) -> dict[str, Metrics]:
        return metrics_each(self, account, platform_ids)

    def account_metrics(self, account: Account) -> AccountMetrics:
        return account_figures(self.graph, account, "page_total_media_view_unique")

    # --- connecting --------------------------------------------------------------

    def refresh(self, tokens: TokenSet) -> TokenSet:
        raise ReconnectNeeded(
            "Facebook connections cannot be renewed automatically; log in with Facebook again.",
            platform=self.platform,
        )

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str | None) -> str:
        query = urlencode(
            {
                "client_id": self.config.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": ",".join(SCOPES),
                "response_type": "code",
            }
        )
        return (
            f"{self.config.host('facebook_www')}/{self.config.graph_version}/dialog/oauth?{query}"
        )

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        url = f"{self.graph.base}/oauth/access_token"
        app = {"client_id": self.config.client_id, "client_secret": self.config.client_secret}
        resp = self.http.request(
            "GET", url, params={**app, "redirect_uri": redirect_uri, "code": code}
        )
        short = token_body(self.http, resp)
        # Swap the 2-hour token for the 60-day one; page tokens derived from it last.
        resp = self.http.request(
            "GET",
            url,
            params={
                **app,
                "grant_type": "fb_exchange_token",
                "fb_exchange_token": short["access_token"],
            },
        )
        tokens = token_set(token_body(self.http, resp))
        return TokenSet(
            tokens.access_token, "", tokens.expires_at, None, self._granted(tokens.access_token)
        )

    def _granted(self, token: str) -> str:
        try:
            body = self.graph.call("GET", "/me/permissions", token)
        except PlatformError:
            return ""
        return ",".join(
            row["permission"] for row in body.get("data") or [] if row.get("status") == "granted"
        )

    def list_targets(self, tokens: TokenSet) -> list[Target]:
        body = self.graph.call(
            "GET",
            "/me/accounts",
            tokens.access_token,
            params={"fields": "id,name,access_token", "limit": 100},
        )
        return [
            Target(str(row["id"]), row.get("name", ""), row.get("access_token"))
            for row in body.get("data") or []
        ]

    # --- text ----------------------------------------------------------------------

    def prepare_text(self, text: str) -> str:
        return text

    def check_text(self, text: str) -> list[str]:
        return texts.check_text("facebook", text)


def _remote(row: dict[str, Any]) -> RemotePost:
    return RemotePost(
        platform_id=str(row["id"]),
        text=row.get("message", ""),
        created_at=parse_time(row.get("created_time")),
        permalink=row.get("permalink_url", ""),
    )


def _maybe_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None
