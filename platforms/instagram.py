"""Instagram professional accounts (Instagram Login, graph.instagram.com).

Publishing takes a container, a wait while Instagram downloads and
processes the photo, and a publish call. The container id is saved through
on_progress as soon as it exists, because a container whose status is
PUBLISHED must never be published again: a retry after an unclear answer
finds the post instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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
from platforms.errors import (
    AmbiguousOutcome,
    ContentRejected,
    DeleteUnsupported,
    TransientError,
    said,
)
from platforms.graph import GraphAPI, GraphError, account_figures, insight_values
from platforms.oauth import request_token, token_body, token_set

SCOPES = (
    "instagram_business_basic",
    "instagram_business_content_publish",
    "instagram_business_manage_insights",
)
MEDIA_FIELDS = "id,caption,timestamp,permalink"
INSIGHTS = "views,reach,saved,likes,comments,shares"
# How far back to look for the post a PUBLISHED container made.
CONTAINER_LIFETIME = timedelta(hours=24)


class InstagramClient:
    platform = "instagram"
    # Deleting works for some tokens only; delete() raises DeleteUnsupported
    # when Instagram refuses, so takedown can ask a person instead.
    can_delete = True
    has_account_metrics = True

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.http = Transport("instagram", "Instagram", config)
        self.graph = GraphAPI(self.http, config, "instagram_graph")

    # --- publishing ------------------------------------------------------------

    def publish(
        self,
        account: Account,
        request: PublishRequest,
        *,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> PublishResult:
        caption = self.prepare_text(request.text)
        texts.require_publishable("instagram", request.text, len(request.media))
        state = dict(request.state)

        def save(**changes: Any) -> None:
            state.update(changes)
            if on_progress:
                on_progress(dict(state))

        ready = self._ready_container(account, request, caption, state, save)
        if isinstance(ready, PublishResult):
            return ready
        body = self.graph.call(
            "POST",
            f"/{account.external_id}/media_publish",
            account.access_token,
            create=True,
            data={"creation_id": ready},
        )
        return self._result(account, self.graph.new_id(body, create=True))

    def _ready_container(
        self,
        account: Account,
        request: PublishRequest,
        caption: str,
        state: dict[str, Any],
        save: Callable[..., None],
    ) -> str | PublishResult:
        """A FINISHED container to publish, or the post if an earlier attempt published it."""
        container = state.get("container_id")
        if container:
            status, _ = self._status(account, container)
            if status == "PUBLISHED":
                return self._already_published(account, caption, state)
            if status in ("EXPIRED", "ERROR"):
                container = None  # build a fresh one below
                save(container_id=None)
        if not container:
            container = self._build_container(account, request, caption, save)
        if self._wait_until_finished(account, container) == "PUBLISHED":
            return self._already_published(account, caption, state)
        return container

    def _build_container(
        self, account: Account, request: PublishRequest, caption: str, save: Callable[..., None]
    ) -> str:
        user, token = account.external_id, account.access_token
        if len(request.media) == 1:
            item = request.media[0]
            data = {"image_url": item.url, "caption": caption}
            if item.alt_text:
                data["alt_text"] = item.alt_text
            body = self.graph.call("POST", f"/{user}/media", token, data=data)
            container = self.graph.new_id(body, create=False)
        else:
            children: list[str] = []
            for item in request.media:
                data = {"image_url": item.url, "is_carousel_item": "true"}
                if item.alt_text:
                    data["alt_text"] = item.alt_text
                body = self.graph.call("POST", f"/{user}/media", token, data=data)
                children.append(self.graph.new_id(body, create=False))
            body = self.graph.call(
                "POST",
                f"/{user}/media",
                token,
                data={"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption},
            )
            container = self.graph.new_id(body, create=False)
        save(container_id=container, container_created_at=datetime.now(UTC).isoformat())
        return container

    def _status(self, account: Account, container: str) -> tuple[str, str]:
        """(status_code, status text) of a container."""
        body = self.graph.call(
            "GET", f"/{container}", account.access_token, params={"fields": "status_code,status"}
        )
        return str(body.get("status_code", "")), str(body.get("status", ""))

    def _wait_until_finished(self, account: Account, container: str) -> str:
        """Poll until FINISHED (or PUBLISHED, by an attempt racing this one)."""
        for attempt in range(max(1, self.config.poll_attempts)):
            status, words = self._status(account, container)
            if status in ("FINISHED", "PUBLISHED"):
                return status
            if status == "ERROR":
                raise ContentRejected(
                    "Instagram could not process the photo." + said("Instagram", words),
                    platform=self.platform,
                    platform_code=words.rsplit(" ", 1)[-1] if words else None,
                )
            if status == "EXPIRED":
                raise TransientError(
                    "Instagram's copy of the photo expired before it was published; it will be "
                    "prepared again.",
                    platform=self.platform,
                )
            if attempt + 1 < self.config.poll_attempts:
                time.sleep(self.config.poll_interval)
        # Still IN_PROGRESS: give the worker back; the saved container resumes.
        raise TransientError(
            "Instagram is still processing the photo; publishing will continue shortly.",
            platform=self.platform,
            retry_after=self.config.poll_interval * 5,
        )

    def _already_published(
        self, account: Account, caption: str, state: dict[str, Any]
    ) -> PublishResult:
        created = parse_time(state.get("container_created_at"))
        since = (created or datetime.now(UTC) - CONTAINER_LIFETIME) - timedelta(minutes=5)
        found = self.find_recent(account, caption, since=since)
        if found is None:
            raise AmbiguousOutcome(
                "Instagram says this post's container was published, but the post is not "
                "listed yet.",
                platform=self.platform,
            )
        return PublishResult(found.platform_id, found.permalink, found.created_at)

    def _result(self, account: Account, media_id: str) -> PublishResult:
        # Published: never fail from here on, or a retry would post again.
        try:
            body = self.graph.call(
                "GET",
                f"/{media_id}",
                account.access_token,
                params={"fields": "permalink,timestamp"},
            )
        except Exception:
            return PublishResult(media_id, "", None)
        return PublishResult(media_id, body.get("permalink", ""), parse_time(body.get("timestamp")))

    # --- reading back ------------------------------------------------------------

    def read_back(self, account: Account, platform_id: str) -> RemotePost | None:
        body = self.graph.call_if_exists(
            "GET", f"/{platform_id}", account.access_token, params={"fields": MEDIA_FIELDS}
        )
        if body is None or "timestamp" not in body:
            return None  # gone, or a container (unpublished) rather than a post
        return _remote(body)

    def find_recent(self, account: Account, text: str, *, since: datetime) -> RemotePost | None:
        prepared = self.prepare_text(text)
        params = {"fields": MEDIA_FIELDS, "limit": 50}
        for row in self.graph.rows(f"/{account.external_id}/media", account.access_token, params):
            created = parse_time(row.get("timestamp"))
            if created is not None and created < since:
                return None  # newest first: the rest is older still
            if text_matches(row.get("caption", ""), text, prepared):
                return _remote(row)
        return None

    def delete(self, account: Account, platform_id: str) -> None:
        try:
            self.graph.request("DELETE", f"/{platform_id}", account.access_token)
        except GraphError as exc:
            if not exc.missing:
                raise self.graph.classify(exc) from exc
            # Graph answers "unsupported delete request" both for a post that
            # is gone and for one it will not delete: look to tell them apart.
            if self.read_back(account, platform_id) is not None:
                raise DeleteUnsupported(
                    "Instagram does not allow deleting this post through the API; remove it by "
                    "hand in the Instagram app." + said("Instagram", exc.error.get("message")),
                    platform=self.platform,
                    platform_code="100/33",
                ) from exc

    def metrics(self, account: Account, platform_id: str) -> Metrics:
        body = self.graph.call(
            "GET", f"/{platform_id}/insights", account.access_token, params={"metric": INSIGHTS}
        )
        # Insights can lag up to 48 h; a metric not there yet stays None.
        values = insight_values(body)
        return Metrics(
            impressions=values.get("views"),
            reach=values.get("reach"),
            saves=values.get("saved"),
            likes=values.get("likes"),
            comments=values.get("comments"),
            shares=values.get("shares"),
        )

    def metrics_many(self, account: Account, platform_ids: list[str]) -> dict[str, Metrics]:
        return metrics_each(self, account, platform_ids)

    def account_metrics(self, account: Account) -> AccountMetrics:
        return account_figures(self.graph, account, "reach")

    # --- connecting --------------------------------------------------------------

    def refresh(self, tokens: TokenSet) -> TokenSet:
        # Instagram renews the long-lived token itself (at least 24 h old, not expired).
        resp = self.http.request(
            "GET",
            f"{self.config.host('instagram_graph')}/refresh_access_token",
            params={"grant_type": "ig_refresh_token", "access_token": tokens.access_token},
        )
        fresh = token_set(token_body(self.http, resp), scopes=tokens.scopes)
        return TokenSet(fresh.access_token, "", fresh.expires_at, None, tokens.scopes)

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str | None) -> str:
        query = urlencode(
            {
                "client_id": self.config.client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": ",".join(SCOPES),
                "state": state,
            }
        )
        return f"{self.config.host('instagram_www')}/oauth/authorize?{query}"

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        short = request_token(
            self.http,
            f"{self.config.host('instagram_api')}/oauth/access_token",
            {"grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code},
        )
        permissions = short.get("permissions") or []
        scopes = ",".join(permissions) if isinstance(permissions, list) else str(permissions)
        # The code gives a 1-hour token; swap it for the 60-day one.
        resp = self.http.request(
            "GET",
            f"{self.config.host('instagram_graph')}/access_token",
            params={
                "grant_type": "ig_exchange_token",
                "client_secret": self.config.client_secret,
                "access_token": short["access_token"],
            },
        )
        fresh = token_set(token_body(self.http, resp))
        return TokenSet(fresh.access_token, "", fresh.expires_at, None, scopes)

    def list_targets(self, tokens: TokenSet) -> list[Target]:
        body = self.graph.call(
            "GET", "/me", tokens.access_token, params={"fields": "user_id,username"}
        )
        # user_id is the professional account id the publishing calls take.
        user_id = str(body.get("user_id") or body.get("id"))
        return [Target(user_id, "@" + body.get("username", user_id), None)]

    # --- text ----------------------------------------------------------------------

    def prepare_text(self, text: str) -> str:
        return text

    def check_text(self, text: str) -> list[str]:
        return texts.check_text("instagram", text)


def _remote(row: dict[str, Any]) -> RemotePost:
    return RemotePost(
        platform_id=str(row["id"]),
        text=row.get("caption", ""),
        created_at=parse_time(row.get("timestamp")),
        permalink=row.get("permalink", ""),
    )
