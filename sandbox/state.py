"""Everything the sandbox remembers: posts (the ledger), tokens, uploads, fault knobs.

One lock guards it all. The work done under the lock is tiny (dict and list
updates), so fifty concurrent clients never queue on it noticeably; slow
things (latency, media downloads) happen outside it.
"""

from __future__ import annotations

import itertools
import math
import random
import secrets
import threading
import zlib
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.core import iso

PLATFORMS = ("facebook", "instagram", "linkedin", "x", "google_business")
# Images kept for the feed pages (Sandbox.images), newest first out.
KEPT_IMAGES = 300
ERROR_KINDS = (
    "transient",
    "throttled",
    "token_expired",
    "permission_revoked",
    "rejected",
    "duplicate",
)
AMBIGUOUS_MODES = ("mixed", "drop", "5xx", "no_id")
# Answers from whatever stands in front of a platform (a proxy, an edge
# server), not in the platform's own error format: the status alone, a plain
# or HTML body. All but empty_200 come before the platform does any work;
# empty_200 comes after a post was created (the answer lost its body).
BARE_KINDS = (
    "429",  # "Too Many Requests", no Retry-After
    "429_retry_after",  # with Retry-After in seconds (retry_after_s)
    "429_retry_after_date",  # with Retry-After as an HTTP date
    "502_html",  # a proxy's "Bad Gateway" page
    "503_html",  # an edge server's "Service Unavailable" page
    "empty_200",  # success with an empty body and no id anywhere
)

DEFAULT_KNOBS: dict[str, Any] = {
    "latency_ms": 0,
    "error_rates": {},
    # Bare answers (BARE_KINDS) and how often each comes, on every call the
    # platform's fault knobs apply to.
    "bare_rates": {},
    "ambiguous_rate": 0.0,
    # Drop the connection, answer 5xx, either at random ("mixed"), or answer
    # success without naming the new post ("no_id").
    "ambiguous_mode": "mixed",
    # Uploads (X media, unpublished Facebook photos, Instagram containers) are
    # stored but answered without their id.
    "uploads_without_id": False,
    "ig_in_progress_polls": 0,
    "ig_container_error": None,  # an Instagram subcode: new containers end in status ERROR
    "quota": None,  # Instagram: posts already used in the 24 h window; X: remaining
    "quota_limit": None,  # Instagram quota_total (50) / X x-rate-limit-limit (200)
    "delete_enabled": True,  # Instagram only: whether DELETE /{media-id} works
    # How long throttling answers tell clients to wait (None: the platform's
    # usual 60 s). LinkedIn normally says nothing; set explicitly, it sends
    # Retry-After so short test runs need not wait for midnight UTC.
    "retry_after_s": None,
    "detect_duplicates": True,  # the platforms' own duplicate checks (FB, LinkedIn, X)
    # A post's insights (reach, views, saves) are not reported until it is
    # this many hours old; Instagram's can lag up to 48. Public counts (likes,
    # comments) are there at once.
    "insights_lag_hours": 0,
    # Video (Instagram Reels, Facebook, LinkedIn, X): how many status checks
    # still answer "processing" before the video is ready; whether processing
    # then ends in the platform's own error instead; and the part number
    # (1-based) of a multi-part upload whose request is lost once per upload
    # (the connection drops before the platform stores it).
    "video_processing_polls": 0,
    "video_processing_fails": False,
    "lost_part": None,
    # LinkedIn: the size of the parts initializeUpload hands out (None: its
    # 4 MB), so tests can upload a small video in several parts.
    "video_part_bytes": None,
    # Conversation (sandbox.conversations): how much of it the platforms produce,
    # as a multiple of the usual comments per post, mentions per day and reviews
    # per week (0: none, only what the admin endpoints inject). Read when a
    # post's, day's or week's schedule is first drawn.
    "conversation_rate": 1.0,
    # Meta webhooks (Facebook, Instagram): where to POST a delivery when a
    # comment or mention appears (injected, or passed by a clock advance), and
    # the app secret it is signed with (X-Hub-Signature-256). None: off.
    "webhook_url": None,
    "webhook_secret": "",
}
# How fast a post's numbers approach their final values (hours): they grow
# hour by hour, from 15% in the first hour to nearly all within a few days.
GROWTH_HOURS = 18.0
LAGGING = ("reach", "impressions", "saves")
# Plausible audiences: Instagram reaches more than Facebook, Google's local
# posts fewer; stories about people more than notices.
PLATFORM_SCALE = {
    "facebook": 1.0,
    "instagram": 1.4,
    "linkedin": 0.5,
    "x": 0.6,
    "google_business": 0.4,
}
# Followers count from here (the sandbox's accounts are this old).
ACCOUNTS_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
STORY_WORDS = ("patient", "baby", "graduat", "anniversary", "years", "welcome", "celebrat")
NOTICE_WORDS = ("closed", "hours", "reminder", "tip:")


