"""Fetching media from a URL the way Instagram and Google do, and sizing it up."""

from __future__ import annotations

import io
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

FETCH_TIMEOUT = 5.0


class FetchError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason  # "timeout", "failed" or "too_large"
        self.detail = detail


@dataclass(frozen=True)
class VideoInfo:
    """What arrived of a video, as ffprobe reads it: the journey test checks the tags."""

    size: int
    sha256: str
    format: str  # "" when not a video ffprobe could read
    video_codec: str
    audio_codec: str | None
    width: int
    height: int
    duration: float
    tags: dict[str, str]

    def to_json(self) -> dict[str, object]:
        return {
            "size": self.size,
            "sha256": self.sha256,
            "format": self.format,
            "video_codec": self.video_codec,
            "audio_codec": self.audio_codec,
            "width": self.width,
            "height": self.height,
            "duration": self.duration,
            "tags": self.tags,
            "has_location": any("location" in k.lower() or "xyz" in k.lower() for k in self.tags),
        }


def inspect_video(data: bytes) -> VideoInfo:
    """Read a received video with ffprobe (through the product's video library)."""
    import hashlib
    import tempfile
    from pathlib import Path

    from video import Probe, VideoRejected, probe

    digest = hashlib.sha256(data).hexdigest()
    with tempfile.TemporaryDirectory(prefix="sandbox-video-") as folder:
        path = Path(folder) / "received.mp4"
        path.write_bytes(data)
        try:
            found: Probe = probe(path, max_bytes=len(data) + 1, max_seconds=24 * 3600)
        except VideoRejected:
            return VideoInfo(len(data), digest, "", "", None, 0, 0, 0.0, {})
    return VideoInfo(
        size=len(data),
        sha256=digest,
        format=found.format_name,
        video_codec=found.video_codec,
        audio_codec=found.audio_codec,
        width=found.width,
        height=found.height,
        duration=found.duration,
        tags=found.tags,
    )


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "JPEG", "PNG", ... or "" when not an image
    width: int
    height: int
    size: int


def fetch(url: str, *, max_bytes: int, timeout: float = FETCH_TIMEOUT) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise FetchError("failed", f"unsupported URL scheme in {url!r}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (scheme checked)
            data = resp.read(max_bytes + 1)
    except TimeoutError as exc:
        raise FetchError("timeout", f"timed out fetching {url}") from exc
    except urllib.error.HTTPError as exc:
        raise FetchError("failed", f"{url} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError | socket.timeout):
            raise FetchError("timeout", f"timed out fetching {url}") from exc
        raise FetchError("failed", f"could not fetch {url}: {reason}") from exc
    if len(data) > max_bytes:
        raise FetchError("too_large", f"{url} is larger than {max_bytes} bytes")
    return data


def inspect(data: bytes) -> ImageInfo:
    # Pillow is already a project dependency; imported late so the sandbox
    # starts fast and text-only traffic never loads it.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return ImageInfo(image.format or "", image.width, image.height, len(data))
    except (UnidentifiedImageError, OSError):
        return ImageInfo("", 0, 0, len(data))
