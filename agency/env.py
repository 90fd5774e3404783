"""Strict readers for settings that come from the environment.

A bad value stops start-up with a message naming the variable, rather than
running with a surprising default. Every reader also accepts NAME_FILE, a
path whose contents hold the value (how container secrets arrive).
"""

from __future__ import annotations

import math
import os
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import overload

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def raw(name: str) -> str | None:
    if name in os.environ:
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return None


# With a default the value is always a string; without one, None when unset.
@overload
def string(name: str, default: str) -> str: ...
@overload
def string(name: str, default: None = None) -> str | None: ...
def string(name: str, default: str | None = None) -> str | None:
    value = raw(name)
    return default if value is None else value


def boolean(name: str, default: bool) -> bool:
    value = raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def integer(name: str, default: int, *, minimum: int | None = None) -> int:
    value = raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {number}")
    return number


def decimal(name: str, default: float, *, minimum: float | None = None) -> float:
    value = raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number; got {value!r}") from None
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name} must be a finite number; got {value!r}")
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {number}")
    return number


def csv(name: str, default: list[str]) -> list[str]:
    value = raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def networks(name: str, default: list[str]) -> list[IPv4Network | IPv6Network]:
    """Comma-separated IP addresses or CIDR networks (an address is a network of one)."""
    parsed: list[IPv4Network | IPv6Network] = []
    for item in csv(name, default):
        try:
            # Strict: 10.0.0.1/8 is refused (host bits set), as gunicorn refuses it.
            parsed.append(ip_network(item))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated IP addresses or networks "
                f"(like 172.30.0.1 or 10.0.0.0/8); {item!r}: {error}"
            ) from None
    return parsed


def choice(name: str, default: str, choices: set[str]) -> str:
    value = raw(name)
    if value is None:
        return default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {sorted(choices)}; got {value!r}")
    return value


@overload
def url(name: str, default: str) -> str: ...
@overload
def url(name: str, default: None = None) -> str | None: ...
def url(name: str, default: str | None = None) -> str | None:
    value = raw(name)
    if value is None:
        return default
    if "://" not in value:
        raise ImproperlyConfigured(f"{name} must be a URL like scheme://host; got {value!r}")
    return value.rstrip("/")
