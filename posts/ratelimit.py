"""Counting attempts in Redis: a fixed window per key, with expiry.

Used for the secret tip link, which anyone holding it can post to without an
account. Keys hold a hash, never the e-mail address itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import django_rq

PREFIX = "ratelimit:"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


def hit(name: str, value: str, *, limit: int, window: int) -> Verdict:
    """Count one attempt for (name, value); refused once `limit` is passed within `window` s."""
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    key = f"{PREFIX}{name}:{digest}"
    connection = django_rq.get_connection("default")
    pipe = connection.pipeline()
    # SET NX EX starts the window on the first attempt only (works on every
    # Redis version, unlike EXPIRE NX); INCR then counts within it.
    pipe.set(key, 0, ex=window, nx=True)
    pipe.incr(key)
    pipe.ttl(key)
    _, count, ttl = pipe.execute()
    return Verdict(allowed=count <= limit, retry_after=max(int(ttl), 1))
