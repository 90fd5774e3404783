"""Text rules per platform: escaping, weighted length, limits, image counts.

Pure functions, so the composer can warn while a person types and the
clients can refuse before spending an API call.
"""

from __future__ import annotations

import re
import unicodedata

from platforms.errors import ContentRejected

# Published limits (platforms.md). Some are unconfirmed third-party numbers;
# they are still the best guess, and a too-strict warning is cheap.
TEXT_LIMITS = {
    "facebook": 63_206,
    "instagram": 2_200,
    "linkedin": 3_000,
    "x": 280,
    "google_business": 1_500,
}
INSTAGRAM_MAX_HASHTAGS = 30
INSTAGRAM_MAX_MENTIONS = 20

# (fewest, most) images per post; 0 means text-only is allowed. Instagram
# cannot post text alone; LinkedIn multiImage and Instagram carousels need
# at least two, but a single image is a different, valid post type.
IMAGE_LIMITS = {
    "facebook": (0, 30),
    "instagram": (1, 10),
    "linkedin": (0, 20),
    "x": (0, 4),
    "google_business": (0, 1),
}

HASHTAG_RE = re.compile(r"(?<![\w&])#(\w+)")
MENTION_RE = re.compile(r"(?<![\w@])@([\w.]+)")


# --- LinkedIn "little text" -------------------------------------------------

_LITTLE_TEXT_RESERVED = set("\\|{}@[]()<>#*_~")


def _escape_little(text: str) -> str:
    return "".join("\\" + ch if ch in _LITTLE_TEXT_RESERVED else ch for ch in text)


def linkedin_escape(text: str) -> str:
    """Escape text for LinkedIn's commentary field.

    LinkedIn reads commentary as "little text": an unescaped reserved
    character makes it drop or truncate the rest of the post. Hashtags are
    written as LinkedIn's hashtag template so they stay clickable instead of
    showing as a literal "#word".
    """
    out: list[str] = []
    pos = 0
    for match in HASHTAG_RE.finditer(text):
        out.append(_escape_little(text[pos : match.start()]))
        out.append("{hashtag|\\#|" + _escape_little(match.group(1)) + "}")
        pos = match.end()
    out.append(_escape_little(text[pos:]))
    return "".join(out)


# --- X weighted length ------------------------------------------------------

X_URL_LENGTH = 23
# X's counting config (twitter-text v3): code points in these ranges weigh 1,
# everything else (CJK, most symbols) weighs 2; every emoji sequence weighs 2.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_TLDS = (
    "com|org|net|edu|gov|io|co|us|uk|ca|de|fr|nl|au|info|biz|me|health|clinic|"
    "dental|care|app|dev|ly|tv"
)
_URL_RE = re.compile(
    r"(?:https?://[^\s<>\"]+)"
    r"|(?:(?<![\w@.\-/])(?:www\.)?(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+(?:" + _TLDS + r")"
    r"(?![\w\-])(?:/[^\s<>\"]*)?)",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?'\")]}"


def find_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) of each URL as X would detect it, trailing punctuation excluded."""
    spans = []
    for match in _URL_RE.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _URL_TRAILING:
            end -= 1
        spans.append((start, end))
    return spans


def _is_emoji_base(cp: int) -> bool:
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2300 <= cp <= 0x23FF
        or 0x2B00 <= cp <= 0x2BFF
        or cp in (0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
    )


def _is_emoji_modifier(cp: int) -> bool:
    # Variation selectors, skin tones, tag characters (subdivision flags), keycap.
    return cp in (0xFE0E, 0xFE0F, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F


def _emoji_end(text: str, i: int) -> int:
    """Index after the emoji sequence starting at i, or i if none starts there."""
    cp = ord(text[i])
    n = len(text)
    if 0x1F1E6 <= cp <= 0x1F1FF:  # regional indicators pair into one flag
        if i + 1 < n and 0x1F1E6 <= ord(text[i + 1]) <= 0x1F1FF:
            return i + 2
        return i + 1
    if text[i] in "0123456789#*" or cp in (0xA9, 0xAE):
        # Keycaps and (c)/(r) are emoji only when a presentation selector follows.
        j = i + 1
        if j < n and ord(text[j]) == 0xFE0F:
            j += 1
            if j < n and ord(text[j]) == 0x20E3:
                j += 1
            return j
        if j < n and ord(text[j]) == 0x20E3:
            return j + 1
        return i
    if not _is_emoji_base(cp):
        return i
    j = i + 1
    while j < n:
        c = ord(text[j])
        if _is_emoji_modifier(c):
            j += 1
        elif c == 0x200D and j + 1 < n and _is_emoji_base(ord(text[j + 1])):
            j += 2
        else:
            break
    return j


def x_weighted_length(text: str) -> int:
    """Length as X counts it: URLs 23, emoji sequences and CJK 2, Latin 1."""
    text = unicodedata.normalize("NFC", text)
    url_starts = dict(find_urls(text))
    total = 0
    i = 0
    while i < len(text):
        if i in url_starts:
            total += X_URL_LENGTH
            i = url_starts[i]
            continue
        end = _emoji_end(text, i)
        if end > i:
            total += 2
            i = end
            continue
        cp = ord(text[i])
        total += 1 if any(lo <= cp <= hi for lo, hi in _X_LIGHT_RANGES) else 2
        i += 1
    return total


# --- checks -----------------------------------------------------------------


def text_length(platform: str, text: str) -> int:
    return x_weighted_length(text) if platform == "x" else len(text)


def check_text(platform: str, text: str) -> list[str]:
    """Plain-English problems with this caption on this platform; [] if fine."""
    problems = []
    limit = TEXT_LIMITS[platform]
    length = text_length(platform, text)
    if length > limit:
        unit = "weighted characters (links count 23, emoji 2)" if platform == "x" else "characters"
        problems.append(f"The text is {length} {unit}; the limit is {limit}.")
    if platform == "instagram":
        tags = len(HASHTAG_RE.findall(text))
        if tags > INSTAGRAM_MAX_HASHTAGS:
            problems.append(
                f"The caption has {tags} hashtags; Instagram allows {INSTAGRAM_MAX_HASHTAGS}."
            )
        mentions = len(MENTION_RE.findall(text))
        if mentions > INSTAGRAM_MAX_MENTIONS:
            problems.append(
                f"The caption mentions {mentions} accounts; "
                f"Instagram allows {INSTAGRAM_MAX_MENTIONS}."
            )
    if platform == "google_business" and not text.strip():
        problems.append("Google posts need some text.")
    return problems


def check_media(platform: str, count: int) -> list[str]:
    """Plain-English problems with this many images on this platform; [] if fine."""
    fewest, most = IMAGE_LIMITS[platform]
    if count < fewest:
        return ["Instagram posts need at least one image."]
    if count > most:
        return [f"This platform takes at most {most} images per post; this post has {count}."]
    return []


def require_publishable(platform: str, text: str, media_count: int) -> None:
    """Refuse (ContentRejected) before any API call what the platform would refuse."""
    problems = check_text(platform, text) + check_media(platform, media_count)
    if problems:
        raise ContentRejected(" ".join(problems), platform=platform)
