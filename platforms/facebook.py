"""Facebook Pages through the Graph API.

A video goes to POST /{page-id}/videos through Facebook's resumable upload
session, whatever its size: upload_phase=start with file_size answers
{video_id, upload_session_id, start_offset, end_offset}; each
upload_phase=transfer sends the bytes from start_offset to end_offset as the
multipart field `video_file_chunk` and answers the next pair (Facebook, not
us, decides the part sizes; a start_offset it did not expect answers subcode
1363037 with the offsets it wants in error_data); upload_phase=finish with the
description publishes it, answering {success: true}. Then
GET /{video-id}?fields=status until status.video_status is "ready"
("processing" meanwhile, "error" with the reason in the phases' errors).
Meta documents these calls on the graph-video.facebook.com host (the
"graph_video" host role). Page videos: MP4 or MOV recommended, up to 10 GB and 240
minutes (unconfirmed, Meta's help pages).

Engagement (EngagementClient; pages_read_engagement to read, pages_manage_engagement to
reply, hide and delete, and the MODERATE task on the Page to see comment ids):
- Comments: GET /{post-id}/comments?filter=stream&order=chronological&fields=id,message,
  from{id,name},created_time,parent{id},is_hidden,permalink_url&limit=100 -> {data,
  paging: {cursors: {after}, next}}. filter=stream lists the replies in threads too,
  each with parent.id (the default, toplevel, leaves them out). Hidden comments stay
  listed with is_hidden true. A comment has no edit time: an edit shows only as new
  text. Our own comments come back with from.id == the Page id.
- Reply: POST /{comment-id}/comments {message} -> {id}; threads are one level deep, so
  a reply goes to the thread's top comment. A tagged post is answered with POST
  /{post-id}/comments. Read back: GET /{comment-id}/comments, our text from the Page.
- Hide: POST /{comment-id} is_hidden=true|false -> {success: true}. Delete: DELETE
  /{comment-id} -> {success: true}. Neither works on posts of others that tag the Page.
- Mentions: GET /{page-id}/tagged?fields=id,message,from,created_time,permalink_url
  &since={epoch} -> posts of others that tag the Page, newest first, same paging. A
  mention in a comment is announced by the Page webhook's "mention" field only.
- Limits: the Page's calls count against its Business Use Case limit (the
  X-Business-Use-Case-Usage header; about 4,800 calls per engaged user per 24 hours,
  unconfirmed); a comment is at most 8,000 characters (unconfirmed).

The video id, known from the start call on, is the post's platform id:
read_back, delete and metrics take it, and find_recent also looks through
the Page's videos. The session, the video id and the offset Facebook
acknowledged are saved through on_progress after every step, so a retry
sends only what Facebook does not have yet, and never finishes a second video.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO
from urllib.parse import urlencode

from platforms import engagement
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
    NO_ID,
    ContentRejected,
    PlatformError,
    ReconnectNeeded,
    TransientError,
    no_clear_answer,
    said,
)
from platforms.graph import GraphAPI, GraphError, account_figures, insight_values, the_video
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
# A video is a Video node, not a post: its text is its description, and it has
# its own insights (views, and views by unique people).
VIDEO_FIELDS = "id,description,created_time,permalink_url"
VIDEO_INSIGHTS = "total_video_views,total_video_views_unique"
# The upload session's saved progress (PublishRequest.state).
VIDEO_STATE_KEYS = (
    "video_session_id",
    "video_id",
    "video_offset",  # the start_offset Facebook last acknowledged: the bytes it has
    "video_end_offset",
    "video_started_at",
    "video_finished",  # finish was acknowledged: the video exists, only the wait is left
)
# Facebook does not say how long an upload session lasts; a saved one older
# than this is dropped and the upload starts over, which is safe because the
# video is only published by the finish call (unconfirmed: kept short).
UPLOAD_SESSION_LIFETIME = timedelta(hours=2)
OFFSET_MISMATCH = 1363037  # the transfer's start_offset is not the one Facebook expects
# A part whose request got no clear answer is sent again this many times
# before the job is handed back to retry later.
TRANSFER_TRIES = 3
# A comment as the engagement inbox reads it; a tagged post as a mention.
COMMENT_FIELDS = "id,message,from{id,name},created_time,parent{id},is_hidden,permalink_url"
TAGGED_FIELDS = "id,message,from{id,name},created_time,permalink_url"


class FacebookClient:
    platform = "facebook"
    can_delete = True
    has_account_metrics = True
    conversation_kinds: tuple[str, ...] = ("comment", "mention")
    can_hide = True
    can_delete_comments = True

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.http = Transport("facebook", "Facebook", config)
        self.graph = GraphAPI(self.http, config, "graph")
        # Video uploads go to graph-video.facebook.com.
        self.uploads = GraphAPI(self.http, config, "graph_video")

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
        video = the_video(request, label="Facebook", platform=self.platform)
        if request.media and request.link and request.link not in message:
            # Photo and video posts have no link field; the link goes in the text.
            message = f"{message}\n\n{request.link}".strip()
        if video is not None:
            return self._publish_video(page, token, video, message, request.state, on_progress)
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

    # --- video ---------------------------------------------------------------------

    def _publish_video(
        self,
        page: str,
        token: str,
        video: MediaItem,
        description: str,
        saved: dict[str, Any],
        on_progress: Callable[[dict[str, Any]], None] | None,
    ) -> PublishResult:
        state = dict(saved)

        def save(**changes: Any) -> None:
            state.update(changes)
            if on_progress:
                on_progress(dict(state))

        if not state.get("video_finished"):
            self._upload_video(page, token, video, description, state, save)
        return self._wait_until_ready(token, str(state["video_id"]))

    def _upload_video(
        self,
        page: str,
        token: str,
        video: MediaItem,
        description: str,
        state: dict[str, Any],
        save: Callable[..., None],
    ) -> None:
        """Start (or resume) the upload session, send what Facebook lacks, and finish."""
        if video.open is None:
            raise ValueError("a video MediaItem needs `open` to upload to Facebook")
        started = parse_time(state.get("video_started_at"))
        if state.get("video_session_id") and (
            started is None or datetime.now(UTC) - started > UPLOAD_SESSION_LIFETIME
        ):
            # Too old to trust: nothing was published (finish was never
            # acknowledged), so a new session is safe.
            save(**dict.fromkeys(VIDEO_STATE_KEYS))
        with video.open() as file:
            size = video.size or os.fstat(file.fileno()).st_size
            resumed = bool(state.get("video_session_id"))
            if not resumed:
                self._start_upload(page, token, size, save)
            try:
                self._transfer(page, token, file, state, save)
            except _SessionRefused as refused:
                if not resumed:
                    raise refused.error from refused
                # Facebook no longer knows the saved session: start once more.
                save(**dict.fromkeys(VIDEO_STATE_KEYS))
                self._start_upload(page, token, size, save)
                self._transfer(page, token, file, state, save)
        body = self.uploads.call(
            "POST",
            f"/{page}/videos",
            token,
            create=True,
            data={
                "upload_phase": "finish",
                "upload_session_id": state["video_session_id"],
                "description": description,
            },
        )
        if not body.get("success"):
            raise no_clear_answer(
                "Facebook",
                "its answer did not confirm the video",
                create=True,
                platform=self.platform,
            )
        save(video_finished=True)

    def _start_upload(self, page: str, token: str, size: int, save: Callable[..., None]) -> None:
        body = self.uploads.call(
            "POST",
            f"/{page}/videos",
            token,
            data={"upload_phase": "start", "file_size": str(size)},
        )
        start, end = _offset(body.get("start_offset")), _offset(body.get("end_offset"))
        if not body.get("upload_session_id") or not body.get("video_id") or not 0 <= start < end:
            raise no_clear_answer("Facebook", NO_ID, create=False, platform=self.platform)
        save(
            video_session_id=str(body["upload_session_id"]),
            video_id=str(body["video_id"]),
            video_offset=start,
            video_end_offset=end,
            video_started_at=datetime.now(UTC).isoformat(),
            video_finished=False,
        )

    def _transfer(
        self,
        page: str,
        token: str,
        file: BinaryIO,
        state: dict[str, Any],
        save: Callable[..., None],
    ) -> None:
        """Send the parts Facebook asks for, one at a time, until it has them all."""
        start, end = int(state["video_offset"]), int(state["video_end_offset"])
        tries = 0
        corrections = 0
        while start < end:
            file.seek(start)
            part = file.read(end - start)
            try:
                body = self.uploads.request(
                    "POST",
                    f"/{page}/videos",
                    token,
                    data={
                        "upload_phase": "transfer",
                        "upload_session_id": state["video_session_id"],
                        "start_offset": str(start),
                    },
                    files={"video_file_chunk": ("chunk", part, "application/octet-stream")},
                )
            except GraphError as exc:
                wanted = (exc.error.get("error_data") or {}) if exc.subcode else {}
                if exc.subcode == OFFSET_MISMATCH and "start_offset" in wanted and corrections < 3:
                    # Facebook has other bytes than we thought (an answer we
                    # never heard): send from where it says.
                    corrections += 1
                    start, end = int(wanted["start_offset"]), int(wanted["end_offset"])
                    save(video_offset=start, video_end_offset=end)
                    continue
                error = self.uploads.classify(exc)
                if exc.code == 100 and not exc.bare and exc.subcode != OFFSET_MISMATCH:
                    raise _SessionRefused(error) from exc
                tries = self._again(error, tries)
                continue
            except TransientError as error:
                tries = self._again(error, tries)
                continue
            tries = corrections = 0
            start, end = _offset(body.get("start_offset")), _offset(body.get("end_offset"))
            if start < 0 or end < start:
                raise no_clear_answer(
                    "Facebook",
                    "its answer did not say what to send next",
                    create=False,
                    platform=self.platform,
                )
            save(video_offset=start, video_end_offset=end)

    def _again(self, error: PlatformError, tries: int) -> int:
        """Whether a part that got no clear answer is sent again now, or the job retries later."""
        if not isinstance(error, TransientError) or tries + 1 >= TRANSFER_TRIES:
            raise error
        time.sleep(self.config.poll_interval)
        return tries + 1

    def _wait_until_ready(self, token: str, video_id: str) -> PublishResult:
        """Poll the published video until Facebook has processed it."""
        for attempt in range(max(1, self.config.poll_attempts)):
            body = self.graph.call(
                "GET",
                f"/{video_id}",
                token,
                params={"fields": "status,permalink_url,created_time"},
            )
            status = body.get("status") or {}
            video_status = str(status.get("video_status") or "")
            if video_status == "ready":
                return PublishResult(
                    video_id, self._permalink(body, video_id), parse_time(body.get("created_time"))
                )
            errors = [
                error
                for phase in ("uploading_phase", "processing_phase", "publishing_phase")
                for error in ((status.get(phase) or {}).get("errors") or [])
                if isinstance(error, dict)
            ]
            if video_status == "error" or errors:
                words = " ".join(str(e.get("message", "")) for e in errors).strip()
                raise ContentRejected(
                    "Facebook could not process the video." + said("Facebook", words),
                    platform=self.platform,
                    platform_code=str(errors[0].get("code")) if errors else "error",
                )
            if attempt + 1 < self.config.poll_attempts:
                time.sleep(self.config.poll_interval)
        # The video exists; the saved state makes the retry only wait again.
        raise TransientError(
            "Facebook is still processing the video; publishing will continue shortly.",
            platform=self.platform,
            retry_after=self.config.poll_interval * 5,
        )

    def _permalink(self, body: dict[str, Any], object_id: str) -> str:
        www = self.config.host("facebook_www")
        return _remote({"id": object_id, **body}, www).permalink or f"{www}/{object_id}"

    # --- reading back ------------------------------------------------------------

    def read_back(self, account: Account, platform_id: str) -> RemotePost | None:
        fields = VIDEO_FIELDS if _is_video(platform_id) else POST_FIELDS
        body = self.graph.call_if_exists(
            "GET", f"/{platform_id}", account.access_token, params={"fields": fields}
        )
        return None if body is None else _remote(body, self.config.host("facebook_www"))

    def find_recent(self, account: Account, text: str, *, since: datetime) -> RemotePost | None:
        prepared = self.prepare_text(text)
        params = {"fields": POST_FIELDS, "since": int(since.timestamp()), "limit": 50}
        for row in self.graph.rows(f"/{account.external_id}/posts", account.access_token, params):
            created = parse_time(row.get("created_time"))
            if text_matches(row.get("message", ""), text, prepared) and (
                created is None or created >= since
            ):
                return _remote(row, self.config.host("facebook_www"))
        # A video we published is known by its video id, which the Page's videos list.
        params = {"fields": VIDEO_FIELDS, "since": int(since.timestamp()), "limit": 50}
        for row in self.graph.rows(f"/{account.external_id}/videos", account.access_token, params):
            created = parse_time(row.get("created_time"))
            if text_matches(row.get("description", ""), text, prepared) and (
                created is None or created >= since
            ):
                return _remote(row, self.config.host("facebook_www"))
        return None

    def delete(self, account: Account, platform_id: str) -> None:
        # Already gone is what we wanted.
        self.graph.call_if_exists("DELETE", f"/{platform_id}", account.access_token)

    def metrics(self, account: Account, platform_id: str) -> Metrics:
        token = account.access_token
        if _is_video(platform_id):
            return self._video_metrics(token, platform_id)
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

    def _video_metrics(self, token: str, video_id: str) -> Metrics:
        insights = self.graph.call(
            "GET", f"/{video_id}/video_insights", token, params={"metric": VIDEO_INSIGHTS}
        )
        counts = self.graph.call(
            "GET",
            f"/{video_id}",
            token,
            params={"fields": "likes.summary(true),comments.summary(true)"},
        )
        values = insight_values(insights)

        def total(edge: str) -> int | None:
            return _maybe_int(((counts.get(edge) or {}).get("summary") or {}).get("total_count"))

        return Metrics(
            reach=_maybe_int(values.get("total_video_views_unique")),
            impressions=_maybe_int(values.get("total_video_views")),
            likes=total("likes"),
            comments=total("comments"),
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

    # --- engagement ------------------------------------------------------------------

    def fetch_comments(
        self, account: Account, post_ids: list[str], *, cursor: str = ""
    ) -> Conversations:
        token = account.access_token
        first, after = engagement.resume_point(cursor)
        items: list[Conversation] = []
        pages = 0
        for index in range(first, len(post_ids)):
            post_id = post_ids[index]
            params: dict[str, Any] = {
                "fields": COMMENT_FIELDS,
                "filter": "stream",
                "order": "chronological",
                "limit": 100,
            }
            if index == first and after:
                params["after"] = after
            while True:
                if pages >= engagement.FETCH_PAGES:
                    resume = engagement.resume_cursor(index, params.get("after", ""))
                    return Conversations(tuple(items), resume, complete=False)
                pages += 1
                body = self.graph.call_if_exists(
                    "GET", f"/{post_id}/comments", token, params=params
                )
                if body is None:
                    break  # the post is gone, and its comments with it
                items += [_comment(row, account, post_id) for row in body.get("data") or []]
                paging = body.get("paging") or {}
                next_after = (paging.get("cursors") or {}).get("after")
                if not paging.get("next") or not next_after:
                    break
                params["after"] = next_after
        # A resumed fetch saw only the rest: absent comments prove nothing.
        return Conversations(tuple(items), "", complete=not cursor)

    def fetch_mentions(self, account: Account, *, cursor: str = "") -> Conversations:
        seen = engagement.SeenSince(cursor)
        params: dict[str, Any] = {"fields": TAGGED_FIELDS, "limit": 100}
        if seen.epoch is not None:
            params["since"] = seen.epoch
        items = []
        for row in self.graph.rows(f"/{account.external_id}/tagged", account.access_token, params):
            created = parse_time(row.get("created_time"))
            if seen.older(created):
                break  # newest first: the rest was seen before
            if not seen.is_new(str(row["id"]), created):
                continue
            seen.saw(str(row["id"]), created)
            author = row.get("from") or {}
            items.append(
                Conversation(
                    kind="mention",
                    external_id=str(row["id"]),
                    text=row.get("message", ""),
                    author_name=str(author.get("name", "")),
                    author_id=str(author.get("id", "")),
                    created_at=created,
                    post_id=str(row["id"]),
                    permalink=str(row.get("permalink_url") or ""),
                )
            )
        return engagement.mentions(items, seen)

    def fetch_reviews(self, account: Account, *, cursor: str = "") -> Conversations:
        return engagement.NOTHING  # Pages' recommendations are not read here

    def reply(self, account: Account, item: Conversation, text: str) -> SentReply:
        body = self.graph.call(
            "POST",
            f"/{_thread(item)}/comments",
            account.access_token,
            create=True,
            data={"message": text},
        )
        return SentReply(self.graph.new_id(body, create=True))

    def find_reply(self, account: Account, item: Conversation, text: str) -> SentReply | None:
        params = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "reverse_chronological",  # ours is most likely among the newest
            "limit": 100,
        }
        try:
            rows = list(self.graph.rows(f"/{_thread(item)}/comments", account.access_token, params))
        except ContentRejected as error:
            if error.platform_code == "100/33":
                return None  # the thread is gone, and any reply with it
            raise
        for row in rows:
            mine = (row.get("from") or {}).get("id") == account.external_id
            if mine and text_matches(row.get("message", ""), text, text):
                return SentReply(str(row["id"]), str(row.get("permalink_url") or ""))
        return None

    def delete_reply(self, account: Account, item: Conversation, reply_id: str) -> None:
        self.graph.call_if_exists("DELETE", f"/{reply_id}", account.access_token)

    def hide(self, account: Account, item: Conversation, hidden: bool) -> None:
        if item.kind != "comment":
            raise engagement.cannot(
                self.platform,
                "Facebook lets a Page hide comments on its own posts only; this post is "
                "someone else's.",
            )
        self.graph.call(
            "POST",
            f"/{item.external_id}",
            account.access_token,
            data={"is_hidden": "true" if hidden else "false"},
        )

    def delete_comment(self, account: Account, item: Conversation) -> None:
        if item.kind != "comment":
            raise engagement.cannot(
                self.platform,
                "Facebook lets a Page delete comments on its own posts only; ask the author "
                "or report the post on Facebook.",
            )
        # Already gone is what we wanted.
        self.graph.call_if_exists("DELETE", f"/{item.external_id}", account.access_token)


def _thread(item: Conversation) -> str:
    """Where a reply to this item goes: the top comment of its thread, or the post that
    tagged the Page."""
    if item.kind == "mention":
        return item.post_id or item.external_id
    return item.parent_id or item.external_id


def _comment(row: dict[str, Any], account: Account, post_id: str) -> Conversation:
    author = row.get("from") or {}
    return Conversation(
        kind="comment",
        external_id=str(row["id"]),
        text=row.get("message", ""),
        author_name=str(author.get("name", "")),
        author_id=str(author.get("id", "")),
        created_at=parse_time(row.get("created_time")),
        post_id=post_id,
        parent_id=(row.get("parent") or {}).get("id"),
        permalink=str(row.get("permalink_url") or ""),
        from_us=str(author.get("id", "")) == account.external_id,
        hidden=bool(row.get("is_hidden")),
    )


class _SessionRefused(Exception):
    """Facebook refused the upload session itself (unknown or expired)."""

    def __init__(self, error: PlatformError) -> None:
        super().__init__(error.message)
        self.error = error


def _offset(value: Any) -> int:
    """A byte offset as Facebook writes it (a string of digits), or -1."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _is_video(platform_id: str) -> bool:
    """Whether a platform id we stored names a video: posts are "{page}_{post}", and
    publish answers photos by their post id, so a bare number is a video id."""
    return "_" not in platform_id


def _remote(row: dict[str, Any], www: str) -> RemotePost:
    link = str(row.get("permalink_url") or "")
    return RemotePost(
        platform_id=str(row["id"]),
        # A post's text is its message, a video's its description.
        text=row.get("message", row.get("description", "")),
        created_at=parse_time(row.get("created_time")),
        # Video nodes answer a path ("/{page}/videos/{id}/"), posts a full URL.
        permalink=www + link if link.startswith("/") else link,
    )


def _maybe_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None
