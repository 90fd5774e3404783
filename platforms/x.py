"""X (API v2) with OAuth 2.0 and PKCE.

A video goes up in parts through API v2's chunked upload on api.x.com (the
v1.1 upload host is retired), one video per post and nothing beside it:
- POST /2/media/upload/initialize {"media_type": "video/mp4", "total_bytes",
  "media_category": "tweet_video"} -> {"data": {"id", "media_key",
  "expires_after_secs"}}. (The quickstart still shows the older form, POST
  /2/media/upload with command=INIT|APPEND|FINALIZE; the API reference lists
  the dedicated endpoints used here.)
- POST /2/media/upload/{id}/append, multipart: media (the part, at most 5 MB)
  and segment_index (0 to 999, in order) -> {"data": {"expires_at"}}.
- POST /2/media/upload/{id}/finalize -> {"data": {"id", "size",
  "expires_after_secs", "processing_info": {"state", "check_after_secs"}}},
  refused when the segments do not add up to total_bytes.
- GET /2/media/upload?command=STATUS&media_id={id} -> {"data":
  {"processing_info"}}: state pending -> in_progress -> succeeded | failed
  (with error {code, name, message}, e.g. 1 InvalidMedia "Unsupported video
  format"); ask again after check_after_secs. The id can be attached to a post
  only once succeeded, and for 24 hours after FINALIZE.
- Limits (tweet_video): up to 512 MB, 0.5 to 140 seconds, MP4 or MOV with
  H.264 and AAC (mono or stereo), aspect ratio between 1:3 and 3:1, square
  pixels; at most 1920x1200 and 60 fps (unconfirmed: older pages say 1280x1024
  and 40 fps).

Engagement (EngagementClient; tweet.read, tweet.write, users.read):
- Replies to our posts: GET /2/tweets/search/recent?query=conversation_id:{id} OR ...
  &tweet.fields=author_id,created_at,conversation_id,in_reply_to_user_id,
  referenced_tweets,edit_history_tweet_ids,note_tweet&expansions=author_id
  &user.fields=name,username&max_results=100 -> {data, includes.users, meta:
  {newest_id, oldest_id, result_count, next_token}}, newest first. Search covers the
  last 7 days only: we send start_time (the oldest post's time, read from its id:
  X ids are snowflakes, milliseconds since 2010-11-04 in the high bits), and X
  refuses one older than 7 days with a 400 naming start_time; then we search
  without it and the fetch is not complete (older replies are out of reach).
  Queries are at most 512 characters (10 posts each here).
- Text: `text` escapes &, < and > as HTML; a post longer than 280 characters has it
  whole in note_tweet.text. An edit is a new post id: edit_history_tweet_ids keeps
  the first, which is our external id, and created_at is the edit's time.
- Mentions: GET /2/users/{id}/mentions?since_id={cursor}&max_results=100 (same fields;
  pagination_token; the 800 newest). It lists replies to our own posts too: those are
  comments, so we drop the posts whose conversation's first post is ours (GET
  /2/tweets?ids=...&tweet.fields=author_id, 100 ids a call).
- Reply: POST /2/tweets {text, reply: {in_reply_to_tweet_id}} -> 201 {data: {id}};
  read back with the search query in_reply_to_tweet_id:{id} from:{our id}. Delete
  our reply: DELETE /2/tweets/{id}. Hide a reply in a conversation we started: PUT
  /2/tweets/{id}/hidden {hidden: true|false} -> {data: {hidden}}; search does not say
  which replies are hidden. No account may delete another's post.
- Limits (per 15 minutes; unconfirmed, they differ by access tier): search 450 per
  app and 180 per user, mentions 180 per user, hide replies 50 per user, and the
  replies count against POST /2/tweets' own.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

import requests

from platforms import engagement, video_rules
from platforms import text as texts
from platforms._http import (
    MAX_PAGES,
    Transport,
    bare_status_error,
    json_body,
    parse_time,
    retry_after_header,
    seconds_until_epoch,
    send_idempotent,
)
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
    NO_ID,
    SERVER_ERROR,
    AmbiguousOutcome,
    ConfigurationError,
    ContentRejected,
    DuplicateContent,
    PlatformError,
    ReconnectNeeded,
    ThrottledError,
    TransientError,
    no_clear_answer,
    said,
)
from platforms.oauth import request_token, token_set

SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write")
# Uploaded media can be attached for 24 hours; reuse it on a retry only well within that.
MEDIA_REUSE = timedelta(hours=20)
FULL_WINDOW = 15 * 60.0
# A saved upload is resumed only while X will keep it this much longer: the
# rest of the upload and the post must fit in what is left.
VIDEO_MARGIN = timedelta(minutes=30)


# Engagement: what a post of the conversation brings, conversations per search query,
# how recent search reaches, and X's id epoch (ids are snowflakes).
TWEET_FIELDS = (
    "author_id,created_at,conversation_id,in_reply_to_user_id,referenced_tweets,"
    "edit_history_tweet_ids,note_tweet"
)
CONVERSATIONS_PER_QUERY = 10
SEARCH_WINDOW = timedelta(days=7)
TWEPOCH_MS = 1_288_834_974_657


class XClient:
    platform = "x"
    can_delete = True
    has_account_metrics = True
    conversation_kinds: tuple[str, ...] = ("comment", "mention")
    can_hide = True
    can_delete_comments = False

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        # Bytes per APPEND (ClientConfig.upload_chunk_bytes, 4 MB): under X's 5 MB
        # a segment, and few enough requests that 512 MB stays well within
        # 1,000 segments. Tests use small parts.
        self.chunk_size = config.upload_chunk_bytes
        self.http = Transport("x", "X", config)
        self.api = config.host("x_api")
        self.token_url = f"{self.api}/2/oauth2/token"

    def _call(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        resp = self.http.call(method, self.api + path, token, on_error=self._error, **kwargs)
        return json_body(resp) or {}

    # --- publishing ------------------------------------------------------------

    def publish(
        self,
        account: Account,
        request: PublishRequest,
        *,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> PublishResult:
        text = self._with_link(request)
        texts.require_publishable("x", text, len(request.media))
        body: dict[str, Any] = {"text": text}
        if any(item.is_video for item in request.media):
            media_ids = [self._upload_video(account, request, on_progress)]
        else:
            media_ids = self._upload_media(account, request, on_progress)
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        data = self._call("POST", "/2/tweets", account.access_token, create=True, json=body)
        post_id = str((data.get("data") or {}).get("id") or "")
        if not post_id:
            raise AmbiguousOutcome(
                "X accepted the post but did not say which post it created.", platform=self.platform
            )
        return PublishResult(post_id, self._permalink(post_id), datetime.now(UTC))

    def _with_link(self, request: PublishRequest) -> str:
        # X has no link field: the link goes at the end of the text.
        if request.link and request.link not in request.text:
            return f"{request.text}\n\n{request.link}".strip()
        return request.text

    def _upload_media(
        self,
        account: Account,
        request: PublishRequest,
        on_progress: Callable[[dict[str, Any]], None] | None,
    ) -> list[str]:
        """Upload each photo once; ids saved so a retry within their lifetime reuses them."""
        ids: list[str] = []
        first_upload = parse_time(request.state.get("media_uploaded_at"))
        if first_upload and datetime.now(UTC) - first_upload < MEDIA_REUSE:
            ids = list(request.state.get("media_ids") or [])[: len(request.media)]
        if not ids:
            first_upload = None
        for item in request.media[len(ids) :]:
            ids.append(self._upload_one(account, item))
            first_upload = first_upload or datetime.now(UTC)
            if on_progress:
                on_progress(
                    {
                        **request.state,
                        "media_ids": list(ids),
                        "media_uploaded_at": first_upload.isoformat(),
                    }
                )
        return ids

    def _upload_one(self, account: Account, item: MediaItem) -> str:
        data = item.data if item.data is not None else self.http.download(item.url)
        body = self._call(
            "POST",
            "/2/media/upload",
            account.access_token,
            files={"media": ("photo", data, item.content_type)},
            data={"media_category": "tweet_image", "media_type": item.content_type},
        )
        media_id = str((body.get("data") or {}).get("id") or "")
        if not media_id:
            # Nothing is posted yet: upload again rather than attach an id we do not have.
            raise no_clear_answer("X", NO_ID, create=False, platform=self.platform)
        if item.alt_text:
            self._call(
                "POST",
                "/2/media/metadata",
                account.access_token,
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text[:1000]}}},
            )
        return media_id

    # --- video ---------------------------------------------------------------

    def _upload_video(
        self,
        account: Account,
        request: PublishRequest,
        on_progress: Callable[[dict[str, Any]], None] | None,
    ) -> str:
        """Upload the post's one video in segments, or finish an upload begun earlier.

        Each step X acknowledges is saved at once (the video_* keys), so a worker
        killed halfway resumes where X left off: no second video, no segment sent
        twice. A saved upload too close to X's expiry is dropped and the video
        uploaded again; nothing was posted with it, so that is safe.
        """
        item = _the_video(request.media)
        _check_video(item)
        token = account.access_token
        progress = {k: v for k, v in request.state.items() if not k.startswith("video_")}
        saved = _resumable(request.state, item)
        progress.update(saved)

        def save(**changes: Any) -> None:
            progress.update(changes)
            if on_progress:
                on_progress(dict(progress))

        media_id = str(progress.get("video_media_id") or "")
        if not media_id:
            body = self._call(
                "POST",
                "/2/media/upload/initialize",
                token,
                json={
                    "media_type": item.content_type,
                    "total_bytes": item.size,
                    "media_category": "tweet_video",
                },
            )
            data = body.get("data") or {}
            media_id = str(data.get("id") or "")
            if not media_id:
                # Nothing is posted yet: start again rather than guess at an id.
                raise no_clear_answer("X", NO_ID, create=False, platform=self.platform)
            now = datetime.now(UTC)
            save(
                video_media_id=media_id,
                video_bytes=item.size,
                video_chunk_bytes=self.chunk_size,
                video_segments=0,
                video_started_at=now.isoformat(),
                video_expires_at=_expiry(data, now),
            )
        if not progress.get("video_finalized"):
            self._append_segments(account, item, media_id, progress, save)
            body = self._call("POST", f"/2/media/upload/{media_id}/finalize", token)
            data = body.get("data") or {}
            # The id now lasts from FINALIZE, as long as X says (if it says).
            expires = _expiry(data, datetime.now(UTC))
            save(video_finalized=True, **({"video_expires_at": expires} if expires else {}))
            info = data.get("processing_info")
            # No processing_info: X needs no processing and the id is ready.
            if not info or self._processed(info):
                save(video_ready=True)
                return media_id
            wait = self._wait(info)
        else:
            wait = 0.0  # resuming: ask at once
        if not progress.get("video_ready"):
            self._await_processing(account, media_id, wait)
            save(video_ready=True)
        return media_id

    def _append_segments(
        self,
        account: Account,
        item: MediaItem,
        media_id: str,
        progress: dict[str, Any],
        save: Callable[..., None],
    ) -> None:
        """APPEND the segments X has not acknowledged yet, reading one at a time."""
        assert item.open is not None  # _the_video checked
        chunk = int(progress.get("video_chunk_bytes") or self.chunk_size)
        total = max(1, -(-item.size // chunk))
        done = int(progress.get("video_segments") or 0)
        url = f"{self.api}/2/media/upload/{media_id}/append"
        with item.open() as file:
            for index in range(done, total):
                file.seek(index * chunk)
                part = file.read(chunk)
                # A segment sent again replaces itself, so a lost answer is re-sent here.
                send_idempotent(
                    partial(
                        self.http.call,
                        "POST",
                        url,
                        account.access_token,
                        on_error=self._error,
                        files={"media": ("segment", part, "application/octet-stream")},
                        data={"segment_index": str(index)},
                    )
                )
                save(video_segments=index + 1)

    def _await_processing(self, account: Account, media_id: str, wait: float) -> None:
        """Ask STATUS until succeeded, at most poll_attempts times.

        Each wait is X's check_after_secs, shortened to poll_interval: a worker
        is not held for long. Still processing after the last check: a
        TransientError, and the retry resumes here, at STATUS.
        """
        for _ in range(max(1, self.config.poll_attempts)):
            if wait > 0:
                time.sleep(wait)
            body = self._call(
                "GET",
                "/2/media/upload",
                account.access_token,
                params={"command": "STATUS", "media_id": media_id},
            )
            data = body.get("data") if isinstance(body.get("data"), dict) else body
            info = data.get("processing_info")
            if not info or self._processed(info):
                return
            wait = self._wait(info)
        raise TransientError(
            "X is still processing the video; trying again shortly.",
            platform=self.platform,
            retry_after=max(wait, self.config.poll_interval),
        )

    def _processed(self, info: dict[str, Any]) -> bool:
        """True once X has processed the video; its own words when it could not."""
        state = info.get("state")
        if state == "failed":
            error = info.get("error") or {}
            raise ContentRejected(
                f"X could not process the video.{said('X', error.get('message'))}",
                platform=self.platform,
                platform_code=error.get("name") or error.get("code") or "failed",
            )
        return state == "succeeded"

    def _wait(self, info: dict[str, Any]) -> float:
        asked = info.get("check_after_secs")
        interval = float(self.config.poll_interval)
        return min(float(asked), interval) if isinstance(asked, int | float) else interval

    def _permalink(self, post_id: str) -> str:
        return f"{self.config.host('x_www')}/i/web/status/{post_id}"

    # --- reading back ------------------------------------------------------------

    def read_back(self, account: Account, platform_id: str) -> RemotePost | None:
        body = self._call(
            "GET",
            f"/2/tweets/{platform_id}",
            account.access_token,
            params={"tweet.fields": "created_at"},
        )
        # A missing post is a 200 with an errors array and no data.
        if not body.get("data"):
            return None
        return self._remote(body["data"])

    def find_recent(self, account: Account, text: str, *, since: datetime) -> RemotePost | None:
        params: dict[str, Any] = {
            "max_results": 100,
            "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tweet.fields": "created_at",
            "exclude": "retweets,replies",
        }
        wanted = _comparable(text)
        for _ in range(MAX_PAGES):
            body = self._call(
                "GET", f"/2/users/{account.external_id}/tweets", account.access_token, params=params
            )
            for row in body.get("data") or []:
                if _comparable(html.unescape(row.get("text", ""))) == wanted:
                    return self._remote(row)
            next_token = (body.get("meta") or {}).get("next_token")
            if not next_token:
                return None
            params["pagination_token"] = next_token
        return None

    def _remote(self, row: dict[str, Any]) -> RemotePost:
        post_id = str(row["id"])
        return RemotePost(
            post_id,
            html.unescape(row.get("text", "")),
            parse_time(row.get("created_at")),
            self._permalink(post_id),
        )

    def delete(self, account: Account, platform_id: str) -> None:
        body = self._call("DELETE", f"/2/tweets/{platform_id}", account.access_token)
        if (body.get("data") or {}).get("deleted"):
            return
        if self.read_back(account, platform_id) is not None:
            raise TransientError("X did not delete the post; trying again.", platform=self.platform)

    def metrics(self, account: Account, platform_id: str) -> Metrics:
        body = self._call(
            "GET",
            f"/2/tweets/{platform_id}",
            account.access_token,
            params={"tweet.fields": "public_metrics"},
        )
        m = (body.get("data") or {}).get("public_metrics")
        if not m:
            return Metrics()
        return Metrics(
            impressions=m.get("impression_count"),
            likes=m.get("like_count"),
            comments=m.get("reply_count"),
            shares=(m.get("retweet_count") or 0) + (m.get("quote_count") or 0),
            saves=m.get("bookmark_count"),
        )

    def metrics_many(self, account: Account, platform_ids: list[str]) -> dict[str, Metrics]:
        return metrics_each(self, account, platform_ids)

    def account_metrics(self, account: Account) -> AccountMetrics:
        body = self._call(
            "GET", "/2/users/me", account.access_token, params={"user.fields": "public_metrics"}
        )
        count = ((body.get("data") or {}).get("public_metrics") or {}).get("followers_count")
        return AccountMetrics(followers=count if isinstance(count, int) else None)

    # --- connecting --------------------------------------------------------------

    def refresh(self, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            raise ReconnectNeeded(
                "The X connection has no refresh token; reconnect the account.",
                platform=self.platform,
            )
        # X rotates the refresh token: the old one stops working once this succeeds.
        body = request_token(
            self.http,
            self.token_url,
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
            basic_auth=True,
        )
        return token_set(body, scopes=tokens.scopes)

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str | None) -> str:
        if not code_challenge:
            raise ValueError("X requires PKCE: pass an S256 code_challenge")
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(SCOPES),
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.config.host('x_www')}/i/oauth2/authorize?{query}"

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        if not code_verifier:
            raise ValueError("X requires PKCE: pass the code_verifier")
        grant = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        return token_set(request_token(self.http, self.token_url, grant, basic_auth=True))

    def list_targets(self, tokens: TokenSet) -> list[Target]:
        data = self._call("GET", "/2/users/me", tokens.access_token).get("data") or {}
        name = data.get("name") or data.get("username") or data.get("id")
        if data.get("username"):
            name = f"{name} (@{data['username']})"
        return [Target(str(data["id"]), str(name), None)]

    # --- text ----------------------------------------------------------------------

    def prepare_text(self, text: str) -> str:
        return text

    def check_text(self, text: str) -> list[str]:
        return texts.check_text("x", text)

    # --- engagement ------------------------------------------------------------------

    def fetch_comments(
        self, account: Account, post_ids: list[str], *, cursor: str = ""
    ) -> Conversations:
        first, token = engagement.resume_point(cursor)
        items: list[Conversation] = []
        complete = not cursor
        pages = 0
        batches = [
            post_ids[i : i + CONVERSATIONS_PER_QUERY]
            for i in range(0, len(post_ids), CONVERSATIONS_PER_QUERY)
        ]
        for index in range(first, len(batches)):
            batch = batches[index]
            roots = set(batch)
            params: dict[str, Any] = {
                "query": " OR ".join(f"conversation_id:{i}" for i in batch),
                "tweet.fields": TWEET_FIELDS,
                "expansions": "author_id",
                "user.fields": "name,username",
                "max_results": 100,
            }
            times = [snowflake_time(i) for i in batch]
            oldest = None if None in times else min(t for t in times if t is not None)
            if oldest is not None and datetime.now(UTC) - oldest < SEARCH_WINDOW:
                params["start_time"] = _x_time(oldest)
            else:
                complete = False  # replies older than search reaches may exist
            if index == first and token:
                params["next_token"] = token
            while True:
                if pages >= engagement.FETCH_PAGES:
                    resume = engagement.resume_cursor(index, params.get("next_token", ""))
                    return Conversations(_oldest_first(items), resume, complete=False)
                pages += 1
                body = self._search(account, params)
                if body is None:
                    # X's clock says the oldest post is beyond the 7 days search reaches.
                    params.pop("start_time", None)
                    complete = False
                    continue
                users = _users(body)
                items += [
                    self._conversation(row, users, account, "comment")
                    for row in body.get("data") or []
                    if str(row.get("id")) not in roots
                ]
                next_token = (body.get("meta") or {}).get("next_token")
                if not next_token:
                    break
                params["next_token"] = next_token
        return Conversations(_oldest_first(items), "", complete=complete)

    def _search(self, account: Account, params: dict[str, Any]) -> dict[str, Any] | None:
        """A recent search's answer; None when X refused its start_time as too old."""
        try:
            body: dict[str, Any] = self._call(
                "GET", "/2/tweets/search/recent", account.access_token, params=params
            )
        except ContentRejected as error:
            if "start_time" in params and "start_time" in error.message:
                return None
            raise
        return body

    def _conversation(
        self, row: dict[str, Any], users: dict[str, dict[str, Any]], account: Account, kind: str
    ) -> Conversation:
        history = [str(i) for i in row.get("edit_history_tweet_ids") or [row["id"]]]
        first = history[0]
        created = parse_time(row.get("created_at"))
        edited = len(history) > 1
        author = str(row.get("author_id", ""))
        user = users.get(author) or {}
        replied = next(
            (
                str(ref.get("id"))
                for ref in row.get("referenced_tweets") or []
                if ref.get("type") == "replied_to"
            ),
            None,
        )
        conversation = str(row.get("conversation_id") or first)
        full = (row.get("note_tweet") or {}).get("text") or row.get("text", "")
        return Conversation(
            kind=kind,
            external_id=first,
            text=html.unescape(full),
            author_name=str(user.get("name") or user.get("username") or ""),
            author_id=author,
            # An edit is a new post: its created_at is the edit's, the first id's time
            # is the original's.
            created_at=snowflake_time(first) if edited else created,
            updated_at=created if edited else None,
            post_id=conversation if kind == "comment" else first,
            parent_id=replied if kind == "comment" and replied != conversation else None,
            permalink=self._permalink(first),
            from_us=author == account.external_id,
        )

    def fetch_mentions(self, account: Account, *, cursor: str = "") -> Conversations:
        params: dict[str, Any] = {
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": "name,username",
            "max_results": 100,
        }
        if cursor.isdigit():
            params["since_id"] = cursor
        rows: list[dict[str, Any]] = []
        users: dict[str, dict[str, Any]] = {}
        newest = cursor
        for page in range(MAX_PAGES):
            body = self._call(
                "GET",
                f"/2/users/{account.external_id}/mentions",
                account.access_token,
                params=params,
            )
            meta = body.get("meta") or {}
            if page == 0 and meta.get("newest_id"):
                newest = str(meta["newest_id"])
            rows += body.get("data") or []
            users.update(_users(body))
            if not meta.get("next_token"):
                break
            params["pagination_token"] = meta["next_token"]
        ours = self._our_conversations(account, rows)
        items = [
            self._conversation(row, users, account, "mention")
            for row in reversed(rows)  # oldest first, as the other fetches
            if str(row.get("conversation_id") or row["id"]) not in ours
            and str(row.get("author_id")) != account.external_id
        ]
        return Conversations(tuple(items), newest, complete=False)

    def _our_conversations(self, account: Account, rows: list[dict[str, Any]]) -> set[str]:
        """The conversations among these posts that one of our posts started: replies there
        are comments (fetch_comments), not mentions."""
        roots = sorted(
            {
                str(row.get("conversation_id"))
                for row in rows
                if row.get("conversation_id") and row.get("conversation_id") != row.get("id")
            }
        )
        ours: set[str] = set()
        for start in range(0, len(roots), 100):
            body = self._call(
                "GET",
                "/2/tweets",
                account.access_token,
                params={"ids": ",".join(roots[start : start + 100]), "tweet.fields": "author_id"},
            )
            ours |= {
                str(row["id"])
                for row in body.get("data") or []
                if str(row.get("author_id")) == account.external_id
            }
        return ours

    def fetch_reviews(self, account: Account, *, cursor: str = "") -> Conversations:
        return engagement.NOTHING  # X has no reviews

    def reply(self, account: Account, item: Conversation, text: str) -> SentReply:
        body = self._call(
            "POST",
            "/2/tweets",
            account.access_token,
            create=True,
            json={"text": text, "reply": {"in_reply_to_tweet_id": item.external_id}},
        )
        post_id = str((body.get("data") or {}).get("id") or "")
        if not post_id:
            raise AmbiguousOutcome(
                "X accepted the reply but did not say which post it created.",
                platform=self.platform,
            )
        return SentReply(post_id, self._permalink(post_id))

    def find_reply(self, account: Account, item: Conversation, text: str) -> SentReply | None:
        params: dict[str, Any] = {
            "query": f"in_reply_to_tweet_id:{item.external_id} from:{account.external_id}",
            "tweet.fields": TWEET_FIELDS,
            "max_results": 100,
        }
        wanted = _comparable(text)
        for _ in range(MAX_PAGES):
            body = self._call("GET", "/2/tweets/search/recent", account.access_token, params=params)
            for row in body.get("data") or []:
                full = (row.get("note_tweet") or {}).get("text") or row.get("text", "")
                if _comparable(html.unescape(full)) == wanted:
                    first = str((row.get("edit_history_tweet_ids") or [row["id"]])[0])
                    return SentReply(first, self._permalink(first))
            next_token = (body.get("meta") or {}).get("next_token")
            if not next_token:
                return None
            params["next_token"] = next_token
        return None

    def delete_reply(self, account: Account, item: Conversation, reply_id: str) -> None:
        self.delete(account, reply_id)

    def hide(self, account: Account, item: Conversation, hidden: bool) -> None:
        if item.kind != "comment" or item.from_us:
            raise engagement.cannot(
                self.platform,
                "X lets an account hide replies to conversations it started only.",
            )
        self._call(
            "PUT",
            f"/2/tweets/{item.external_id}/hidden",
            account.access_token,
            json={"hidden": hidden},
        )

    def delete_comment(self, account: Account, item: Conversation) -> None:
        raise engagement.cannot(
            self.platform,
            "X does not let an account delete someone else's post; hide the reply, or "
            "report it on X.",
        )

    # --- errors ----------------------------------------------------------------------

    def _error(self, resp: requests.Response, *, create: bool) -> PlatformError:
        body = json_body(resp)
        if not (isinstance(body, dict) and body.keys() & {"title", "detail", "errors", "type"}):
            return bare_status_error(resp, label="X", platform=self.platform, create=create)
        body = body if isinstance(body, dict) else {}
        status = resp.status_code
        details = [
            str(e.get("message"))
            for e in body.get("errors") or []
            if isinstance(e, dict) and e.get("message")
        ]
        words = "; ".join([body.get("detail") or body.get("title") or resp.reason or "", *details])
        quoted = said("X", words.strip("; "))
        kw: dict[str, Any] = {"platform": self.platform, "platform_code": str(status)}
        problem_type = str(body.get("type", ""))
        if status == 401:
            return ReconnectNeeded(
                f"The X connection has expired or was revoked; reconnect the account.{quoted}", **kw
            )
        if status == 429:
            # x-rate-limit-reset is when the window reopens (epoch seconds).
            wait = seconds_until_epoch(resp.headers.get("x-rate-limit-reset"))
            return ThrottledError(
                f"X's posting limit for this account is used up for now.{quoted}",
                retry_after=wait or retry_after_header(resp) or FULL_WINDOW,
                **kw,
            )
        if status >= 500:
            return no_clear_answer("X", SERVER_ERROR, create=create, quoted=quoted, **kw)
        if status == 403 and "duplicate" in words.lower():
            # X does not say which post: the caller looks with find_recent.
            return DuplicateContent(f"X says this exact text was posted already.{quoted}", **kw)
        if problem_type.endswith(("client-forbidden", "unsupported-authentication")):
            return ConfigurationError(f"X refused our app's access level.{quoted}", **kw)
        return ContentRejected(f"X refused the post.{quoted}", **kw)