@dataclass
class Post:
    platform: str
    account: str
    id: str
    text: str
    media_count: int
    created_at: datetime
    token: str
    permalink: str = ""
    link: str | None = None
    media_urls: list[str] = field(default_factory=list)
    state: str = "LIVE"
    deleted_at: datetime | None = None
    metrics: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    seq: int = 0  # creation order, for stable paging cursors

    def to_json(self) -> dict[str, Any]:
        body = {
            "platform": self.platform,
            "account": self.account,
            "id": self.id,
            "text": self.text,
            "media_count": self.media_count,
            "link": self.link,
            "created_at": iso(self.created_at),
            "token": self.token,
            "permalink": self.permalink,
            "state": self.state,
            "deleted": self.deleted_at is not None,
            "deleted_at": iso(self.deleted_at),
            "metrics": self.metrics,
        }
        if "video" in self.extra:
            # What arrived of the post's video (VideoInfo.to_json): size, sha256, tags.
            body["video"] = self.extra["video"]
        return body


@dataclass
class TokenInfo:
    platform: str
    kind: str  # "access" or "refresh"
    account: str
    issued_at: datetime
    expires_at: datetime | None
    scopes: str = ""
    revoked: bool = False
    refresh_expires_at: datetime | None = None


@dataclass
class AuthCode:
    platform: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: datetime


class KnobError(ValueError):
    """A fault-knob request the sandbox cannot honour (answered with 400)."""


class Faults:
    """Fault knobs per platform, optionally narrowed to one account."""

    def __init__(self) -> None:
        self.scopes: dict[tuple[str, str | None], dict[str, Any]] = {}

    def update(self, platform: str, account: str | None, knobs: dict[str, Any]) -> None:
        if platform not in PLATFORMS:
            raise KnobError(f"unknown platform {platform!r}; expected one of {PLATFORMS}")
        current = self.scopes.setdefault((platform, account), {})
        for key, value in knobs.items():
            if key not in DEFAULT_KNOBS:
                raise KnobError(f"unknown knob {key!r}; expected one of {sorted(DEFAULT_KNOBS)}")
            if key == "error_rates":
                if not isinstance(value, dict):
                    raise KnobError("error_rates must be an object of kind -> probability")
                for kind, rate in value.items():
                    if kind not in ERROR_KINDS:
                        raise KnobError(
                            f"unknown error kind {kind!r}; expected one of {ERROR_KINDS}"
                        )
                    _probability(kind, rate)
                current.setdefault("error_rates", {}).update(value)
            elif key == "bare_rates":
                if not isinstance(value, dict):
                    raise KnobError("bare_rates must be an object of kind -> probability")
                for kind, rate in value.items():
                    if kind not in BARE_KINDS:
                        raise KnobError(f"unknown bare kind {kind!r}; expected one of {BARE_KINDS}")
                    _probability(kind, rate)
                current.setdefault("bare_rates", {}).update(value)
            elif key == "ambiguous_rate":
                current[key] = _probability(key, value)
            elif key == "ambiguous_mode" and value not in AMBIGUOUS_MODES:
                raise KnobError(f"ambiguous_mode must be one of {AMBIGUOUS_MODES}")
            elif key == "conversation_rate":
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise KnobError("conversation_rate must be a number, 0 or more")
                current[key] = float(value)
            elif key == "webhook_url" and not (
                value is None
                or (isinstance(value, str) and value.startswith(("http://", "https://")))
            ):
                raise KnobError("webhook_url must be an http(s) URL, or null to stop deliveries")
            else:
                current[key] = value

    def effective(self, platform: str, account: str | None) -> dict[str, Any]:
        knobs = dict(DEFAULT_KNOBS)
        rates: dict[str, float] = {}
        bare: dict[str, float] = {}
        scopes = [(platform, None)] + ([(platform, account)] if account else [])
        for scope in scopes:
            layer = self.scopes.get(scope)
            if not layer:
                continue
            rates.update(layer.get("error_rates", {}))
            bare.update(layer.get("bare_rates", {}))
            knobs.update({k: v for k, v in layer.items() if k not in ("error_rates", "bare_rates")})
        knobs["error_rates"] = rates
        knobs["bare_rates"] = bare
        return knobs

    def as_json(self) -> list[dict[str, Any]]:
        return [
            {"platform": platform, "account": account, **knobs}
            for (platform, account), knobs in self.scopes.items()
        ]


