"""What each platform takes of a video: lengths, frames and sizes, checked before upload.

The editor shows these and refuses what a platform would (posts.rules.publishability),
and the clients check the same table before the first call, so that the two never
disagree. The figures are the platforms' published limits for what we send (the
cleaned master is H.264/AAC MP4 at most 1920 on its long side, 30 fps; X gets its
own smaller file); where the product is stricter than the platform, it says why.

| Platform  | Length          | Frame (width:height)  | Size      |
|-----------|-----------------|-----------------------|-----------|
| Instagram | 3 s – 90 s      | 1:2 to 4:5 (upright)  | 300 MB    |
| Facebook  | 1 s – 240 min   | 9:16 to 16:9          | 10 GB     |
| LinkedIn  | 3 s – 30 min    | 1:2.4 to 2.4:1        | 500 MB    |
| X         | 0.5 s – 140 s   | 1:3 to 3:1            | 512 MB    |
| Google    | no video in a local post: the cover photo goes instead        |

Instagram takes longer Reels through the API (up to 15 minutes), but only
clips up to 90 seconds are shown as Reels in the Reels tab; a clip wider than
4:5 is shown cropped to 9:16 there, cutting off what the strategist framed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoLimits:
    min_seconds: float
    max_seconds: float
    narrowest: float  # width / height
    widest: float
    max_bytes: int
    frame_words: str  # the frames it takes, for a person: "upright (9:16 to 4:5)"


MB = 1000 * 1000
LIMITS: dict[str, VideoLimits] = {
    "instagram": VideoLimits(3, 90, 1 / 2, 4 / 5, 300 * MB, "upright, from 1:2 to 4:5"),
    "facebook": VideoLimits(1, 240 * 60, 9 / 16, 16 / 9, 10_000 * MB, "from 9:16 to 16:9"),
    "linkedin": VideoLimits(3, 30 * 60, 1 / 2.4, 2.4, 500 * MB, "from 1:2.4 to 2.4:1"),
    "x": VideoLimits(0.5, 140, 1 / 3, 3, 512 * MB, "from 1:3 to 3:1"),
}
# Local posts carry photos only: the video's cover goes instead.
COVER_INSTEAD = frozenset({"google_business"})
NAMES = {
    "instagram": "Instagram (a Reel)",
    "facebook": "Facebook",
    "linkedin": "LinkedIn",
    "x": "X",
}


def takes_video(platform: str) -> bool:
    return platform in LIMITS


def seconds_in_words(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds:g} s"
    whole = round(seconds)
    if whole >= 3600:
        return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
    if whole >= 60:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest:02d} s" if rest else f"{minutes} min"
    return f"{whole} s"


def accepts(platform: str) -> str:
    """What the platform takes, in words: "3 s to 1 min 30 s, upright, from 1:2 to 4:5,
    up to 300 MB"."""
    limits = LIMITS[platform]
    return (
        f"{seconds_in_words(limits.min_seconds)} to {seconds_in_words(limits.max_seconds)}, "
        f"{limits.frame_words}, up to {size_in_words(limits.max_bytes)}"
    )


def size_in_words(size: int) -> str:
    return f"{size / (1000 * MB):g} GB" if size >= 1000 * MB else f"{size // MB:,} MB"


def check_video(platform: str, *, duration: float, width: int, height: int, size: int) -> list[str]:
    """Why the platform would refuse this video; [] if it takes it (or takes none)."""
    limits = LIMITS.get(platform)
    if limits is None:
        return []
    name = NAMES[platform]
    found: list[str] = []
    if duration > limits.max_seconds:
        found.append(
            f"{name} takes videos up to {seconds_in_words(limits.max_seconds)}; "
            f"this one is {seconds_in_words(duration)}."
        )
    elif duration < limits.min_seconds:
        found.append(
            f"{name} takes videos of at least {seconds_in_words(limits.min_seconds)}; "
            f"this one is {seconds_in_words(duration)}."
        )
    aspect = width / height if height else 0.0
    # A hair of slack: 1080x1350 is 4:5 exactly, 1080x1352 should pass too.
    if aspect > limits.widest * 1.01:
        found.append(
            f"{name} takes frames {limits.frame_words}; this video is too wide ({width}×{height})."
        )
    elif aspect < limits.narrowest * 0.99:
        found.append(
            f"{name} takes frames {limits.frame_words}; this video is too tall ({width}×{height})."
        )
    if size > limits.max_bytes:
        found.append(
            f"{name} takes videos up to {size_in_words(limits.max_bytes)}; "
            f"this one is {size / MB:,.0f} MB."
        )
    return found
