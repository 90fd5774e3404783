"""Google Business Profile local posts (v4), accounts and locations, and reviews.

Reviews (EngagementClient; the business.manage scope):
- List: GET /v4/accounts/{a}/locations/{l}/reviews?pageSize=50&pageToken= -> {reviews,
  averageRating, totalReviewCount, nextPageToken}. pageSize is at most 50. Each review:
  {name ".../reviews/{reviewId}", reviewId, reviewer {displayName, profilePhotoUrl,
  isAnonymous}, starRating "ONE".."FIVE" (STAR_RATING_UNSPECIFIED otherwise), comment
  (absent for stars alone), createTime, updateTime (moves when the reviewer edits,
  stars too), reviewReply? {comment, updateTime}}. A deleted review is simply absent.
  A review has no reviewer id: author_id is "".
- Reply: PUT /v4/{review name}/reply {comment} -> {comment, updateTime}: it creates or
  replaces the one owner reply (a second PUT never adds a second reply); read back in
  the review's reviewReply (GET /v4/{review name}). Delete: DELETE .../reply.
- The owner's reply comes back as its own item: kind "review", parent_id the review,
  from_us, external_id "{review name}/reply". No comments, mentions or hiding.
- Limits: 300 queries per minute per API (429 RESOURCE_EXHAUSTED); a reply is at most
  4,096 bytes (unconfirmed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from platforms import engagement
from platforms import text as texts
from platforms._http import (
    MAX_PAGES,
    Transport,
    bare_status_error,
    json_body,
    parse_time,
    retry_after_header,
    text_matches,
)
from platforms.base import (
    Account,
    AccountMetrics,
    ClientConfig,
    Conversation,
    Conversations,
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
    ContentRejected,
    PlatformError,
    ReconnectNeeded,
    ThrottledError,
    no_clear_answer,
    said,
)
from platforms.oauth import code_grant, refresh_grant

SCOPE = "https://www.googleapis.com/auth/business.manage"
# Quotas are per minute (300 queries/minute per API).
DEFAULT_THROTTLE = 60.0
LANGUAGE = "en"


# reportInsights takes at most this many local posts per call.
REPORT_BATCH = 100
# Reviews: Google's largest page, and its words for stars.
REVIEWS_PAGE = 50
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
PAGE_CURSOR = "page:"


class GoogleBusinessClient:
    platform = "google_business"
    can_delete = True
    # No followers, and the daily views come from an API this app is not granted.
    has_account_metrics = False
    conversation_kinds: tuple[str, ...] = ("review",)
    can_hide = False
    can_delete_comments = False

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.http = Transport("google_business", "Google", config)
        self.token_url = f"{config.host('google_oauth')}/token"

    def _call(self, method: str, url: str, token: str, **kwargs: Any) -> requests.Response:
        return self.http.call(method, url, token, on_error=self._error, **kwargs)

    def _v4(self, path: str) -> str:
        return f"{self.config.host('google_business')}/v4/{path}"

    # --- publishing ------------------------------------------------------------

    def publish(
        self,
        account: Account,
        request: PublishRequest,
        *,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> PublishResult:
        texts.require_publishable("google_business", request.text, len(request.media))
        if any(item.is_video for item in request.media):
            # Local posts take photos only (mediaFormat PHOTO); the caller sends
            # the video's cover photo instead.
            raise ContentRejected(
                "Google Business Profile posts cannot include a video; publish it there with "
                "a photo (the video's cover) instead.",
                platform=self.platform,
            )
        body: dict[str, Any] = {
            "languageCode": LANGUAGE,
            "summary": self.prepare_text(request.text),
            "topicType": "STANDARD",
        }
        if request.link:
            body["callToAction"] = {"actionType": "LEARN_MORE", "url": request.link}
        if request.media:
            # Google fetches the photo from its URL itself.
            body["media"] = [{"mediaFormat": "PHOTO", "sourceUrl": m.url} for m in request.media]
        resp = self._call(
            "POST",
            self._v4(f"{account.external_id}/localPosts"),
            account.access_token,
            create=True,
            json=body,
        )
        post = json_body(resp) or {}
        name = str(post.get("name") or "")
        if not name:
            raise AmbiguousOutcome(
                "Google accepted the post but did not name it.", platform=self.platform
            )
        if post.get("state") == "REJECTED":
            # Google answers 200 for a post that breaks its policy; it never shows.
            raise ContentRejected(
                "Google rejected the post under its content policy (for example phone numbers, "
                "prices or wording it does not allow in posts); edit it and publish again.",
                platform=self.platform,
                platform_code="REJECTED",
                existing_id=name,
            )
        return PublishResult(name, post.get("searchUrl", ""), parse_time(post.get("createTime")))

    # --- reading back ------------------------------------------------------------

    def read_back(self, account: Account, platform_id: str) -> RemotePost | None:
        resp = self._call("GET", self._v4(platform_id), account.access_token, allow_404=True)
        if resp.status_code == 404:
            return None
        return _remote(json_body(resp) or {})

    def find_recent(self, account: Account, text: str, *, since: datetime) -> RemotePost | None:
        prepared = self.prepare_text(text)
        params: dict[str, Any] = {"pageSize": 100}
        for _ in range(MAX_PAGES):
            resp = self._call(
                "GET",
                self._v4(f"{account.external_id}/localPosts"),
                account.access_token,
                params=params,
            )
            body = json_body(resp) or {}
            for row in body.get("localPosts") or []:
                created = parse_time(row.get("createTime"))
                if created is not None and created < since:
                    return None  # newest first: the rest is older still
                if row.get("state") != "REJECTED" and text_matches(
                    row.get("summary", ""), text, prepared
                ):
                    return _remote(row)
            if not body.get("nextPageToken"):
                return None
            params["pageToken"] = body["nextPageToken"]
        return None

    def delete(self, account: Account, platform_id: str) -> None:
        # 404: already gone, which is what we wanted.
        self._call("DELETE", self._v4(platform_id), account.access_token, allow_404=True)

    def metrics(self, account: Account, platform_id: str) -> Metrics:
        return self.metrics_many(account, [platform_id]).get(platform_id, Metrics())

    def metrics_many(self, account: Account, platform_ids: list[str]) -> dict[str, Metrics]:
        """Up to REPORT_BATCH local posts per call, as reportInsights allows."""
        found: dict[str, Metrics] = {}
        for start in range(0, len(platform_ids), REPORT_BATCH):
            found.update(self._report(account, platform_ids[start : start + REPORT_BATCH]))
        return found

    def _report(self, account: Account, names: list[str]) -> dict[str, Metrics]:
        now = datetime.now(UTC)
        body = {
            "localPostNames": names,
            "basicRequest": {
                "metricRequests": [{"metric": "ALL"}],
                "timeRange": {
                    "startTime": (now - timedelta(days=540)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "endTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            },
        }
        resp = self._call(
            "POST",
            self._v4(f"{account.external_id}/localPosts:reportInsights"),
            account.access_token,
            json=body,
        )
        found: dict[str, Metrics] = {}
        for post in (json_body(resp) or {}).get("localPostMetrics") or []:
            name = post.get("localPostName")
            if name not in names:
                continue
            values: dict[str, int] = {}
            for metric in post.get("metricValues") or []:
                value = (metric.get("totalValue") or {}).get("value")
                if value is not None:
                    values[metric.get("metric", "")] = int(value)
            found[name] = Metrics(
                impressions=values.get("LOCAL_POST_VIEWS_SEARCH"),
                clicks=values.get("LOCAL_POST_ACTIONS_CALL_TO_ACTION"),
            )
        return found

    def account_metrics(self, account: Account) -> AccountMetrics:
        # A Business Profile has no followers, and its daily views come from
        # another API this app is not granted: nothing to ask.
        return AccountMetrics()

    # --- connecting --------------------------------------------------------------

    def refresh(self, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            raise ReconnectNeeded(
                "The Google connection has no refresh token; reconnect it.", platform=self.platform
            )
        # invalid_grant (revoked, or unused for six months) comes back as ReconnectNeeded.
        return refresh_grant(self.http, self.token_url, tokens)

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str | None) -> str:
        params = {
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": SCOPE,
            # offline + consent: Google only returns a refresh token this way.
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
        }
        if code_challenge:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        return f"{self.config.host('google_www')}/o/oauth2/v2/auth?{urlencode(params)}"

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        return code_grant(
            self.http,
            self.token_url,
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
        )

    def list_targets(self, tokens: TokenSet) -> list[Target]:
        token = tokens.access_token
        targets = []
        for account in self._pages(
            f"{self.config.host('google_accounts')}/v1/accounts", token, "accounts", {}
        ):
            url = f"{self.config.host('google_info')}/v1/{account['name']}/locations"
            for location in self._pages(
                url, token, "locations", {"readMask": "name,title", "pageSize": 100}
            ):
                # Business Information names locations "locations/L"; v4 posts
                # need the account too.
                targets.append(
                    Target(
                        f"{account['name']}/{location['name']}",
                        location.get("title") or location["name"],
                        None,
                    )
                )
        return targets

    def _pages(
        self, url: str, token: str, key: str, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page_token = None
        for _ in range(20):  # enough for any practice group; stops a looping server
            query = {**params, **({"pageToken": page_token} if page_token else {})}
            body = json_body(self._call("GET", url, token, params=query)) or {}
            rows.extend(body.get(key) or [])
            page_token = body.get("nextPageToken")
            if not page_token:
                break
        return rows

    # --- text ----------------------------------------------------------------------

    def prepare_text(self, text: str) -> str:
        return text

    def check_text(self, text: str) -> list[str]:
        return texts.check_text("google_business", text)

    # --- reviews (engagement) --------------------------------------------------------

    def fetch_comments(
        self, account: Account, post_ids: list[str], *, cursor: str = ""
    ) -> Conversations:
        return engagement.NOTHING  # local posts take no comments

    def fetch_mentions(self, account: Account, *, cursor: str = "") -> Conversations:
        return engagement.NOTHING

    def fetch_reviews(self, account: Account, *, cursor: str = "") -> Conversations:
        """Every review, newest first as Google lists them, FETCH_PAGES pages a call.

        Cut short, it hands back "page:{token}" to resume from; the call that reaches
        the last page is complete (cursor "done": the next call starts over), and
        everything is then the union of this call's items with those of the calls
        since the one that began with "" or "done", as base.EngagementClient says.
        """
        resumed = cursor.startswith(PAGE_CURSOR)
        params: dict[str, Any] = {"pageSize": REVIEWS_PAGE}
        if resumed:
            params["pageToken"] = cursor[len(PAGE_CURSOR) :]
        items: list[Conversation] = []
        for _ in range(engagement.FETCH_PAGES):
            resp = self._call(
                "GET",
                self._v4(f"{account.external_id}/reviews"),
                account.access_token,
                params=params,
            )
            body = json_body(resp) or {}
            for row in body.get("reviews") or []:
                items += _review(row, account)
            token = body.get("nextPageToken")
            if not token:
                return Conversations(tuple(items), engagement.REVIEWS_DONE, complete=True)
            params["pageToken"] = token
        return Conversations(tuple(items), PAGE_CURSOR + str(params["pageToken"]), complete=False)

    def reply(self, account: Account, item: Conversation, text: str) -> SentReply:
        review = _review_name(item)
        resp = self._call(
            "PUT",
            self._v4(f"{review}/reply"),
            account.access_token,
            create=True,
            allow_404=True,
            json={"comment": text},
        )
        if resp.status_code == 404:
            raise ContentRejected(
                "Google no longer has this review (the reviewer deleted it); there is nothing "
                "to reply to.",
                platform=self.platform,
                platform_code="NOT_FOUND",
            )
        if not isinstance(json_body(resp), dict):
            raise no_clear_answer("Google", NO_ID, create=True, platform=self.platform)
        return SentReply(f"{review}/reply")

    def find_reply(self, account: Account, item: Conversation, text: str) -> SentReply | None:
        review = _review_name(item)
        resp = self._call("GET", self._v4(review), account.access_token, allow_404=True)
        if resp.status_code == 404:
            return None
        reply = (json_body(resp) or {}).get("reviewReply") or {}
        if text_matches(str(reply.get("comment", "")), text, text):
            return SentReply(f"{review}/reply")
        return None

    def delete_reply(self, account: Account, item: Conversation, reply_id: str) -> None:
        # 404: the review, and so its reply, is gone already.
        review = reply_id.removesuffix("/reply") or _review_name(item)
        self._call("DELETE", self._v4(f"{review}/reply"), account.access_token, allow_404=True)

    def hide(self, account: Account, item: Conversation, hidden: bool) -> None:
        raise engagement.cannot(
            self.platform,
            "Google does not let a business hide reviews; reply, or flag it as "
            "inappropriate in the Business Profile.",
        )

    def delete_comment(self, account: Account, item: Conversation) -> None:
        raise engagement.cannot(
            self.platform,
            "Google does not let a business delete reviews; flag it as inappropriate in the "
            "Business Profile instead.",
        )

    # --- errors ----------------------------------------------------------------------

    def _error(self, resp: requests.Response, *, create: bool) -> PlatformError:
        body = json_body(resp)
        if not (isinstance(body, dict) and "error" in body):
            return bare_status_error(resp, label="Google", platform=self.platform, create=create)
        error = (body.get("error") if isinstance(body, dict) else None) or {}
        if not isinstance(error, dict):
            error = {"message": str(error)}
        status = resp.status_code
        state = str(error.get("status") or "")
        words = [error.get("message") or resp.reason or f"HTTP {status}"]
        retry_delay = None
        for detail in error.get("details") or []:
            if not isinstance(detail, dict):
                continue
            words += [
                str(d.get("message"))
                for d in detail.get("errorDetails") or []
                if isinstance(d, dict) and d.get("message")
            ]
            if str(detail.get("@type", "")).endswith("RetryInfo"):
                retry_delay = _duration(detail.get("retryDelay"))
        quoted = said("Google", " ".join(words))
        kw: dict[str, Any] = {"platform": self.platform, "platform_code": state or str(status)}
        if state == "UNAUTHENTICATED" or status == 401:
            return ReconnectNeeded(
                f"The Google connection has expired or was revoked; reconnect the account.{quoted}",
                **kw,
            )
        if state == "PERMISSION_DENIED" or status == 403:
            return ReconnectNeeded(
                f"Google says this connection may no longer manage the location; reconnect it."
                f"{quoted}",
                **kw,
            )
        if state == "RESOURCE_EXHAUSTED" or status == 429:
            return ThrottledError(
                f"Google's per-minute limit is used up; trying again shortly.{quoted}",
                retry_after=retry_after_header(resp) or retry_delay or DEFAULT_THROTTLE,
                **kw,
            )
        if status >= 500 or state in ("UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"):
            return no_clear_answer("Google", SERVER_ERROR, create=create, quoted=quoted, **kw)
        if state == "NOT_FOUND" and create:
            return ReconnectNeeded(
                f"Google cannot find this location any more; reconnect and pick it again.{quoted}",
                **kw,
            )
        return ContentRejected(f"Google refused the post.{quoted}", **kw)


def _review_name(item: Conversation) -> str:
    """The review an item is or answers (our reply names its review as parent)."""
    return item.parent_id if item.from_us and item.parent_id else item.external_id


def _review(row: dict[str, Any], account: Account) -> list[Conversation]:
    """A review, and the owner's reply to it as an item of its own."""
    name = str(row.get("name", ""))
    reviewer = row.get("reviewer") or {}
    found = [
        Conversation(
            kind="review",
            external_id=name,
            text=str(row.get("comment", "")),
            author_name=str(reviewer.get("displayName", "")),
            author_id="",  # Google gives no reviewer id
            created_at=parse_time(row.get("createTime")),
            updated_at=parse_time(row.get("updateTime")),
            rating=STARS.get(str(row.get("starRating", ""))),
        )
    ]
    reply = row.get("reviewReply")
    if isinstance(reply, dict) and reply.get("comment") is not None:
        found.append(
            Conversation(
                kind="review",
                external_id=f"{name}/reply",
                text=str(reply.get("comment", "")),
                author_name="",
                author_id=account.external_id,
                created_at=parse_time(reply.get("updateTime")),
                updated_at=parse_time(reply.get("updateTime")),
                parent_id=name,
                from_us=True,
            )
        )
    return found


def _duration(value: Any) -> float | None:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(value or ""))
    return float(match.group(1)) if match else None


def _remote(row: dict[str, Any]) -> RemotePost:
    return RemotePost(
        platform_id=str(row.get("name", "")),
        text=row.get("summary", ""),
        created_at=parse_time(row.get("createTime")),
        permalink=row.get("searchUrl", ""),
    )
