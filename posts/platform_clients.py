"""The Django side of the platform clients: configuration, accounts and media.

The clients in posts.platforms take plain data and know nothing of Django;
this module builds their configuration from settings and their inputs from
our rows.
"""

from __future__ import annotations

import logging
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from posts.platforms.base import Account, ClientConfig, MediaItem

logger = logging.getLogger(__name__)


class MediaUnavailable(Exception):
    """A post's photo could not be prepared for a platform; the message says why."""


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
def client_for(platform: str):
    """One client per platform per process: each keeps one requests Session."""
    from posts.platforms import build_client

    return build_client(platform, client_config(platform))


@receiver(setting_changed)
def _forget_clients(*, setting, **kwargs):
    # Tests point PLATFORM_HOSTS at a sandbox on a random port.
    if setting.startswith(("PLATFORM_", "GRAPH_API_VERSION", "LINKEDIN_API_VERSION")):
        client_for.cache_clear()


def account_for(social_account) -> Account:
    return Account(external_id=social_account.external_id, access_token=social_account.access_token)


def media_items(post, platform: str) -> tuple[MediaItem, ...]:
    """The post's photos as this platform wants them, in order.

    Each is a rendered variant (crop and size for the platform) with an
    absolute signed URL, which Instagram and Google fetch themselves, and its
    bytes, which the other platforms upload. Text-only posts need none of it.
    """
    attachments = list(post.postmedia_set.select_related("asset").order_by("position"))
    if not attachments:
        return ()
    try:
        from posts import images, media
    except ImportError as error:  # photo rendering not installed on this server
        raise MediaUnavailable("photos cannot be prepared on this server") from error
    spec = images.PLATFORM_VARIANT[platform]
    items = []
    for attachment in attachments:
        asset = attachment.asset
        try:
            variant = media.variant_for(asset, spec)
            url = media.signed_variant_url(variant)
            with variant.file.open("rb") as handle:
                data = handle.read()
        except (OSError, ValueError, LookupError) as error:
            logger.warning("media variant failed for asset %s: %s", asset.pk, type(error).__name__)
            raise MediaUnavailable(
                f"photo {attachment.position + 1} could not be prepared for {platform}"
            ) from error
        items.append(
            MediaItem(
                url=url,
                data=data,
                content_type=media.variant_content_type(variant.file.name),
                alt_text=asset.alt_text,
            )
        )
    return tuple(items)
