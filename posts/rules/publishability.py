"""Would each target platform take this post? Checked while editing, not at publishing.

The rules are the clients' own (platforms.text: text limits counted the
platform's way, hashtags, images per post), read through the photos each
platform gets (Post.photos_for); a target whose account needs reconnecting is
a problem too. Each problem comes with the fix to offer.
"""

from __future__ import annotations

from dataclasses import dataclass

from platforms import text as texts
from platforms import video_rules
from posts.models import MediaAsset, Post, PostMedia
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
    chosen = post.photos_for(platform, attachments)
    photos = len(chosen)
    found = [
        Problem(platform, message, _text_fix(platform, post))
        for message in texts.check_text(platform, text)
    ]
    clips = [attachment.asset for attachment in chosen if attachment.asset.is_video]
    if clips:
        return found + _video_problems(platform, clips, photos - len(clips))
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


def _video_problems(platform: str, clips: list[MediaAsset], photos: int) -> list[Problem]:
    """A post carries one video and no photos; ready, and within the platform's limits."""
    if len(clips) > 1 or photos:
        return [
            Problem(
                platform,
                "A post carries one video, or photos, not both and not two videos.",
                "Take the photos or the other videos off this post, or off this platform.",
            )
        ]
    clip = clips[0]
    if clip.status == MediaAsset.Status.PROCESSING:
        return [
            Problem(
                platform,
                "The video is still being prepared.",
                "Wait a minute or two, then save again: it is ready when its preview plays.",
            )
        ]
    if clip.status == MediaAsset.Status.FAILED:
        return [
            Problem(
                platform,
                f"The video could not be prepared: {clip.problem}",
                "Take it off the post and upload the clip again.",
            )
        ]
    if platform in video_rules.COVER_INSTEAD:
        return []  # its cover photo goes instead (posts.media.videos.media_items)
    return [
        Problem(
            platform,
            message,
            "Use a clip this platform takes, or take the platform off the targets.",
        )
        for message in video_rules.check_video(
            platform,
            duration=clip.duration or 0.0,
            width=clip.width,
            height=clip.height,
            size=clip.size_bytes,
        )
    ]