def _probability(name: str, value: Any) -> float:
    if not isinstance(value, int | float) or not 0 <= value <= 1:
        raise KnobError(f"{name} must be a probability between 0 and 1")
    return float(value)


class Sandbox:
    def __init__(self, seed: int | None = None) -> None:
        self.lock = threading.RLock()
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        with self.lock:
            self.seed = seed
            self.rng = random.Random(seed)
            self.faults = Faults()
            self.clock_offset = timedelta()
            self.ids = itertools.count(1)
            self.ledger: list[Post] = []
            self.posts: dict[tuple[str, str], Post] = {}
            self.by_account: dict[tuple[str, str], list[Post]] = {}
            self.tokens: dict[str, TokenInfo] = {}
            self.codes: dict[str, AuthCode] = {}
            # Per-platform scratch: unpublished photos, IG containers, LinkedIn
            # images and upload slots, X media, X rate-limit windows.
            self.fb_photos: dict[str, dict[str, Any]] = {}
            self.ig_containers: dict[str, dict[str, Any]] = {}
            self.li_images: dict[str, dict[str, Any]] = {}
            self.li_uploads: dict[str, str] = {}
            self.x_media: dict[str, dict[str, Any]] = {}
            self.x_windows: dict[str, dict[str, int]] = {}
            # Video uploads in progress, per platform module ("x:<media id>",
            # "linkedin:<video urn>", ...), and the videos that arrived whole:
            # what ffprobe read of each (codec, size, tags), keyed the same way.
            self.video_uploads: dict[str, dict[str, Any]] = {}
            self.videos: dict[str, dict[str, Any]] = {}
            # The images posts came with, as the platform received them, for
            # the feed pages (the newest KEPT_IMAGES only: a benchmark posts
            # thousands).
            self.images: OrderedDict[str, bytes] = OrderedDict()
            # Calls per route ("GET <pattern>"), so tests can see batching work.
            self.calls: Counter[str] = Counter()
            # Comments, mentions and reviews (sandbox.conversations), imported
            # here because that module builds on this one.
            from sandbox.conversations import Store

            self.conversations = Store()

    # --- time and chance ---------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += timedelta(seconds=seconds)

    def reseed(self, seed: int) -> None:
        with self.lock:
            self.seed = seed
            self.rng = random.Random(seed)

    def roll(self, probability: float) -> bool:
        if probability <= 0:
            return False
        with self.lock:
            return self.rng.random() < probability

    def choice(self, options: tuple[str, ...]) -> str:
        with self.lock:
            return self.rng.choice(options)

    def new_id(self, base: int = 10**15) -> str:
        with self.lock:
            return str(base + next(self.ids))

    def knobs(self, platform: str, account: str | None) -> dict[str, Any]:
        with self.lock:
            return self.faults.effective(platform, account)

    # --- posts -------------------------------------------------------------

    def add_post(self, post: Post) -> Post:
        post.metrics = _metrics_for(post.id, post.platform, post.text)
        with self.lock:
            post.seq = len(self.ledger) + 1
            self.ledger.append(post)
            self.posts[(post.platform, post.id)] = post
            self.by_account.setdefault((post.platform, post.account), []).append(post)
        return post

    def count_call(self, route: str) -> None:
        with self.lock:
            self.calls[route] += 1

    def keep_image(self, key: str, data: bytes) -> None:
        with self.lock:
            self.images[key] = data
            while len(self.images) > KEPT_IMAGES:
                self.images.popitem(last=False)

    def image(self, key: str) -> bytes | None:
        with self.lock:
            return self.images.get(key)

    def get_post(
        self, platform: str, post_id: str, *, include_deleted: bool = False
    ) -> Post | None:
        with self.lock:
            post = self.posts.get((platform, post_id))
        if post is None or (post.deleted_at is not None and not include_deleted):
            return None
        return post

    def delete_post(self, post: Post) -> None:
        with self.lock:
            if post.deleted_at is None:
                post.deleted_at = self.now()

    def recent_posts(self, platform: str, account: str) -> list[Post]:
        """Live posts of one account, newest first."""
        with self.lock:
            posts = list(self.by_account.get((platform, account), ()))
        return [p for p in reversed(posts) if p.deleted_at is None]

    def find_duplicate(self, platform: str, account: str, text: str) -> Post | None:
        if not text.strip() or not self.knobs(platform, account)["detect_duplicates"]:
            return None
        since = self.now() - timedelta(hours=24)
        for post in self.recent_posts(platform, account):
            if post.created_at < since:
                break
            if post.text == text:
                return post
        return None

    def ledger_json(self, platform: str | None, account: str | None) -> list[dict[str, Any]]:
        with self.lock:
            posts = list(self.ledger)
        return [
            p.to_json() | {"metrics": self.metrics_of(p)}
            for p in posts
            if (not platform or p.platform == platform) and (not account or p.account == account)
        ]

    def account_figures(self, platform: str, account: str) -> dict[str, int]:
        """An account's followers (growing a little each day from a base seeded by the
        account) and its reach on the sandbox's day, stable for the day."""
        rng = random.Random(zlib.crc32(f"{platform}:{account}".encode()))
        base, per_day = rng.randint(300, 5000), rng.randint(1, 12)
        now = self.now()
        days = max((now - ACCOUNTS_EPOCH).days, 0)
        daily = random.Random(zlib.crc32(f"{platform}:{account}:{now.date()}".encode()))
        return {
            "followers": base + per_day * days,
            "reach": round(daily.randint(80, 1500) * PLATFORM_SCALE.get(platform, 1.0)),
        }

    def metrics_of(self, post: Post) -> dict[str, int | None]:
        """The post's numbers now: its final ones (post.metrics) grown to its age on the
        sandbox clock, whole hours at a time; None for insights not reported yet."""
        age = max(self.now() - post.created_at, timedelta())
        hours = int(age.total_seconds() // 3600)
        share = 1 - 0.85 * math.exp(-hours / GROWTH_HOURS)
        values: dict[str, int | None] = {
            name: round(value * share) for name, value in post.metrics.items()
        }
        lag = self.knobs(post.platform, post.account)["insights_lag_hours"]
        if lag and hours < lag:
            values.update(dict.fromkeys(LAGGING))
        return values

    def accounts_with_posts(self) -> list[tuple[str, str, int]]:
        with self.lock:
            return sorted(
                (platform, account, len(posts))
                for (platform, account), posts in self.by_account.items()
            )

    # --- tokens and codes --------------------------------------------------

    def issue_token(
        self,
        platform: str,
        kind: str,
        *,
        prefix: str,
        ttl: float | None,
        account: str = "",
        scopes: str = "",
        refresh_expires_at: datetime | None = None,
    ) -> str:
        token = prefix + secrets.token_urlsafe(24)
        now = self.now()
        with self.lock:
            self.tokens[token] = TokenInfo(
                platform=platform,
                kind=kind,
                account=account,
                issued_at=now,
                expires_at=None if ttl is None else now + timedelta(seconds=ttl),
                scopes=scopes,
                refresh_expires_at=refresh_expires_at,
            )
        return token

    def token(self, token: str) -> TokenInfo | None:
        with self.lock:
            return self.tokens.get(token)

    def token_problem(self, token: str) -> str | None:
        """ "revoked" or "expired" for a token we issued and no longer honour, else None.

        Tokens we never issued are accepted: tests and the demo make up their own.
        """
        info = self.token(token)
        if info is None:
            return None
        if info.revoked:
            return "revoked"
        if info.expires_at is not None and info.expires_at <= self.now():
            return "expired"
        return None

    def revoke(self, token: str) -> bool:
        with self.lock:
            info = self.tokens.get(token)
            if info is None:
                # Remember revocations of made-up tokens too, so tests can revoke them.
                info = TokenInfo("", "access", "", self.now(), None)
                self.tokens[token] = info
            info.revoked = True
        return True

    def new_code(self, code: AuthCode) -> str:
        value = secrets.token_urlsafe(18)
        with self.lock:
            self.codes[value] = code
        return value

    def take_code(self, value: str) -> AuthCode | None:
        """Codes are single use, as on every platform."""
        with self.lock:
            code = self.codes.pop(value, None)
        if code is None or code.expires_at <= self.now():
            return None
        return code


def _metrics_for(post_id: str, platform: str = "facebook", text: str = "") -> dict[str, int]:
    """A post's final numbers: stable per post (seeded by its id), shaped by its
    platform and by what it tells (a story about people travels further than a
    notice), so tests can compare what clients report and the demo looks real."""
    rng = random.Random(zlib.crc32(post_id.encode()))
    lowered = text.lower()
    kind = 1.5 if any(w in lowered for w in STORY_WORDS) else 1.0
    if any(w in lowered for w in NOTICE_WORDS):
        kind = 0.7
    reach = round(rng.randint(50, 2000) * PLATFORM_SCALE.get(platform, 1.0) * kind)
    return {
        "reach": reach,
        "impressions": reach + rng.randint(0, reach),
        "likes": rng.randint(0, reach // 10),
        "comments": rng.randint(0, 20),
        "shares": rng.randint(0, 15),
        "saves": rng.randint(0, 25),
        "clicks": rng.randint(0, reach // 5),
    }
