"""Counting attempts in Redis: a fixed window per key, with expiry.

Used for the secret tip link (anyone holding it can post to it without an
account), for failed logins and for password-reset requests. Keys hold a
hash, never the e-mail address or username itself.

Two ways to fail: `hit` lets the attempt through when Redis cannot count
(for a limit that only guards against abuse), while `count`, `peek` and
`clear` raise `Unavailable`, for callers that must refuse instead (a login
that could not be counted would allow unlimited guesses; the tip link, which
anyone holding it can post to, answers 503 rather than go unlimited).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass

import redis
from django.conf import settings
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

PREFIX = "ratelimit:"
# A limiter that cannot answer quickly is as good as none: give up after
# this long and let the caller decide (open or closed).
TIMEOUT_SECONDS = 2


class Unavailable(Exception):
    """Redis could not count this attempt."""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends
    attempts: int = 0  # counted in this window, this one included (0 when not counted)


def _key(name: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"{PREFIX}{name}:{digest}"


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )


def _connection() -> redis.Redis:
    # RATELIMIT_REDIS_URL empty: the queues' Redis (one Redis is all the
    # product needs). Read per call so that a test can point it elsewhere.
    return _client(settings.RATELIMIT_REDIS_URL or settings.RQ_QUEUES["default"]["URL"])


def hit(name: str, value: str, *, limit: int, window: int) -> Verdict:
    """Count one attempt for (name, value); refused once `limit` is passed within `window` s."""
    try:
        return count(name, value, limit=limit, window=window)
    except Unavailable:
        # The caller's limit only guards against abuse: let it through.
        logger.warning("rate limit %s not counted: Redis unavailable", name)
        return Verdict(allowed=True, retry_after=0)


def count(name: str, value: str, *, limit: int, window: int) -> Verdict:
    """As `hit`, but raises `Unavailable` when Redis cannot count."""
    key = _key(name, value)
    try:
        pipe = _connection().pipeline()
        # SET NX EX starts the window on the first attempt only (works on
        # every Redis version, unlike EXPIRE NX); INCR then counts within it.
        pipe.set(key, 0, ex=window, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, attempts, ttl = pipe.execute()
        if ttl < 0:
            # The key expired between SET and INCR, and INCR made it again
            # without an expiry: give it the window, or it would count for ever.
            _connection().expire(key, window)
            ttl = window
    except RedisError as error:
        raise Unavailable(name) from error
    return Verdict(allowed=attempts <= limit, retry_after=max(int(ttl), 1), attempts=attempts)


def peek(name: str, value: str, *, limit: int) -> Verdict:
    """Whether (name, value) has room for another attempt, without counting one."""
    key = _key(name, value)
    try:
        pipe = _connection().pipeline()
        pipe.get(key)
        pipe.ttl(key)
        attempts, ttl = pipe.execute()
    except RedisError as error:
        raise Unavailable(name) from error
    counted = int(attempts or 0)
    if counted < limit:
        return Verdict(allowed=True, retry_after=0, attempts=counted)
    return Verdict(allowed=False, retry_after=max(int(ttl), 1), attempts=counted)


def clear(name: str, value: str) -> None:
    """Forget the attempts counted for (name, value)."""
    try:
        _connection().delete(_key(name, value))
    except RedisError as error:
        raise Unavailable(name) from error
