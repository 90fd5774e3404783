"""What each target platform will show: the text as it displays it, the counter, the crop.

Server-side, so that the editor's previews (an htmx partial) and its page
without JavaScript show the same thing, built by the same rules the clients
keep (platforms.text). The fold points are where each platform's feed cuts a
long text behind "…more" on a phone; they are observed approximations, not
published limits, and only decide where the preview folds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

import imaging
from platforms import text as texts
from platforms import video_rules
from posts.content import Content
from posts.models import MediaAsset
from practices.models import Platform, SocialAccount

FOLD_AT = {
    "facebook": 480,
    "instagram": 125,
    "linkedin": 210,
    "x": None,  # X shows the whole post
    "google_business": 240,
}
MORE = {
    "facebook": "See more",
    "instagram": "more",
    "linkedin": "…see more",
    "google_business": "More",
}
# X shows a link shortened to its start; it counts as 23 characters whatever its length.
X_LINK_SHOWN = 23


@dataclass
class Counter:
    used: int
    limit: int
    unit: str
    hashtags: int | None = None  # Instagram only
    hashtag_limit: int | None = None

    @property
    def over(self) -> bool:
        return self.used > self.limit or (
            self.hashtags is not None
            and self.hashtag_limit is not None
            and self.hashtags > self.hashtag_limit
        )


@dataclass
class Preview:
    platform: str
    account: SocialAccount
    shown: str  # the text before the fold, as the platform displays it
    folded: bool  # the rest is behind "more"
    more: str
    counter: Counter
    photo_ids: list[int] = field(default_factory=list)
    spec: str = ""
    own_text: bool = False  # this platform has its own text (an override)
    # Where the page shows each photo (the editor's and the approval page's differ).
    photo_urls: list[str] = field(default_factory=list)
    # A video post: the clip as this platform gets it, what the platform takes
    # (in words) and what it would refuse of this clip; Google gets the cover.
    video: MediaAsset | None = None
    video_url: str = ""
    poster_url: str = ""
    video_accepts: str = ""
    video_refusals: list[str] = field(default_factory=list)
    cover_instead: bool = False

    @property
    def label(self) -> str:
        return str(Platform(self.platform).label)


def displayed(platform: str, text: str) -> str:
    """The text as the platform shows it (links on X shortened to their start)."""
    if platform != "x":
        return text
    out, last = [], 0
    for start, end in texts.find_urls(text):
        url = text[start:end]
        bare = url.split("://", 1)[-1]
        out.append(text[last:start])
        out.append(bare if len(bare) <= X_LINK_SHOWN else bare[: X_LINK_SHOWN - 1] + "…")
        last = end
    out.append(text[last:])
    return "".join(out)


def counter(platform: str, text: str) -> Counter:
    unit = "weighted characters" if platform == "x" else "characters"
    result = Counter(texts.text_length(platform, text), texts.TEXT_LIMITS[platform], unit)
    if platform == "instagram":
        result.hashtags = len(texts.HASHTAG_RE.findall(text))
        result.hashtag_limit = texts.INSTAGRAM_MAX_HASHTAGS
    return result


def for_content(content: Content) -> list[Preview]:
    """One preview per target account, in platform order."""
    previews = []
    for account in sorted(content.targets, key=lambda a: (a.platform, a.display_name)):
        platform = account.platform
        own = bool(content.overrides.get(platform, "").strip())
        text = content.overrides[platform] if own else content.caption
        shown = displayed(platform, text)
        fold = FOLD_AT[platform]
        folded = fold is not None and len(shown) > fold
        if folded and fold is not None:
            shown = shown[:fold].rstrip() + "…"
        chosen = content.photo_choices.get(platform)
        photo_ids = [
            asset.pk for asset in content.photos if chosen is None or asset.pk in set(chosen)
        ]
        clip = next((a for a in content.photos if a.is_video and a.pk in photo_ids), None)
        previews.append(
            _with_video(
                Preview(
                    platform=platform,
                    account=account,
                    shown=shown,
                    folded=folded,
                    more=MORE.get(platform, ""),
                    counter=counter(platform, text),
                    photo_ids=photo_ids,
                    spec=imaging.PLATFORM_VARIANT[platform],
                    photo_urls=[
                        reverse("media_file", args=[pk, imaging.PLATFORM_VARIANT[platform]])
                        for pk in photo_ids
                    ],
                    own_text=own,
                ),
                clip,
            )
        )
    return previews


def _with_video(preview: Preview, clip: MediaAsset | None) -> Preview:
    """The preview of a video post: the clip, or for Google its cover instead."""
    if clip is None:
        return preview
    platform = preview.platform
    preview.video = clip
    preview.photo_ids, preview.photo_urls = [], []
    if clip.poster_id is not None:
        preview.poster_url = reverse(
            "media_file", args=[clip.pk, imaging.PLATFORM_VARIANT[platform]]
        )
    if platform in video_rules.COVER_INSTEAD:
        preview.cover_instead = True
        if clip.poster_id is not None:
            # The video's own id: its photo renderings are its cover's.
            preview.photo_ids, preview.photo_urls = [clip.pk], [preview.poster_url]
        return preview
    preview.video_url = reverse("media_file", args=[clip.pk, "original"])
    preview.video_accepts = video_rules.accepts(platform)
    if clip.is_ready:
        preview.video_refusals = video_rules.check_video(
            platform,
            duration=clip.duration or 0.0,
            width=clip.width,
            height=clip.height,
            size=clip.size_bytes,
        )
    return preview