def _the_video(media: tuple[MediaItem, ...]) -> MediaItem:
    if len(media) != 1:
        raise ContentRejected(
            "X takes a video alone: remove the other photos or videos from this post.",
            platform="x",
        )
    item = media[0]
    if item.open is None:
        raise ValueError("a video MediaItem needs open(): videos are read from disk in parts")
    return item


def _check_video(item: MediaItem) -> None:
    """What X would refuse after the whole upload, refused before it, by the table the
    editor uses (video_rules), so that the two never disagree."""
    if not (item.duration and item.width and item.height):
        return  # not described: X itself will say
    problems = video_rules.check_video(
        "x", duration=item.duration, width=item.width, height=item.height, size=item.size
    )
    if problems:
        raise ContentRejected(" ".join(problems), platform="x")


def _resumable(state: dict[str, Any], item: MediaItem) -> dict[str, Any]:
    """The saved video_* progress if it is for this file and X still keeps it, else {}."""
    saved = {k: v for k, v in state.items() if k.startswith("video_")}
    if not saved.get("video_media_id") or saved.get("video_bytes") != item.size:
        return {}
    now = datetime.now(UTC)
    started = parse_time(saved.get("video_started_at"))
    expires = parse_time(saved.get("video_expires_at"))
    if started is None or now - started >= MEDIA_REUSE:
        return {}
    if expires is not None and now >= expires - VIDEO_MARGIN:
        return {}
    return saved


