"""Signing in and staying signed in (HIPAA 164.312(a)): failed-login throttling,
password-reset throttling, and the session clock (idle timeout, absolute lifetime).

Failed logins are counted per account and per client address in Redis
(`core.ratelimit`). While either is over its limit every attempt is refused,
the right password too, so that guessing stops rather than slows. When Redis
cannot count, sign-in is refused (fail closed): unlimited guesses are worse
than a few minutes without logging in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from math import ceil

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Q
from django.http import HttpRequest

from core import ratelimit
from core.http import client_ip, limited_address
from core.models import AuditEvent, User

# Raised when Redis cannot count: callers refuse the attempt.
Unavailable = ratelimit.Unavailable


@dataclass(frozen=True)
class Lock:
    """Attempts refused until the window ends."""

    scope: str  # "account" or "address" (what the page tells the person)
    retry_after: int  # seconds

    @property
    def minutes(self) -> int:
        return max(1, ceil(self.retry_after / 60))


def _account(identifier: str) -> tuple[str, User | None]:
    """The key counting this account's failures, and the account if one is named.

    One key per account, however it is typed: "Lead ", "lead" and lead's
    e-mail address share a count. A name that matches no one is counted as
    typed (trimmed, lower case) and locks the same way, so a lock tells
    nothing about who exists.
    """
    typed = _typed(identifier)
    matches = list(
        User.objects.filter(Q(username__iexact=typed) | Q(email__iexact=typed)).only(
            "pk", "username"
        )[:2]
    )
    if len(matches) == 1:
        return f"user:{matches[0].pk}", matches[0]
    return f"name:{typed}", None


def _typed(identifier: str) -> str:
    return identifier.strip().lower()


class LoginThrottle:
    """One login attempt's counts: the account named and the address it comes from.

    Made once per request (`for_request`), so that the login page and the
    authentication backend, which both ask, count and audit an attempt once.
    """

    def __init__(self, request: HttpRequest, identifier: str) -> None:
        self.request = request
        self.identifier = identifier
        account, self.account = _account(identifier)
        self.limits = [
            ("login-account", account, settings.LOGIN_LIMIT_PER_ACCOUNT),
            ("login-address", limited_address(request), settings.LOGIN_LIMIT_PER_ADDRESS),
        ]
        self._checked = False
        self._lock: Lock | None = None
        self.started: Lock | None = None  # the lock this attempt's failure started
        self.unavailable = False  # Redis failed while counting this attempt

    @classmethod
    def for_request(cls, request: HttpRequest, identifier: str) -> LoginThrottle:
        throttle = getattr(request, "_login_throttle", None)
        if not isinstance(throttle, cls) or _typed(throttle.identifier) != _typed(identifier):
            throttle = cls(request, identifier)
            setattr(request, "_login_throttle", throttle)  # noqa: B010 (not a declared attribute)
        return throttle

    def lock(self) -> Lock | None:
        """The lock on this account or this address, if any; audited when it refuses.

        Raises Unavailable when Redis cannot tell.
        """
        if self._checked:
            return self._lock
        for name, value, limit in self.limits:
            verdict = ratelimit.peek(name, value, limit=limit)
            if not verdict.allowed:
                self._lock = Lock(scope=_SCOPES[name], retry_after=verdict.retry_after)
                # Who was tried (the account, when the name is someone's; the
                # name as typed otherwise, as for failed logins): never the password.
                AuditEvent.record(
                    "login_locked",
                    actor_label=(
                        self.account.username if self.account else self.identifier.strip()
                    )[:200],
                    obj=self.account,
                    detail={"scope": self._lock.scope, "retry_after": self._lock.retry_after},
                    ip_address=client_ip(self.request),
                )
                break
        self._checked = True
        return self._lock

    def failed(self) -> None:
        """Count a wrong password; `started` is the lock it starts, if it was the last
        one allowed. (The failure itself is audited by core.signals, as every failed
        login is.) Raises Unavailable."""
        for name, value, limit in self.limits:
            verdict = ratelimit.count(name, value, limit=limit, window=settings.LOGIN_LIMIT_WINDOW)
            if verdict.attempts >= limit and self.started is None:
                self.started = Lock(scope=_SCOPES[name], retry_after=verdict.retry_after)

    def succeeded(self) -> None:
        """The account's count starts again; the address's does not (one good password
        of one's own must not buy more guesses at other accounts). Raises Unavailable."""
        name, value, _ = self.limits[0]
        ratelimit.clear(name, value)


_SCOPES = {"login-account": "account", "login-address": "address"}


def password_reset_lock(request: HttpRequest, email: str) -> Lock | None:
    """Count a request for a reset link, per address and per e-mail address entered.

    Every request counts (a reset always looks successful): the limit stops
    someone flooding a person's inbox or probing addresses. Raises Unavailable.
    """
    lock = None
    for name, value, limit in (
        ("reset-email", email.strip().lower(), settings.PASSWORD_RESET_LIMIT_PER_EMAIL),
        ("reset-address", limited_address(request), settings.PASSWORD_RESET_LIMIT_PER_ADDRESS),
    ):
        verdict = ratelimit.count(
            name, value, limit=limit, window=settings.PASSWORD_RESET_LIMIT_WINDOW
        )
        if not verdict.allowed and lock is None:
            lock = Lock(
                scope="account" if name == "reset-email" else "address",
                retry_after=verdict.retry_after,
            )
    if lock is not None:
        AuditEvent.record(
            "password_reset_limited",
            detail={"scope": lock.scope, "retry_after": lock.retry_after},
            ip_address=client_ip(request),
        )
    return lock


# -- the session clock (164.312(a)(2)(iii), automatic logoff) ------------------------

SIGNED_IN_AT = "signin.signed_in_at"
LAST_SEEN_AT = "signin.last_seen_at"
# The last-seen time is written at most this often: a page and its photos
# would otherwise rewrite the session row several times a second. A session
# may so end up to this many seconds before its idle timeout, never after.
TOUCH_EVERY = 60

IDLE = "idle"
LIFETIME = "lifetime"
UNKNOWN = "unknown"


def start_session_clock(session: SessionBase, *, now: float | None = None) -> None:
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = int(now)
    session[LAST_SEEN_AT] = int(now)


def session_expired(
    session: SessionBase, *, idle_timeout: int, max_age: int, now: float | None = None
) -> str | None:
    """Why this signed-in session is over (IDLE, LIFETIME, UNKNOWN), or None.

    A session without the clock was made before it existed: it ends too,
    since how old it is cannot be told.
    """
    now = time.time() if now is None else now
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen_at = session.get(LAST_SEEN_AT)
    if not isinstance(signed_in_at, int) or not isinstance(last_seen_at, int):
        return UNKNOWN
    if now - signed_in_at >= max_age:
        return LIFETIME
    if now - last_seen_at >= idle_timeout:
        return IDLE
    return None


def touch(session: SessionBase, *, now: float | None = None) -> None:
    now = time.time() if now is None else now
    if now - session.get(LAST_SEEN_AT, 0) >= TOUCH_EVERY:
        session[LAST_SEEN_AT] = int(now)


def end_session(request: HttpRequest, user: User, *, reason: str, idle_timeout: int) -> str:
    """Sign the person out, audited; the sentence that tells them why."""
    AuditEvent.record(
        "session_expired",
        actor=user,
        obj=user,
        detail={
            "reason": reason,
            "idle_timeout": idle_timeout,
            "max_age": settings.SESSION_MAX_AGE,
        },
        ip_address=client_ip(request),
    )
    logout(request)
    if reason == IDLE:
        return f"You were signed out after {duration(idle_timeout)} without activity."
    if reason == LIFETIME:
        return (
            f"Your session reached its {duration(settings.SESSION_MAX_AGE, adjective=True)} "
            "limit. Please sign in again."
        )
    return "Please sign in again."


def duration(seconds: int, *, adjective: bool = False) -> str:
    """30 minutes, 8 hours, 90 minutes; as an adjective: 12-hour, 30-minute."""
    if seconds % 3600 == 0:
        number, unit = seconds // 3600, "hour"
    else:
        number, unit = max(1, round(seconds / 60)), "minute"
    if adjective:
        return f"{number}-{unit}"
    return f"{number} {unit}{'' if number == 1 else 's'}"
