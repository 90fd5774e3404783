"""Small helpers about the request itself."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    from core.models import User

type IPAddress = IPv4Address | IPv6Address


def client_ip(request: HttpRequest | None) -> str | None:
    """The address the request came from, as recorded in audit events, on a
    patient's signature and counted by the rate limits.

    REMOTE_ADDR is the peer that connected to gunicorn: behind the TLS proxy,
    the proxy. Only when that peer is one of settings.TRUSTED_PROXIES is
    X-Forwarded-For read, from the right (the entry the nearest proxy
    appended) leftwards past further trusted proxies, to the first address
    that is not one: everything to the left of it came from the client and is
    whatever the client chose to send. A header from an untrusted peer is
    ignored; a garbled entry ends the walk at the last address a trusted
    proxy vouched for.
    """
    if request is None:
        return None
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return None
    client = peer
    if _trusted(peer):
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        for hop in reversed(hops):
            address = _parse(hop)
            if address is None:
                break
            client = address
            if not _trusted(address):
                break
    return str(client)


def limited_address(request: HttpRequest) -> str:
    """What the rate limits count as one address: client_ip(), an IPv6 one by its /64.

    One home, one phone network's customer or one rented server is given a
    whole /64: counted address by address, it could try its 2^64 addresses
    in turn. An IPv4 address counts alone.
    """
    address = client_ip(request)
    if address is None:
        return "unknown"
    if ":" in address:
        return str(ip_network(f"{address}/64", strict=False))
    return address


def _trusted(address: IPAddress) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def _parse(text: str) -> IPAddress | None:
    """An address as proxies write it ("203.0.113.9", "203.0.113.9:4711",
    "[2001:db8::1]:4711", "2001:db8::1"); None for anything else."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # IPv4 with a port
    try:
        address = ip_address(text.partition("%")[0])  # no IPv6 zone: not an inet value
    except ValueError:
        return None
    # An IPv4 peer on a dual-stack socket reads as ::ffff:a.b.c.d.
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind login_required: its user is one of ours, never anonymous."""

    user: User


def optional_int(raw: str) -> int | None:
    """A whole number a form or a link sent (an id, a version), or None.

    isascii() too: isdecimal() alone admits digits of other scripts that
    int() reads, which would turn a garbled value into some other row's id.
    """
    return int(raw) if raw.isascii() and raw.isdecimal() else None


def safe_next(request: HttpRequest, target: str, default: str = "") -> str:
    """`target` if it is a page of this site (a "next" from a form), else `default`."""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
