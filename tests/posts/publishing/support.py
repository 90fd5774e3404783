"""What the publishing tests share: a post's publications by platform, a post made outside us,
and a post about a patient under their authorization."""

from __future__ import annotations

from platforms.base import PublishRequest
from posts.models import Post, Publication
from practices.platform_clients import account_for, client_for
from tests.publishing_support import scheduled_post


def publications(post: Post) -> dict[str, Publication]:
    return {p.account.platform: p for p in post.publications.select_related("account")}


def publish_directly(platform_account, text: str) -> str:
    """A post created on the platform outside the engine (an earlier, lost attempt)."""
    client = client_for(platform_account.platform)
    return client.publish(account_for(platform_account), PublishRequest(text=text)).platform_id


def patient_post(world, consent, platforms, **fields):
    """A scheduled post telling a patient's story, under the given authorization."""
    return scheduled_post(
        world,
        platforms,
        features_patient=True,
        patient_uses=["story"],
        consents=[consent],
        **fields,
    )
