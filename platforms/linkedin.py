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
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

import requests

from platforms import text as texts
from platforms import video_rules
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
    MediaItem,
    Metrics,
    PublishRequest,
    PublishResult,
    RemotePost,
    Target,
    TokenSet,
)
from platforms.errors import (
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


class LinkedInClient:
    platform = "linkedin"
    can_delete = True
    has_account_metrics = True

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
