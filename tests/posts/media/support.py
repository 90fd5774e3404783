"""What the photo tests share: a post that uses a photo, and fetching a signed URL as a
platform would."""

from __future__ import annotations

from posts.models import PostMedia
from tests import factories


def path(url: str) -> str:
    """A signed URL without the site's address, for the test client."""
    return url.removeprefix("http://127.0.0.1:8000")


def on_post(asset, **fields):
    """A post on its way out using the photo: what a signed URL is served for."""
    fields.setdefault("status", "scheduled")
    post = factories.make_post(asset.practice, **fields)
    PostMedia.objects.create(post=post, asset=asset, position=0)
    return post


def fetch(client, url):
    return client.get(path(url))
