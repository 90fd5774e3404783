"""A loopback server speaking the five platforms' wire formats, with fault knobs.

The tests and the demo point every platform host at it: with SANDBOX_URL
set, each host role becomes f"{SANDBOX_URL}/{role}" and the server routes on
that first path segment (graph, linkedin_api, x_api, google_business, ...).

    server = SandboxServer(port=0).start()   # or: python -m sandbox --port 8765
    server.url                               # "http://127.0.0.1:54321"
    server.stop()

Its own endpoints, under /_sandbox:

    GET  /_sandbox/                 index of accounts with posts (HTML)
    GET  /_sandbox/feed/{platform}/{account}   one account's timeline, newest first (HTML),
                                    with the images Facebook and Instagram received
    GET  /_sandbox/image/{key}      one of those images, as received (the newest 300 kept)
    GET  /_sandbox/ledger?platform=&account=   {"count": n, "posts": [{"platform", "account",
                                    "id", "text", "media_count", "link", "created_at", "token",
                                    "permalink", "state", "deleted", "deleted_at", "metrics"}]}
    GET  /_sandbox/calls            {"calls": {"<METHOD> <route pattern>": n}} since the last reset
    POST /_sandbox/reset            {"seed": n}? -> forget everything (posts, tokens, knobs, clock)
    GET  /_sandbox/faults           {"seed", "clock_offset_s", "faults": [{platform, account, ...}]}
    POST /_sandbox/faults           {"platform"?, "account"?, "seed"?, knob: value, ...}
                                    (no platform: every platform); 400 for an unknown knob
    DELETE /_sandbox/faults         clear every knob
    POST /_sandbox/clock            {"advance_s": n} -> move the sandbox's clock forward
    POST /_sandbox/tokens           {"platform", "account", "ttl_s"?} -> a token bound to that
                                    account (X takes the author from the token)
    POST /_sandbox/revoke           {"token"} -> that access or refresh token stops working
    POST /_sandbox/conversations    {"platform", "kind": "comment"|"mention"|"review",
                                    "post_id"? (comments: a live post of ours), "parent_id"? (a
                                    reply in that comment's thread), "account"? (mentions,
                                    reviews: page id, IG user id, org URN, X user id,
                                    "accounts/A/locations/L"), "count"? (1, up to 100000),
                                    "text"?, "rating"? (1-5), "author_name"?} -> {"ids": [...],
                                    "items": [item, ...] (up to 100)}: made at the sandbox's now
    GET  /_sandbox/conversations    ?platform=&post_id= or ?platform=&account=&kind=
                                    [&include_deleted=1] -> {"count", "items": [{"platform",
                                    "account", "kind", "id", "post_id", "parent_id", "author_id",
                                    "author_name", "text", "rating", "created_at", "updated_at",
                                    "from_us", "hidden", "deleted", "reply": {"text",
                                    "updated_at"}|null}]}: what the platform shows now
    POST /_sandbox/conversations/{platform}/{id}   {"text"?, "rating"?, "hidden"?} -> the item,
                                    edited now (X: a new version id, as X edits are)
    DELETE /_sandbox/conversations/{platform}/{id} -> {"deleted": true}, gone from now on
    GET  /_sandbox/webhooks         {"deliveries": [{"url", "item", "payload", "status"}]}

Conversation (sandbox.conversations): every live post on Facebook, Instagram, LinkedIn
and X gets comments at a decaying rate after publishing, every account mentions now and
then, every Google location reviews; some edited or deleted later; all from the seed
and the clock. The platforms' own endpoints serve it (comments, tagged posts and tags,
socialActions and notifications, search and mentions, reviews), through the fault knobs.

Knobs (state.DEFAULT_KNOBS): latency_ms, error_rates {transient, throttled, token_expired,
permission_revoked, rejected, duplicate: probability}, bare_rates {429, 429_retry_after,
429_retry_after_date, 502_html, 503_html, empty_200: probability} (what a proxy or edge
server answers, not in the platform's error format; empty_200 comes after the post was
created), ambiguous_rate (the post is created,
then the answer is lost), ambiguous_mode ("mixed" | "drop" | "5xx" | "no_id": a success
that does not name the post), uploads_without_id (uploads answered without their id),
ig_in_progress_polls,
ig_container_error (an Instagram subcode), quota (Instagram posts already used / X posts
remaining), quota_limit (Instagram quota_total, default 50 / X limit, default 200),
delete_enabled (Instagram), retry_after_s, detect_duplicates, conversation_rate (a
multiple of the usual conversation; 0: only what is injected), webhook_url and
webhook_secret (Facebook, Instagram: POST a delivery signed as Meta signs, when a comment
or mention is injected or a clock advance passes one; off unless set).
"""

from __future__ import annotations

from sandbox.server import SandboxServer

__all__ = ["SandboxServer"]
