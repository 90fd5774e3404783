"""Counting attempts in Redis: a fixed window per key, with expiry.

Used for the secret tip link, which anyone holding it can post to without an
account. Keys hold a hash, never the e-mail address itself.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import django_rq
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

PREFIX = "ratelimit:"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


def hit(name: str, value: str, *, limit: int, window: int) -> Verdict:
    """Count one attempt for (name, value); refused once `limit` is passed within `window` s."""
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    key = f"{PREFIX}{name}:{digest}"
    try:
        connection = django_rq.get_connection("default")
        pipe = connection.pipeline()
        # SET NX EX starts the window on the first attempt only (works on
        # every Redis version, unlike EXPIRE NX); INCR then counts within it.
        pipe.set(key, 0, ex=window, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
    except RedisError:
        # Staff must still be able to send a tip while Redis is away: the
        # limit protects against abuse, it is not what keeps data safe.
        logger.warning("rate limit %s not counted: Redis unavailable", name)
        return Verdict(allowed=True, retry_after=0)
    return Verdict(allowed=count <= limit, retry_after=max(int(ttl), 1))
