"""LinkedIn organization pages through the versioned REST API.

A video goes up through the Videos API (every call with the LinkedIn-Version
and X-Restli-Protocol-Version headers), one video per post:
- POST /rest/videos?action=initializeUpload {"initializeUploadRequest":
  {"owner": org urn, "fileSizeBytes", "uploadCaptions": false,
  "uploadThumbnail": false}} -> {"value": {"video": "urn:li:video:...",
  "uploadInstructions": [{"uploadUrl", "firstByte", "lastByte"}],
  "uploadToken", "uploadUrlsExpireAt" (epoch ms)}}. Parts are 4 MB
  (4,194,304 bytes), the last one shorter.
- PUT each byte range to its uploadUrl (application/octet-stream); the answer's
  ETag header names the part.
- POST /rest/videos?action=finalizeUpload {"finalizeUploadRequest": {"video",
  "uploadToken", "uploadedPartIds": [the ETags, in part order]}}.
- GET /rest/videos/{urn} -> status WAITING_UPLOAD, PROCESSING, AVAILABLE or
  PROCESSING_FAILED (processingFailureReason says why). A post may use the video
  once AVAILABLE: content {"media": {"id": video urn, "title"}}.
- Limits: MP4, 3 seconds to 30 minutes, 75 KB to 500 MB, aspect ratio between
  1:2.4 and 2.4:1.

Engagement (EngagementClient; r_organization_social to read, w_organization_social to
comment, rw_organization_admin for notifications), all with the versioned headers:
- Comments: GET /rest/socialActions/{post URN}/comments?start=&count= -> {elements,
  paging: {start, count, total}}, first-level comments only, oldest first; each
  {actor, commentUrn "urn:li:comment:({post},{id})", id, created {time},
  lastModified {time} (epoch ms: an edit moves it), message {text, attributes},
  object, parentComment?, commentsSummary {totalFirstLevelComments}}. The replies
  under one are GET /rest/socialActions/{comment URN}/comments. No names: the actor
  is a person or organization URN. Comments carry plain text, not little text.
- Reply: POST /rest/socialActions/{comment URN}/comments {actor: the organization,
  object: the post, message {text}, parentComment: that comment} -> 201 with the comment
  (commentUrn) and x-restli-id; on a post, the same without parentComment. Threads
  are one level deep. Delete: DELETE /rest/socialActions/{post or parent URN}/comments
  /{id}?actor={organization} -> 204. LinkedIn has no hiding (can_hide False).
- Mentions: the Organization Social Action Notifications finder, GET
  /rest/organizationalEntityNotifications?q=criteria&organizationalEntity={org}
  &actions=List(SHARE_MENTION,COMMENT_MENTION)&start=&count= -> {elements: [{action,
  organizationalEntity, sourcePost, generatedActivity, lastModifiedAt}]}, kept 60
  days. COMMENT_MENTION is not in every copy of the documentation (unconfirmed). The
  text is read after: a SHARE_MENTION's post with GET /rest/posts/{sourcePost} (its
  commentary is little text, the mention a "@[Name](urn)" template), a
  COMMENT_MENTION's comment with GET /rest/socialActions/{sourcePost}/comments/{id}.
  We page through what is kept and keep what is newer than the cursor, rather than
  send a timeRange whose end would be our clock, not LinkedIn's.
- Limits: daily per app and per member, unpublished, 429 when used up; a comment is
  at most 1,250 characters (unconfirmed).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

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
    send_idempotent,
    text_matches,
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
from platforms.oauth import code_grant, refresh_grant

SCOPES = ("w_organization_social", "r_organization_social", "rw_organization_admin")
EXISTING_URN = re.compile(r"urn:li:(?:share|ugcPost):\d+")


# Shares per organizationalEntityShareStatistics call.
SHARE_BATCH = 20
# LinkedIn's smallest video file (the rest of its limits are in video_rules).
MIN_VIDEO_BYTES = 75 * 1024
# A saved upload is resumed only while its upload URLs last this much longer;
# if LinkedIn gave no expiry, only this long after it began (unconfirmed).
VIDEO_MARGIN = timedelta(minutes=30)
UPLOAD_URLS_LAST = timedelta(hours=1)
# The video's title in the post: the first line of the text, this long at most.
VIDEO_TITLE_CHARS = 100


# Mentions asked of the notifications finder, and the comments we read per page.
MENTION_ACTIONS = ("SHARE_MENTION", "COMMENT_MENTION")
COMMENTS_PER_PAGE = 100
COMMENT_URN = re.compile(r"urn:li:comment:\((.+),(\d+)\)")


class LinkedInClient:
    platform = "linkedin"
    can_delete = True
    has_account_metrics = True
    conversation_kinds: tuple[str, ...] = ("comment", "mention")
    can_hide = False
    can_delete_comments = True

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.http = Transport("linkedin", "LinkedIn", config)
        self.api = config.host("linkedin_api")
        self.token_url = f"{config.host('linkedin_www')}/oauth/v2/accessToken"

    def _call(self, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
        headers = {
            # Every /rest call names the monthly API version; a retired one answers 426.
            "LinkedIn-Version": self.config.linkedin_version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        return self.http.call(
            method, self.api + path, token, on_error=self._error, headers=headers, **kwargs
        )

    # --- publishing ------------------------------------------------------------

    def publish(
        self,
        account: Account,
        request: PublishRequest,
        *,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> PublishResult:
        texts.require_publishable("linkedin", request.text, len(request.media))
        org, token = account.external_id, account.access_token
        if any(item.is_video for item in request.media):
            images: list[str] = []
            video = self._upload_video(account, request, on_progress)
        else:
            images = self._upload_images(account, request, on_progress)
            video = ""
        body: dict[str, Any] = {
            "author": org,
            "commentary": self.prepare_text(request.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        alts = [item.alt_text for item in request.media]
        if video:
            body["content"] = {"media": {"id": video, "title": _video_title(request.text)}}
        elif len(images) == 1:
            body["content"] = {"media": {"id": images[0], "altText": alts[0]}}
        elif images:
            body["content"] = {
                "multiImage": {
                    "images": [{"id": i, "altText": a} for i, a in zip(images, alts, strict=True)]
                }
            }
        elif request.link:
            body["content"] = {"article": {"source": request.link, "title": request.link}}
        resp = self._call("POST", "/rest/posts", token, create=True, json=body)
        urn = resp.headers.get("x-restli-id") or resp.headers.get("X-RestLi-Id")
        if not urn:
            raise AmbiguousOutcome(
                "LinkedIn accepted the post but did not say which post it created.",
                platform=self.platform,
            )
        return PublishResult(urn, self._permalink(urn), datetime.now(UTC))

    def _upload_images(
        self,
        account: Account,
        request: PublishRequest,
        on_progress: Callable[[dict[str, Any]], None] | None,
    ) -> list[str]:
        """Upload each image once; the URNs are saved so a retry reuses them."""
        images = list(request.state.get("images") or [])[: len(request.media)]
        for item in request.media[len(images) :]:
            images.append(self._upload_image(account, item))
            if on_progress:
                on_progress({**request.state, "images": list(images)})
        for urn in images:
            self._wait_available(account, urn)
        return images

    def _upload_image(self, account: Account, item: MediaItem) -> str:
        init = self._call(
            "POST",
            "/rest/images?action=initializeUpload",
            account.access_token,
            json={"initializeUploadRequest": {"owner": account.external_id}},
        )
        value = (json_body(init) or {}).get("value") or {}
        data = item.data if item.data is not None else self.http.download(item.url)
        self.http.call(
            "PUT",
            value["uploadUrl"],
            account.access_token,
            on_error=self._error,
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        return str(value["image"])

    def _wait_available(self, account: Account, urn: str) -> None:
        for attempt in range(max(1, self.config.poll_attempts)):
            resp = self._call("GET", f"/rest/images/{quote(urn, safe='')}", account.access_token)
            status = (json_body(resp) or {}).get("status")
            if status == "AVAILABLE":
                return
            if status in ("PROCESSING_FAILED", "FAILED"):
                raise ContentRejected(
                    "LinkedIn could not process one of the photos; try a different photo.",
                    platform=self.platform,
                    platform_code=status,
                )
            if attempt + 1 < self.config.poll_attempts:
                time.sleep(self.config.poll_interval)
        raise TransientError("LinkedIn is still processing the photos.", platform=self.platform)

    # --- video ---------------------------------------------------------------

    def _upload_video(
        self,
        account: Account,
        request: PublishRequest,
        on_progress: Callable[[dict[str, Any]], None] | None,
    ) -> str:
        """Upload the post's one video part by part, or finish an upload begun earlier.

        Each step LinkedIn acknowledges is saved at once (the video_* keys): a
        worker killed halfway resumes with the same video URN and the parts it
        already has ETags for, so no second video and no part sent twice. Saved
        upload URLs about to expire are dropped and the video uploaded again;
        nothing was posted with it, so that is safe.
        """
        item = _the_video(request.media)
        _check_video(item)
        token = account.access_token
        progress = {k: v for k, v in request.state.items() if not k.startswith("video_")}
        progress.update(_resumable(request.state, item))

        def save(**changes: Any) -> None:
            progress.update(changes)
            if on_progress:
                on_progress(dict(progress))

        urn = str(progress.get("video_urn") or "")
        if not urn:
            resp = self._call(
                "POST",
                "/rest/videos?action=initializeUpload",
                token,
                json={
                    "initializeUploadRequest": {
                        "owner": account.external_id,
                        "fileSizeBytes": item.size,
                        "uploadCaptions": False,
                        "uploadThumbnail": False,
                    }
                },
            )
            value = (json_body(resp) or {}).get("value") or {}
            parts = [
                [str(p["uploadUrl"]), int(p["firstByte"]), int(p["lastByte"])]
                for p in value.get("uploadInstructions") or []
                if isinstance(p, dict) and {"uploadUrl", "firstByte", "lastByte"} <= p.keys()
            ]
            urn = str(value.get("video") or "")
            if not urn or not parts:
                # Nothing is posted yet: start again rather than guess.
                raise no_clear_answer(
                    "LinkedIn",
                    "its answer did not include the upload",
                    create=False,
                    platform=self.platform,
                )
            now = datetime.now(UTC)
            expires = value.get("uploadUrlsExpireAt")  # epoch milliseconds
            save(
                video_urn=urn,
                video_bytes=item.size,
                video_upload_token=str(value.get("uploadToken") or ""),
                video_parts=parts,
                video_etags=[],
                video_started_at=now.isoformat(),
                video_urls_expire_at=(
                    datetime.fromtimestamp(expires / 1000, UTC)
                    if isinstance(expires, int | float)
                    else now + UPLOAD_URLS_LAST
                ).isoformat(),
            )
        if not progress.get("video_finalized"):
            self._put_parts(account, item, progress, save)
            self._call(
                "POST",
                "/rest/videos?action=finalizeUpload",
                token,
                json={
                    "finalizeUploadRequest": {
                        "video": urn,
                        "uploadToken": progress.get("video_upload_token") or "",
                        "uploadedPartIds": list(progress["video_etags"]),
                    }
                },
            )
            save(video_finalized=True)
        if not progress.get("video_ready"):
            self._await_video(account, urn)
            save(video_ready=True)
        return urn

    def _put_parts(
        self,
        account: Account,
        item: MediaItem,
        progress: dict[str, Any],
        save: Callable[..., None],
    ) -> None:
        """PUT the byte ranges LinkedIn has not acknowledged yet, reading one at a time."""
        assert item.open is not None  # _the_video checked
        etags = list(progress.get("video_etags") or [])
        parts = progress["video_parts"]
        with item.open() as file:
            for url, first, last in parts[len(etags) :]:
                file.seek(first)
                data = file.read(last - first + 1)
                # A part put again replaces itself, so a lost answer is re-sent here.
                resp = send_idempotent(
                    partial(
                        self.http.call,
                        "PUT",
                        url,
                        account.access_token,
                        on_error=self._error,
                        data=data,
                        headers={"Content-Type": "application/octet-stream"},
                    )
                )
                etag = resp.headers.get("ETag")
                if not etag:
                    # finalizeUpload needs every part's ETag; putting it again is harmless.
                    raise no_clear_answer(
                        "LinkedIn",
                        "its answer did not name the part it stored",
                        create=False,
                        platform=self.platform,
                    )
                etags.append(etag)
                save(video_etags=list(etags))

    def _await_video(self, account: Account, urn: str) -> None:
        """Ask for the video's status until AVAILABLE, at most poll_attempts times.

        Still processing after the last: a TransientError, and the retry resumes
        here, asking again.
        """
        attempts = max(1, self.config.poll_attempts)
        for attempt in range(attempts):
            resp = self._call("GET", f"/rest/videos/{quote(urn, safe='')}", account.access_token)
            body = json_body(resp) or {}
            status = body.get("status")
            if status == "AVAILABLE":
                return
            if status == "PROCESSING_FAILED":
                reason = body.get("processingFailureReason")
                raise ContentRejected(
                    f"LinkedIn could not process the video.{said('LinkedIn', reason)}",
                    platform=self.platform,
                    platform_code=status,
                )
            if attempt + 1 < attempts:
                time.sleep(self.config.poll_interval)
        raise TransientError(
            "LinkedIn is still processing the video; trying again shortly.",
            platform=self.platform,
            retry_after=self.config.poll_interval * attempts,
        )

    def _permalink(self, urn: str) -> str:
        return f"{self.config.host('linkedin_www')}/feed/update/{urn}/"

    # --- reading back ------------------------------------------------------------

    def read_back(self, account: Account, platform_id: str) -> RemotePost | None:
        resp = self._call(
            "GET",
            f"/rest/posts/{quote(platform_id, safe='')}",
            account.access_token,
            allow_404=True,
        )
        if resp.status_code == 404:
            return None
        return self._remote(json_body(resp) or {})

    def find_recent(self, account: Account, text: str, *, since: datetime) -> RemotePost | None:
        prepared = self.prepare_text(text)
        count = 50
        for page in range(MAX_PAGES):
            query = urlencode(
                {
                    "author": account.external_id,
                    "q": "author",
                    "count": count,
                    "start": page * count,
                    "sortBy": "LAST_MODIFIED",
                }
            )
            resp = self._call("GET", f"/rest/posts?{query}", account.access_token)
            rows = (json_body(resp) or {}).get("elements") or []
            for row in rows:
                created = parse_time(row.get("createdAt"))
                if created is not None and created < since:
                    continue  # sorted by last modification, not creation: keep looking
                if text_matches(row.get("commentary", ""), text, prepared):
                    return self._remote(row)
            modified = [parse_time(r.get("lastModifiedAt")) for r in rows]
            if len(rows) < count or all(m is not None and m < since for m in modified):
                return None  # the end, or only posts untouched since before `since`
        return None

    def _remote(self, row: dict[str, Any]) -> RemotePost:
        urn = str(row.get("id", ""))
        return RemotePost(
            urn, row.get("commentary", ""), parse_time(row.get("createdAt")), self._permalink(urn)
        )

    def delete(self, account: Account, platform_id: str) -> None:
        # 204 also when the post is already gone.
        self._call("DELETE", f"/rest/posts/{quote(platform_id, safe='')}", account.access_token)

    def metrics(self, account: Account, platform_id: str) -> Metrics:
        return self.metrics_many(account, [platform_id]).get(platform_id, Metrics())

    def metrics_many(self, account: Account, platform_ids: list[str]) -> dict[str, Metrics]:
        """Shares and UGC posts in lists of up to SHARE_BATCH per call."""
        found: dict[str, Metrics] = {}
        for kind in ("shares", "ugcPosts"):
            ids = [
                i for i in platform_ids if (kind == "ugcPosts") == i.startswith("urn:li:ugcPost:")
            ]
            for start in range(0, len(ids), SHARE_BATCH):
                found.update(self._statistics(account, kind, ids[start : start + SHARE_BATCH]))
        return found

    def _statistics(self, account: Account, kind: str, urns: list[str]) -> dict[str, Metrics]:
        # Rest.li list syntax: the URNs inside List(...) are encoded, the list is not.
        listed = ",".join(quote(urn, safe="") for urn in urns)
        query = (
            "q=organizationalEntity&organizationalEntity="
            f"{quote(account.external_id, safe='')}&{kind}=List({listed})"
        )
        resp = self._call(
            "GET", f"/rest/organizationalEntityShareStatistics?{query}", account.access_token
        )
        found: dict[str, Metrics] = {}
        for element in (json_body(resp) or {}).get("elements") or []:
            urn = element.get("share") or element.get("ugcPost")
            if urn not in urns:
                continue
            stats = element.get("totalShareStatistics") or {}
            found[urn] = Metrics(
                reach=stats.get("uniqueImpressionsCount"),
                impressions=stats.get("impressionCount"),
                likes=stats.get("likeCount"),
                comments=stats.get("commentCount"),
                shares=stats.get("shareCount"),
                clicks=stats.get("clickCount"),
            )
        return found

    def account_metrics(self, account: Account) -> AccountMetrics:
        # The organization's followers; LinkedIn gives no daily reach of a page.
        resp = self._call(
            "GET",
            f"/rest/networkSizes/{quote(account.external_id, safe='')}"
            "?edgeType=COMPANY_FOLLOWED_BY_MEMBER",
            account.access_token,
        )
        size = (json_body(resp) or {}).get("firstDegreeSize")
        return AccountMetrics(followers=size if isinstance(size, int) else None)

    # --- connecting --------------------------------------------------------------

    def refresh(self, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            raise ReconnectNeeded(
                "LinkedIn gives this app no refresh token; reconnect the account before the "
                "connection expires.",
                platform=self.platform,
            )
        # Refreshing does not extend the refresh token's own life.
        return refresh_grant(self.http, self.token_url, tokens)

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str | None) -> str:
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": " ".join(SCOPES),
        }
        if code_challenge:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        return f"{self.config.host('linkedin_www')}/oauth/v2/authorization?{urlencode(params)}"

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        return code_grant(
            self.http,
            self.token_url,
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
        )

    def list_targets(self, tokens: TokenSet) -> list[Target]:
        query = urlencode({"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"})
        resp = self._call("GET", f"/v2/organizationalEntityAcls?{query}", tokens.access_token)
        targets = []
        for row in (json_body(resp) or {}).get("elements") or []:
            urn = row.get("organizationalTarget", "")
            org_id = urn.rsplit(":", 1)[-1]
            try:
                org = json_body(
                    self._call("GET", f"/rest/organizations/{org_id}", tokens.access_token)
                )
                name = (org or {}).get("localizedName") or urn
            except PlatformError:
                name = urn  # the name is a nicety; the ACL is what matters
            targets.append(Target(urn, name, None))
        return targets

    # --- text ----------------------------------------------------------------------

    def prepare_text(self, text: str) -> str:
        return texts.linkedin_escape(text)

    def check_text(self, text: str) -> list[str]:
        return texts.check_text("linkedin", text)

    # --- engagement ------------------------------------------------------------------

    def fetch_comments(
        self, account: Account, post_ids: list[str], *, cursor: str = ""
    ) -> Conversations:
        first, resume_at = engagement.resume_point(cursor)
        items: list[Conversation] = []
        pages = 0
        for index in range(first, len(post_ids)):
            post = post_ids[index]
            start = int(resume_at) if index == first and resume_at.isdigit() else 0
            while True:
                if pages >= engagement.FETCH_PAGES:
                    resume = engagement.resume_cursor(index, str(start))
                    return Conversations(tuple(items), resume, complete=False)
                pages += 1
                rows, more = self._comment_page(account, post, start)
                if rows is None:
                    break  # the post is gone, and its comments with it
                for row in rows:
                    top = _li_comment(row, account, post, self._comment_link(post, row))
                    items.append(top)
                    summary = row.get("commentsSummary") or {}
                    if summary.get("totalFirstLevelComments") or summary.get(
                        "aggregatedTotalComments"
                    ):
                        items += self._thread(account, post, top.external_id)
                if not more:
                    break
                start += COMMENTS_PER_PAGE
        # A resumed fetch saw only the rest: absent comments prove nothing.
        return Conversations(tuple(items), "", complete=not cursor)

    def _comment_page(
        self, account: Account, target: str, start: int
    ) -> tuple[list[dict[str, Any]] | None, bool]:
        """One page of the comments under a post or a comment: (rows or None when the
        target is gone, whether more follow)."""
        query = urlencode({"start": start, "count": COMMENTS_PER_PAGE})
        resp = self._call(
            "GET",
            f"/rest/socialActions/{quote(target, safe='')}/comments?{query}",
            account.access_token,
            allow_404=True,
        )
        if resp.status_code == 404:
            return None, False
        body = json_body(resp) or {}
        rows = list(body.get("elements") or [])
        total = (body.get("paging") or {}).get("total")
        more = len(rows) >= COMMENTS_PER_PAGE and (
            not isinstance(total, int) or start + len(rows) < total
        )
        return rows, more

    def _thread(self, account: Account, post: str, top: str) -> list[Conversation]:
        """Every reply under one comment."""
        found: list[Conversation] = []
        for page in range(MAX_PAGES):
            rows, more = self._comment_page(account, top, page * COMMENTS_PER_PAGE)
            for row in rows or []:
                reply = _li_comment(row, account, post, self._comment_link(post, row))
                found.append(replace(reply, parent_id=reply.parent_id or top))
            if not more:
                break
        return found

    def _comment_link(self, post: str, row: dict[str, Any]) -> str:
        urn = str(row.get("commentUrn") or row.get("$URN") or "")
        return f"{self._permalink(post)}?commentUrn={quote(urn, safe='')}" if urn else ""

    def fetch_mentions(self, account: Account, *, cursor: str = "") -> Conversations:
        seen = engagement.SeenSince(cursor)
        org = account.external_id
        items: list[Conversation] = []
        for page in range(MAX_PAGES):
            # Rest.li list and record syntax: the URN is encoded, List(...) is not.
            query = (
                f"q=criteria&organizationalEntity={quote(org, safe='')}"
                f"&actions=List({','.join(MENTION_ACTIONS)})"
                f"&start={page * COMMENTS_PER_PAGE}&count={COMMENTS_PER_PAGE}"
            )
            resp = self._call(
                "GET", f"/rest/organizationalEntityNotifications?{query}", account.access_token
            )
            rows = (json_body(resp) or {}).get("elements") or []
            for row in rows:
                when = parse_time(row.get("lastModifiedAt"))
                activity = str(row.get("generatedActivity") or row.get("sourcePost") or "")
                if row.get("action") not in MENTION_ACTIONS or not activity:
                    continue
                if not seen.is_new(activity, when, scale=1000):
                    continue
                seen.saw(activity, when, scale=1000)
                mention = self._mention(account, row, activity, when)
                if mention is not None:
                    items.append(mention)
            if len(rows) < COMMENTS_PER_PAGE:
                break
        items.sort(key=lambda m: m.created_at or datetime.min.replace(tzinfo=UTC))
        return engagement.mentions(items, seen)

    def _mention(
        self, account: Account, row: dict[str, Any], activity: str, when: datetime | None
    ) -> Conversation | None:
        """The mention's text and author, read from the post or comment it names; None
        when that is gone (deleted since)."""
        token = account.access_token
        source = str(row.get("sourcePost") or activity)
        split = _split_comment(activity)
        if row.get("action") == "COMMENT_MENTION" and split:
            resp = self._call(
                "GET",
                f"/rest/socialActions/{quote(source, safe='')}/comments/{split[1]}",
                token,
                allow_404=True,
            )
            if resp.status_code == 404:
                return None
            comment = json_body(resp) or {}
            found = _li_comment(comment, account, source, self._comment_link(source, comment))
            return replace(found, kind="mention", parent_id=None)
        resp = self._call("GET", f"/rest/posts/{quote(source, safe='')}", token, allow_404=True)
        if resp.status_code == 404:
            return None
        post = json_body(resp) or {}
        return Conversation(
            kind="mention",
            external_id=source,
            text=little_text(str(post.get("commentary", ""))),
            author_name="",  # LinkedIn names the author by URN only
            author_id=str(post.get("author", "")),
            created_at=parse_time(post.get("createdAt")) or when,
            updated_at=parse_time(post.get("lastModifiedAt")),
            post_id=source,
            permalink=self._permalink(source),
        )

    def fetch_reviews(self, account: Account, *, cursor: str = "") -> Conversations:
        return engagement.NOTHING  # LinkedIn pages have no reviews

    def _reply_target(self, item: Conversation) -> tuple[str, str, str | None]:
        """(the URN replied under, the post, the parentComment) for a reply to item."""
        if item.kind == "mention" and item.external_id == item.post_id:
            return item.external_id, item.external_id, None
        top = item.parent_id or item.external_id
        split = _split_comment(top)
        return top, item.post_id or (split[0] if split else top), top

    def reply(self, account: Account, item: Conversation, text: str) -> SentReply:
        target, post, parent = self._reply_target(item)
        body: dict[str, Any] = {
            "actor": account.external_id,
            "object": post,
            "message": {"text": text},
        }
        if parent:
            body["parentComment"] = parent
        resp = self._call(
            "POST",
            f"/rest/socialActions/{quote(target, safe='')}/comments",
            account.access_token,
            create=True,
            json=body,
        )
        answer = json_body(resp) or {}
        urn = str(answer.get("commentUrn") or answer.get("$URN") or "")
        header = resp.headers.get("x-restli-id") or ""
        if not urn and header:
            urn = (
                header
                if header.startswith("urn:li:comment:")
                else f"urn:li:comment:({post},{header})"
            )
        if not urn:
            raise no_clear_answer("LinkedIn", NO_ID, create=True, platform=self.platform)
        return SentReply(urn, f"{self._permalink(post)}?commentUrn={quote(urn, safe='')}")

    def find_reply(self, account: Account, item: Conversation, text: str) -> SentReply | None:
        target, post, _ = self._reply_target(item)
        for page in range(MAX_PAGES):
            rows, more = self._comment_page(account, target, page * COMMENTS_PER_PAGE)
            for row in rows or []:
                found = _li_comment(row, account, post, self._comment_link(post, row))
                if found.from_us and text_matches(found.text, text, text):
                    return SentReply(found.external_id, found.permalink)
            if not more:
                break
        return None

    def delete_reply(self, account: Account, item: Conversation, reply_id: str) -> None:
        target, _, _ = self._reply_target(item)
        self._delete_comment(account, target, reply_id)

    def hide(self, account: Account, item: Conversation, hidden: bool) -> None:
        raise engagement.cannot(
            self.platform,
            "LinkedIn does not let a page hide comments; delete it, or leave it.",
        )

    def delete_comment(self, account: Account, item: Conversation) -> None:
        if item.kind != "comment":
            raise engagement.cannot(
                self.platform,
                "LinkedIn lets a page delete comments on its own posts only; report it on "
                "LinkedIn instead.",
            )
        self._delete_comment(account, item.parent_id or item.post_id or "", item.external_id)

    def _delete_comment(self, account: Account, target: str, urn: str) -> None:
        split = _split_comment(urn)
        comment_id = split[1] if split else urn
        actor = quote(account.external_id, safe="")
        # 404: already gone, which is what we wanted.
        self._call(
            "DELETE",
            f"/rest/socialActions/{quote(target, safe='')}/comments/{comment_id}?actor={actor}",
            account.access_token,
            allow_404=True,
        )

    # --- errors ----------------------------------------------------------------------

    def _error(self, resp: requests.Response, *, create: bool) -> PlatformError:
        body = json_body(resp)
        if not (
            isinstance(body, dict)
            and body.keys() & {"message", "status", "serviceErrorCode", "code"}
        ):
            return bare_status_error(resp, label="LinkedIn", platform=self.platform, create=create)
        body = body if isinstance(body, dict) else {}
        status = resp.status_code
        message = body.get("message") or resp.reason or f"HTTP {status}"
        inputs = ((body.get("errorDetails") or {}).get("inputErrors")) or []
        codes = {str(e.get("code")) for e in inputs if isinstance(e, dict)}
        code = body.get("code") or body.get("serviceErrorCode") or status
        quoted = said("LinkedIn", message)
        kw: dict[str, Any] = {"platform": self.platform, "platform_code": str(code)}
        if status == 426 or code in ("VERSION_MISSING", "NONEXISTENT_VERSION"):
            return ConfigurationError(
                f"LinkedIn no longer accepts API version {self.config.linkedin_version}; update "
                f"the LinkedIn API version setting.{quoted}",
                **kw,
            )
        if status == 401:
            return ReconnectNeeded(
                "The LinkedIn connection has expired or was revoked; reconnect the account."
                + quoted,
                **kw,
            )
        if status == 403:
            return ReconnectNeeded(
                f"LinkedIn says this connection may not do that; reconnect the account as a page "
                f"administrator.{quoted}",
                **kw,
            )
        if status == 429:
            return ThrottledError(
                f"LinkedIn's daily limit for this app or member is used up; trying again after "
                f"it resets at midnight UTC.{quoted}",
                retry_after=retry_after_header(resp) or _seconds_to_midnight_utc(),
                **kw,
            )
        if status >= 500:
            return no_clear_answer("LinkedIn", SERVER_ERROR, create=create, quoted=quoted, **kw)
        if "DUPLICATE_POST" in codes or "duplicate" in message.lower():
            match = EXISTING_URN.search(message)
            return DuplicateContent(
                f"LinkedIn says this post already exists.{quoted}",
                existing_id=match.group(0) if match else None,
                **kw,
            )
        return ContentRejected(f"LinkedIn refused the post.{quoted}", **kw)


def _li_comment(row: dict[str, Any], account: Account, post: str, link: str) -> Conversation:
    actor = str(row.get("actor") or (row.get("created") or {}).get("actor") or "")
    created = parse_time((row.get("created") or {}).get("time"))
    return Conversation(
        kind="comment",
        external_id=str(row.get("commentUrn") or row.get("$URN") or row.get("id") or ""),
        text=str((row.get("message") or {}).get("text", "")),
        author_name="",  # LinkedIn names the author by URN only
        author_id=actor,
        created_at=created,
        updated_at=parse_time((row.get("lastModified") or {}).get("time")) or created,
        post_id=post,
        parent_id=row.get("parentComment"),
        permalink=link,
        from_us=actor == account.external_id,
    )


def _split_comment(urn: str) -> tuple[str, str] | None:
    """(the post, the comment id) of "urn:li:comment:({post},{id})"."""
    match = COMMENT_URN.fullmatch(urn)
    return (match.group(1), match.group(2)) if match else None


_LITTLE = re.compile(
    r"@\[((?:\\.|[^\]\\])*)\]\(urn:li:[^)]+\)"  # a mention: @[Name](urn)
    r"|\{hashtag\|\\#\|((?:\\.|[^}\\])*)\}"  # a hashtag template
    r"|\\(.)",  # an escaped character
    re.DOTALL,
)


def little_text(commentary: str) -> str:
    """What a reader sees of a post's little-text commentary: mentions as the name,
    hashtags as #word, escapes dropped."""

    def plain(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return little_text(match.group(1))
        if match.group(2) is not None:
            return "#" + little_text(match.group(2))
        return match.group(3)

    return _LITTLE.sub(plain, commentary)


def _the_video(media: tuple[MediaItem, ...]) -> MediaItem:
    if len(media) != 1:
        raise ContentRejected(
            "LinkedIn takes a video alone: remove the other photos or videos from this post.",
            platform="linkedin",
        )
    item = media[0]
    if item.open is None:
        raise ValueError("a video MediaItem needs open(): videos are read from disk in parts")
    return item


def _check_video(item: MediaItem) -> None:
    """What LinkedIn would refuse after the whole upload, refused before it, by the table
    the editor uses (video_rules), so that the two never disagree."""
    problems = []
    if item.size < MIN_VIDEO_BYTES:
        problems.append("LinkedIn takes videos of at least 75 KB.")
    if item.duration and item.width and item.height:  # else LinkedIn itself will say
        problems += video_rules.check_video(
            "linkedin",
            duration=item.duration,
            width=item.width,
            height=item.height,
            size=item.size,
        )
    if problems:
        raise ContentRejected(" ".join(problems), platform="linkedin")


def _resumable(state: dict[str, Any], item: MediaItem) -> dict[str, Any]:
    """The saved video_* progress if it is for this file and still usable, else {}.

    Once finalized the upload URLs no longer matter: the video URN is LinkedIn's.
    """
    saved = {k: v for k, v in state.items() if k.startswith("video_")}
    if not saved.get("video_urn") or saved.get("video_bytes") != item.size:
        return {}
    if saved.get("video_finalized"):
        return saved
    expires = parse_time(saved.get("video_urls_expire_at"))
    if expires is None or datetime.now(UTC) >= expires - VIDEO_MARGIN:
        return {}
    return saved


def _video_title(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first[:VIDEO_TITLE_CHARS]


# LinkedIn's own error body has at least one of these; anything else came from
# something in front of it.
LINKEDIN_ERROR_KEYS = {"message", "status", "serviceErrorCode", "code"}


def _seconds_to_midnight_utc() -> float:
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60.0, (midnight - now).total_seconds())
