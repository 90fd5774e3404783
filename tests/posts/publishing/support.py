"""What the publishing tests share: a post's publications by platform, a post made outside us."""

from __future__ import annotations

from platforms.base import PublishRequest
from posts.models import Post, Publication
from practices.platform_clients import account_for, client_for


def publications(post: Post) -> dict[str, Publication]:
    return {p.account.platform: p for p in post.publications.select_related("account")}


def publish_directly(platform_account, text: str) -> str:
    """A post created on the platform outside the engine (an earlier, lost attempt)."""
    client = client_for(platform_account.platform)
    return client.publish(account_for(platform_account), PublishRequest(text=text)).platform_id
