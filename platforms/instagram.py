"""Instagram professional accounts (Instagram Login, graph.instagram.com).

Publishing takes a container, a wait while Instagram downloads and
processes the media, and a publish call. The container id is saved through
on_progress as soon as it exists, because a container whose status is
PUBLISHED must never be published again: a retry after an unclear answer
finds the post instead.

A video goes out as a Reel (media_type=REELS, the only video type since
November 2023): Instagram fetches it from `video_url` itself, and the cover
from `cover_url`. Meta's Reels specifications (third-party copies agree;
some say 1 GB where Meta says 300 MB):
- MOV or MP4, no edit lists, the moov atom first; H.264 or HEVC, progressive,
  closed GOP, 4:2:0; AAC at up to 48 kHz, mono or stereo, about 128 kbps;
- 23 to 60 frames per second; at most 1920 px wide (1080 recommended), 9:16
  recommended (1080 x 1920, at least 540 x 960);
- 3 seconds to 15 minutes through the API, though the app itself shows Reels
  of up to 90 seconds as Reels; at most 300 MB; VBR video up to 25 Mbps.
- The container is processed for a while (IN_PROGRESS), may end in ERROR with
  Instagram's reason in `status`, and EXPIRES 24 hours after it was made.
We take less than the API does, so the editor and this client agree on one
rule (the REEL_* constants): portrait or square-ish (no wider than 4:5), 3
to 90 seconds, at most 300 MB and 1920 px wide.

Engagement (EngagementClient; instagram_business_manage_comments):
- Comments: GET /{ig-media-id}/comments?fields=id,text,username,from{id,username},
  timestamp,hidden,like_count,replies{...the same...}&limit=50 -> top-level comments with
  their replies nested (a long thread pages on at GET /{ig-comment-id}/replies), paging
  cursors. Hidden comments stay listed with hidden true. No edit time, no display names
  (a username only). Our own replies come back with from.id == our account.
- Reply: POST /{ig-comment-id}/replies {message} -> {id}. Only top-level comments take
  replies (a reply to a reply lands under the top one), and hidden ones take none.
- Hide: POST /{ig-comment-id} hide=true|false -> {success: true}. Delete: DELETE
  /{ig-comment-id} -> {success: true}; both on our own media only.
- Mentions: GET /{ig-user-id}/tags?fields=id,caption,username,timestamp,permalink ->
  media others published that tag the account, newest first (no `since`: we stop at
  the cursor's time). We answer one with POST /{ig-user-id}/mentions {media_id,
  message} (comment_id too for a mention in a comment) and read our answer back with
  GET /{ig-user-id}?fields=mentioned_media.media_id({id}){comments{...}}. Mentions in
  comments (mentioned_comment) are announced only by the "mentions" webhook, with ids.
- Limits: the account's calls count against its Business Use Case limit (unconfirmed:
  4,800 times its impressions per 24 hours); a comment is at most 2,200 characters
  (unconfirmed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from platforms import engagement, video_rules
from platforms import text as texts
from platforms._http import Transport, parse_time, text_matches
from platforms.base import (
    Account,
    AccountMetrics,
    ClientConfig,
    Conversation,
    Conversations,
    MediaItem,
    Metrics,
    PublishRequest,
    PublishResult,
    RemotePost,
    SentReply,
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
from platforms.graph import GraphAPI, GraphError, account_figures, insight_values, the_video
from platforms.oauth import request_token, token_body, token_set

SCOPES = (
    "instagram_business_basic",
    "instagram_business_content_publish",
    "instagram_business_manage_insights",
)
MEDIA_FIELDS = "id,caption,timestamp,permalink"
INSIGHTS = "views,reach,saved,likes,comments,shares"
# A comment as the engagement inbox reads it, with its thread nested.
REPLY_FIELDS = "id,text,username,from{id,username},timestamp,hidden,like_count,parent_id"
COMMENT_FIELDS = (
    f"id,text,username,from{{id,username}},timestamp,hidden,like_count,replies{{{REPLY_FIELDS}}}"
)
TAG_FIELDS = "id,caption,username,timestamp,permalink"
# How far back to look for the post a PUBLISHED container made.
CONTAINER_LIFETIME = timedelta(hours=24)

# What a Reel may be: the table the editor's publishability rules use too
# (platforms.video_rules; see the module docstring for Instagram's own, wider limits).
_REEL = video_rules.LIMITS["instagram"]
REEL_MIN_SECONDS = float(_REEL.min_seconds)
REEL_MAX_SECONDS = float(_REEL.max_seconds)  # the API takes 15 minutes; 90 s show as a Reel
REEL_MAX_ASPECT = _REEL.widest  # width / height: nothing wider than portrait 4:5
REEL_MAX_BYTES = _REEL.max_bytes


@dataclass(frozen=True)
class _Saved:
    """The state keys one kind of container is saved under (photos' predate videos')."""

    what: str  # "photo" or "video", for messages
    container: str
    created_at: str


PHOTO_STATE = _Saved("photo", "container_id", "container_created_at")
VIDEO_STATE = _Saved("video", "video_container_id", "video_container_created_at")


def reel_problems(*, width: int, height: int, duration: float, size: int = 0) -> list[str]:
    """Plain-English reasons a video cannot be a Reel; [] if it can (video_rules' words)."""
    return video_rules.check_video(
        "instagram", duration=duration, width=width, height=height, size=size
    )


class InstagramClient:
    platform = "instagram"
    # Deleting works for some tokens only; delete() raises DeleteUnsupported
    # when Instagram refuses, so takedown can ask a person instead.
    can_delete = True
    has_account_metrics = True
    conversation_kinds: tuple[str, ...] = ("comment", "mention")
    can_hide = True
    can_delete_comments = True

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
        video = the_video(request, label="Instagram", platform=self.platform)
        if video is not None:
            problems = reel_problems(
                width=video.width, height=video.height, duration=video.duration, size=video.size
            )
            if problems:
                raise ContentRejected(" ".join(problems), platform=self.platform)
        keys = PHOTO_STATE if video is None else VIDEO_STATE
        state = dict(request.state)

        def save(**changes: Any) -> None:
            state.update(changes)
            if on_progress:
                on_progress(dict(state))

        def build() -> str:
            if video is not None:
                return self._build_reel(account, video, caption)
            return self._build_container(account, request, caption)

        ready = self._ready_container(account, caption, state, save, build, keys)
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
        caption: str,
        state: dict[str, Any],
        save: Callable[..., None],
        build: Callable[[], str],
        keys: _Saved,
    ) -> str | PublishResult:
        """A FINISHED container to publish, or the post if an earlier attempt published it.

        A saved container's age is Instagram's to judge, not ours: one published
        more than 24 hours ago still answers PUBLISHED and must not be replaced,
        and one never published answers EXPIRED, when a new one is safe to build.
        """
        container = state.get(keys.container)
        if container:
            status, _ = self._status(account, container)
            if status == "PUBLISHED":
                return self._already_published(account, caption, state, keys)
            if status in ("EXPIRED", "ERROR"):
                container = None  # build a fresh one below
                save(**{keys.container: None})
        if not container:
            container = build()
            save(**{keys.container: container, keys.created_at: datetime.now(UTC).isoformat()})
        if self._wait_until_finished(account, container, keys, save) == "PUBLISHED":
            return self._already_published(account, caption, state, keys)
        return container

    def _build_container(self, account: Account, request: PublishRequest, caption: str) -> str:
        user, token = account.external_id, account.access_token
        if len(request.media) == 1:
            item = request.media[0]
            data = {"image_url": item.url, "caption": caption}
            if item.alt_text:
                data["alt_text"] = item.alt_text
            body = self.graph.call("POST", f"/{user}/media", token, data=data)
            return self.graph.new_id(body, create=False)
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
        return self.graph.new_id(body, create=False)

    def _build_reel(self, account: Account, video: MediaItem, caption: str) -> str:
        # Instagram downloads the video (and the cover) from our signed URLs
        # itself, so nothing is uploaded from here.
        data = {
            "media_type": "REELS",
            "video_url": video.url,
            "caption": caption,
            # Shown in the main feed as well as the Reels tab, as a post is.
            "share_to_feed": "true",
        }
        if video.cover_url:
            data["cover_url"] = video.cover_url
        body = self.graph.call(
            "POST", f"/{account.external_id}/media", account.access_token, data=data
        )
        return self.graph.new_id(body, create=False)

    def _status(self, account: Account, container: str) -> tuple[str, str]:
        """(status_code, status text) of a container."""
        body = self.graph.call(
            "GET", f"/{container}", account.access_token, params={"fields": "status_code,status"}
        )
        return str(body.get("status_code", "")), str(body.get("status", ""))

    def _wait_until_finished(
        self, account: Account, container: str, keys: _Saved, save: Callable[..., None]
    ) -> str:
        """Poll until FINISHED (or PUBLISHED, by an attempt racing this one)."""
        what = keys.what
        for attempt in range(max(1, self.config.poll_attempts)):
            status, words = self._status(account, container)
            if status in ("FINISHED", "PUBLISHED"):
                return status
            if status == "ERROR":
                raise ContentRejected(
                    f"Instagram could not process the {what}." + said("Instagram", words),
                    platform=self.platform,
                    platform_code=words.rsplit(" ", 1)[-1] if words else None,
                )
            if status == "EXPIRED":
                # Never published, so a new container is safe: the next attempt builds one.
                save(**{keys.container: None})
                raise TransientError(
                    f"Instagram's copy of the {what} expired before it was published; it will "
                    "be prepared again.",
                    platform=self.platform,
                )
            if attempt + 1 < self.config.poll_attempts:
                time.sleep(self.config.poll_interval)
        # Still IN_PROGRESS: give the worker back; the saved container resumes.
        raise TransientError(
            f"Instagram is still processing the {what}; publishing will continue shortly.",
            platform=self.platform,
            retry_after=self.config.poll_interval * 5,
        )

    def _already_published(
        self, account: Account, caption: str, state: dict[str, Any], keys: _Saved
    ) -> PublishResult:
        created = parse_time(state.get(keys.created_at))
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

    # --- engagement ------------------------------------------------------------------

    def fetch_comments(
        self, account: Account, post_ids: list[str], *, cursor: str = ""
    ) -> Conversations:
        token = account.access_token
        first, after = engagement.resume_point(cursor)
        items: list[Conversation] = []
        pages = 0
        for index in range(first, len(post_ids)):
            media_id = post_ids[index]
            params: dict[str, Any] = {"fields": COMMENT_FIELDS, "limit": 50}
            if index == first and after:
                params["after"] = after
            while True:
                if pages >= engagement.FETCH_PAGES:
                    resume = engagement.resume_cursor(index, params.get("after", ""))
                    return Conversations(tuple(items), resume, complete=False)
                pages += 1
                body = self.graph.call_if_exists(
                    "GET", f"/{media_id}/comments", token, params=params
                )
                if body is None:
                    break  # the media is gone, and its comments with it
                for row in body.get("data") or []:
                    items.append(_comment(row, account, media_id, None))
                    items += self._replies(account, media_id, row)
                paging = body.get("paging") or {}
                next_after = (paging.get("cursors") or {}).get("after")
                if not paging.get("next") or not next_after:
                    break
                params["after"] = next_after
        # A resumed fetch saw only the rest: absent comments prove nothing.
        return Conversations(tuple(items), "", complete=not cursor)

    def _replies(self, account: Account, media_id: str, top: dict[str, Any]) -> list[Conversation]:
        """A comment's thread: nested in its row, and paged on at /replies when long."""
        nested = top.get("replies") or {}
        rows = list(nested.get("data") or [])
        paging = nested.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if paging.get("next") and after:
            params = {"fields": REPLY_FIELDS, "limit": 50, "after": after}
            rows += self.graph.rows(f"/{top['id']}/replies", account.access_token, params)
        return [_comment(row, account, media_id, str(top["id"])) for row in rows]

    def fetch_mentions(self, account: Account, *, cursor: str = "") -> Conversations:
        seen = engagement.SeenSince(cursor)
        params = {"fields": TAG_FIELDS, "limit": 50}
        items = []
        for row in self.graph.rows(f"/{account.external_id}/tags", account.access_token, params):
            created = parse_time(row.get("timestamp"))
            if seen.older(created):
                break  # newest first: the rest was seen before
            if not seen.is_new(str(row["id"]), created):
                continue
            seen.saw(str(row["id"]), created)
            items.append(
                Conversation(
                    kind="mention",
                    external_id=str(row["id"]),
                    text=row.get("caption", ""),
                    author_name=str(row.get("username", "")),
                    author_id="",  # /tags names the author by username only
                    created_at=created,
                    post_id=str(row["id"]),
                    permalink=str(row.get("permalink") or ""),
                )
            )
        return engagement.mentions(items, seen)

    def fetch_reviews(self, account: Account, *, cursor: str = "") -> Conversations:
        return engagement.NOTHING  # Instagram has no reviews

    def reply(self, account: Account, item: Conversation, text: str) -> SentReply:
        token = account.access_token
        if item.kind == "mention":
            data = {"media_id": item.post_id or item.external_id, "message": text}
            if item.post_id and item.post_id != item.external_id:
                data["comment_id"] = item.external_id  # named in a comment, not the caption
            body = self.graph.call(
                "POST", f"/{account.external_id}/mentions", token, create=True, data=data
            )
        else:
            body = self.graph.call(
                "POST",
                f"/{item.parent_id or item.external_id}/replies",
                token,
                create=True,
                data={"message": text},
            )
        return SentReply(self.graph.new_id(body, create=True))

    def find_reply(self, account: Account, item: Conversation, text: str) -> SentReply | None:
        token = account.access_token
        if item.kind == "mention":
            media = item.post_id or item.external_id
            field = f"mentioned_media.media_id({media}){{comments{{{REPLY_FIELDS}}}}}"
            body = self.graph.call_if_exists(
                "GET", f"/{account.external_id}", token, params={"fields": field}
            )
            rows = (((body or {}).get("mentioned_media") or {}).get("comments") or {}).get(
                "data"
            ) or []
        else:
            params = {"fields": REPLY_FIELDS, "limit": 50}
            try:
                rows = list(
                    self.graph.rows(f"/{item.parent_id or item.external_id}/replies", token, params)
                )
            except ContentRejected as error:
                if error.platform_code == "100/33":
                    return None  # the thread is gone, and any reply with it
                raise
        for row in rows:
            mine = (row.get("from") or {}).get("id") == account.external_id
            if mine and text_matches(row.get("text", ""), text, text):
                return SentReply(str(row["id"]))
        return None

    def delete_reply(self, account: Account, item: Conversation, reply_id: str) -> None:
        self.graph.call_if_exists("DELETE", f"/{reply_id}", account.access_token)

    def hide(self, account: Account, item: Conversation, hidden: bool) -> None:
        if item.kind != "comment":
            raise engagement.cannot(
                self.platform,
                "Instagram lets an account hide comments on its own media only.",
            )
        self.graph.call(
            "POST",
            f"/{item.external_id}",
            account.access_token,
            data={"hide": "true" if hidden else "false"},
        )

    def delete_comment(self, account: Account, item: Conversation) -> None:
        if item.kind != "comment":
            raise engagement.cannot(
                self.platform,
                "Instagram lets an account delete comments on its own media only; ask the "
                "author or report it in the Instagram app.",
            )
        self.graph.call_if_exists("DELETE", f"/{item.external_id}", account.access_token)


def _comment(
    row: dict[str, Any], account: Account, media_id: str, parent: str | None
) -> Conversation:
    author = row.get("from") or {}
    username = str(row.get("username") or author.get("username") or "")
    return Conversation(
        kind="comment",
        external_id=str(row["id"]),
        text=row.get("text", ""),
        author_name=username,
        author_id=str(author.get("id", "")),
        created_at=parse_time(row.get("timestamp")),
        post_id=media_id,
        parent_id=parent or row.get("parent_id"),
        from_us=str(author.get("id", "")) == account.external_id,
        hidden=bool(row.get("hidden")),
    )


def _remote(row: dict[str, Any]) -> RemotePost:
    return RemotePost(
        platform_id=str(row["id"]),
        text=row.get("caption", ""),
        created_at=parse_time(row.get("timestamp")),
        permalink=row.get("permalink", ""),
    )
