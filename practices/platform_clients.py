"""The Django side of the platform clients: configuration and accounts.

The clients in `platforms` take plain data and know nothing of Django; this
module builds their configuration from settings and their account input from
our SocialAccount rows. The post's photos as a platform wants them are built
on the post side (`posts.media.outgoing.media_items`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from platforms.base import Account, ClientConfig, PlatformClient
from practices.models import SocialAccount


def client_config(platform: str) -> ClientConfig:
    app = settings.PLATFORM_APPS[platform]
    return ClientConfig(
        hosts=dict(settings.PLATFORM_HOSTS),
        graph_version=settings.GRAPH_API_VERSION,
        linkedin_version=settings.LINKEDIN_API_VERSION,
        connect_timeout=float(settings.PLATFORM_CONNECT_TIMEOUT),
        read_timeout=float(settings.PLATFORM_READ_TIMEOUT),
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        **settings.PLATFORM_CLIENT_OPTIONS,
    )


@cache
def client_for(platform: str) -> PlatformClient:
    """One client per platform per process: each keeps one requests Session."""
    from platforms import build_client

    return build_client(platform, client_config(platform))


@receiver(setting_changed)
def _forget_clients(*, setting: str, **kwargs: Any) -> None:
    # Tests point PLATFORM_HOSTS at a sandbox on a random port.
    if setting.startswith(("PLATFORM_", "GRAPH_API_VERSION", "LINKEDIN_API_VERSION")):
        client_for.cache_clear()


def account_for(social_account: SocialAccount) -> Account:
    return Account(external_id=social_account.external_id, access_token=social_account.access_token)
