"""Would each target platform take this post? Checked while editing, not at publishing.

The rules are the clients' own (platforms.text: text limits counted the
platform's way, hashtags, images per post), read through the photos each
platform gets (Post.photos_for); a target whose account needs reconnecting is
a problem too. Each problem comes with the fix to offer.
"""

from __future__ import annotations

from dataclasses import dataclass

from platforms import text as texts
from posts.models import Post, PostMedia
from practices.models import Platform, SocialAccount


@dataclass(frozen=True)
class Problem:
    platform: str
    message: str
    fix: str

    @property
    def label(self) -> str:
        return str(Platform(self.platform).label)


def problems(
    post: Post,
    *,
    targets: list[SocialAccount] | None = None,
    attachments: list[PostMedia] | None = None,
) -> list[Problem]:
    """What each target would refuse, in the order of the targets; [] if all take it."""
    if targets is None:
        targets = list(post.targets.all())
    if attachments is None:
        attachments = post.attachments()
    found: list[Problem] = []
    for account in sorted(targets, key=lambda a: a.platform):
        found += for_platform(post, account.platform, attachments)
        if account.status != SocialAccount.Status.CONNECTED:
            found.append(
                Problem(
                    account.platform,
                    f"{account} needs reconnecting before anything can be published there.",
                    "Reconnect the account (the practice's accounts page), or take it off "
                    "the targets.",
                )
            )
    return found


def for_platform(post: Post, platform: str, attachments: list[PostMedia]) -> list[Problem]:
    text = post.caption_for(platform)
    photos = len(post.photos_for(platform, attachments))
    found = [
        Problem(platform, message, _text_fix(platform, post))
        for message in texts.check_text(platform, text)
    ]
    fewest, most = texts.IMAGE_LIMITS[platform]
    for message in texts.check_media(platform, photos):
        if photos < fewest:
            fix = (
                "Add a photo, or choose one for this platform."
                if attachments
                else "Add a photo, or take this platform off the targets."
            )
        else:
            which = "photo goes" if most == 1 else f"{most} photos go"
            fix = f"Choose which {which} to this platform."
        found.append(Problem(platform, message, fix))
    return found


def _text_fix(platform: str, post: Post) -> str:
    if post.overrides.get(platform):
        return "Shorten this platform's own text."
    return "Shorten the caption, or write a shorter text for this platform only."