def _expiry(data: dict[str, Any], now: datetime) -> str | None:
    """When X forgets the media id, from the answer's expires_after_secs or expires_at."""
    if isinstance(data.get("expires_after_secs"), int | float):
        return (now + timedelta(seconds=data["expires_after_secs"])).isoformat()
    if isinstance(data.get("expires_at"), int | float):
        return datetime.fromtimestamp(data["expires_at"], UTC).isoformat()
    return None


def snowflake_time(post_id: str) -> datetime | None:
    """When X made a post, from its id (a snowflake); None for an id that is not one."""
    try:
        ms = (int(post_id) >> 22) + TWEPOCH_MS
    except ValueError:
        return None
    when = datetime.fromtimestamp(ms / 1000, UTC)
    return when if when.year >= 2010 else None


def _oldest_first(items: list[Conversation]) -> tuple[Conversation, ...]:
    """Search answers newest first; threads read oldest first, as on the other platforms.
    X ids are time-ordered, so the (first) id orders them."""
    return tuple(sorted(items, key=lambda i: int(i.external_id) if i.external_id.isdigit() else 0))


def _x_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _users(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        str(u.get("id")): u
        for u in (body.get("includes") or {}).get("users") or []
        if isinstance(u, dict)
    }


def _comparable(text: str) -> str:
    """Text as X shows it back, for matching: links become t.co links, so drop them."""
    spans = texts.find_urls(text)
    out, pos = [], 0
    for start, end in spans:
        out.append(text[pos:start])
        out.append("<link>")
        pos = end
    out.append(text[pos:])
    return " ".join("".join(out).split())
