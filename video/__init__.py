"""Phone video checked and cleaned for publishing, through the ffmpeg and ffprobe binaries.

Django-free (import-linter keeps it so), like the photo code (imaging). The
files stay on disk: every step reads a path and writes a path, so a clip is
never held in memory whole.

- `probe` decides whether a file is a video we take, before anything is
  decoded: its size from the file system, then what ffprobe reads from the
  container's header (format, streams, codecs, duration, rotation).
- `clean` re-encodes it (H.264 and AAC in an MP4, the moov atom first) with
  no metadata at all: the place it was shot (QuickTime's `©xyz` and
  `com.apple.quicktime.location.ISO6709`), the make and model of the phone,
  creation times and the owner's name go with the container and streams'
  tags, which are not copied. The rotation the phone recorded is applied to
  the pixels (the clip comes out upright with no display matrix), and the
  first audio track is kept. A damaged stream stops it (`-xerror`). A Rendition
  frames it: the master (1080p, 30 fps) for Instagram, Facebook and LinkedIn,
  FOR_X for X.
- `strip` copies the streams, undecoded, into a file with no metadata: what the
  request stores for the worker.
- `poster_frame` takes one frame as a JPEG, the cover the strategist picks
  (which then goes through the photo cleaning like any photo).

ffmpeg is Debian's (installed by `make` and by the Dockerfile); no box of a
file is parsed here by hand.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
# ffprobe names the QuickTime and MP4 family of containers this way, whichever of
# them the file is: a phone's MOV or MP4.
ACCEPTED_FORMAT = "mov,mp4,m4a,3gp,3g2,mj2"
ACCEPTED_VIDEO = {"h264": "H.264", "hevc": "HEVC (H.265)"}
# What a probe or an encode may take before it is stopped: a hung or hostile file
# must not hold a worker.
PROBE_SECONDS = 30
ENCODE_SECONDS_PER_SECOND = 10


class VideoRejected(Exception):
    """A file that is not a video we take.

    `message` is a plain sentence for the person who sent it; `code` a short stable
    word for callers and tests (empty, too_large, not_a_video, unsupported_format,
    no_video, unsupported_codec, too_long, damaged).
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Probe:
    size: int  # bytes
    duration: float  # seconds
    width: int  # as shown, the rotation applied
    height: int
    rotation: int  # degrees the player turns it (0, 90, 180, 270)
    video_codec: str
    audio_codec: str | None
    frame_rate: float
    format_name: str
    tags: dict[str, str]  # the container's and the streams' tags, for the tests to read

    @property
    def aspect(self) -> float:
        return self.width / self.height if self.height else 0.0


@dataclass(frozen=True)
class CleanedVideo:
    path: Path
    probe: Probe
    sha256: str


def _quoted(name: str) -> str:
    return f"“{name}”" if name else "The file"


def megabytes(n: int) -> str:
    if n >= 10_000_000:
        return f"{n / 1_000_000:,.0f} MB"
    if n >= 1_000_000:
        return f"{n / 1_000_000:,.1f} MB"
    return f"{n / 1000:,.0f} kB"


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"


def probe(path: Path, *, max_bytes: int, max_seconds: float, name: str = "") -> Probe:
    """What the file at `path` holds, if it is a video we take; VideoRejected if not.

    `name` (the uploaded file's name) is only used in messages: neither it nor
    any claimed content type decides what the file is.
    """
    label = _quoted(name)
    size = path.stat().st_size
    if size == 0:
        raise VideoRejected(
            f"{label} is empty (0 bytes). Please choose the video again.", code="empty"
        )
    if size > max_bytes:
        raise VideoRejected(
            f"{label} is {megabytes(size)}; a video can be at most {megabytes(max_bytes)}.",
            code="too_large",
        )
    found = _ffprobe(path, label)
    fmt = found.get("format", {})
    if fmt.get("format_name") != ACCEPTED_FORMAT:
        raise VideoRejected(
            f"{label} is a {fmt.get('format_long_name') or 'file'} we do not take: please send "
            "the MOV or MP4 the phone recorded.",
            code="unsupported_format",
        )
    streams = found.get("streams", [])
    videos = [s for s in streams if s.get("codec_type") == "video" and not _is_cover(s)]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if not videos:
        raise VideoRejected(
            f"{label} has sound but no picture: please send a video.", code="no_video"
        )
    video = videos[0]
    codec = str(video.get("codec_name", ""))
    if codec not in ACCEPTED_VIDEO:
        raise VideoRejected(
            f"{label} is encoded as {codec or 'something unknown'}; we take "
            f"{' and '.join(ACCEPTED_VIDEO.values())}, what phones record.",
            code="unsupported_codec",
        )
    duration = _float(fmt.get("duration")) or _float(video.get("duration"))
    if duration <= 0:
        raise VideoRejected(
            f"{label} could not be read: it may be cut off. Please send it again.", code="damaged"
        )
    if duration > max_seconds:
        raise VideoRejected(
            f"{label} is {_duration(duration)} long; a video can be at most "
            f"{_duration(max_seconds)}.",
            code="too_long",
        )
    rotation = _rotation(video)
    width, height = int(video.get("width", 0)), int(video.get("height", 0))
    if rotation in (90, 270):
        width, height = height, width
    tags = {str(k): str(v) for k, v in fmt.get("tags", {}).items()}
    for stream in streams:
        tags.update({str(k): str(v) for k, v in stream.get("tags", {}).items()})
    return Probe(
        size=size,
        duration=duration,
        width=width,
        height=height,
        rotation=rotation,
        video_codec=codec,
        audio_codec=str(audios[0].get("codec_name")) if audios else None,
        frame_rate=_rate(str(video.get("avg_frame_rate", "0/1"))),
        format_name=str(fmt.get("format_name")),
        tags=tags,
    )


@dataclass(frozen=True)
class Rendition:
    """How one encode frames a clip: the longest side at most `long_side` pixels, at
    most `max_fps` frames a second, the video at most `max_kbps` (None: by quality)."""

    long_side: int
    max_fps: int
    max_kbps: int | None = None


# The cleaned master: what Instagram (Reels), Facebook and LinkedIn receive. 1080p
# at 30 fps is what each of them recommends, and a phone's 4K 60 fps clip shrinks
# to a tenth of its size.
MASTER = Rendition(long_side=1920, max_fps=30)
# X: at most 1280 on the long side is its recommended frame (1920x1200 at most), and
# a bitrate well under its 25 Mbps ceiling keeps a 140-second clip under 512 MB.
FOR_X = Rendition(long_side=1280, max_fps=30, max_kbps=5000)

# Nothing of the source's container, streams or chapters is copied; only the
# first picture and the first sound track are mapped (a phone's timed metadata
# track, which carries the place again, is left behind).
_NO_METADATA = [
    *("-map", "0:v:0", "-map", "0:a:0?"),
    *("-map_metadata", "-1", "-map_metadata:s", "-1", "-map_chapters", "-1"),
    # No encoder names or times of our own either.
    *("-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"),
]


def strip(source: Path, target: Path, *, checked: Probe, name: str = "") -> Probe:
    """Copy the clip's picture and sound into `target` (a MOV) with none of its metadata.

    Nothing is decoded: the streams are copied as they are, so this takes the
    time of reading the file once, and it runs in the request. What is stored
    while the media worker waits to clean it (`clean`) then carries no place,
    phone or name. The rotation stays (it is how the picture is shown, not
    who took it). VideoRejected if the file turns out cut off: the copy is
    checked against the length its header claimed.
    """
    command = [
        *(FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(source)),
        *_NO_METADATA,
        *("-c", "copy", "-f", "mov", str(target)),
    ]
    label = _quoted(name)
    try:
        done = subprocess.run(command, capture_output=True, timeout=PROBE_SECONDS * 4, check=False)
    except subprocess.TimeoutExpired:
        target.unlink(missing_ok=True)
        raise VideoRejected(
            f"{label} took too long to read. Please send it again.", code="damaged"
        ) from None
    if done.returncode != 0 or not target.exists():
        target.unlink(missing_ok=True)
        raise VideoRejected(
            f"{label} is damaged (it may have been cut off while sending). Please send it again.",
            code="damaged",
        )
    try:
        copied = probe(target, max_bytes=checked.size * 2 + 1, max_seconds=checked.duration + 1)
    except VideoRejected:
        target.unlink(missing_ok=True)
        raise VideoRejected(
            f"{label} is damaged (it may have been cut off while sending). Please send it again.",
            code="damaged",
        ) from None
    # A file cut off after its index (moov first, then a short mdat) still
    # claims its whole length; what could be copied tells the truth.
    if copied.duration < checked.duration * 0.9 - 0.5:
        target.unlink(missing_ok=True)
        raise VideoRejected(
            f"{label} stops after {_duration(copied.duration)} of its "
            f"{_duration(checked.duration)}: it was cut off while sending. Please send it again.",
            code="damaged",
        )
    return copied


def clean(
    source: Path,
    target: Path,
    *,
    checked: Probe,
    max_bytes: int,
    rendition: Rendition = MASTER,
) -> CleanedVideo:
    """Re-encode `source` (already probed: `checked`) into `target` as an upright MP4 with
    no metadata, audio kept, framed by `rendition`; VideoRejected if its streams turn
    out damaged."""
    # The long side at most rendition.long_side (the player's rotation is
    # applied before filters, so these are the upright width and height), even
    # sizes as H.264's 4:2:0 needs.
    side = rendition.long_side
    frame = (
        f"scale=w='if(gte(iw,ih),min({side},iw),-2)':h='if(gte(iw,ih),-2,min({side},ih))'"
        ":force_divisible_by=2"
    )
    kbps = rendition.max_kbps
    rate = ["-maxrate", f"{kbps}k", "-bufsize", f"{kbps * 2}k"] if kbps else []
    command = [
        *(FFMPEG, "-nostdin", "-v", "error", "-xerror", "-y", "-i", str(source)),
        *_NO_METADATA,
        *("-vf", frame, "-fpsmax", str(rendition.max_fps)),
        *("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"),
        *rate,
        *("-c:a", "aac", "-b:a", "128k", "-ar", "48000"),
        # The index first, so that a platform fetching it can start at once.
        *("-movflags", "+faststart", str(target)),
    ]
    limit = PROBE_SECONDS + ENCODE_SECONDS_PER_SECOND * checked.duration
    try:
        done = subprocess.run(command, capture_output=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        target.unlink(missing_ok=True)
        raise VideoRejected(
            "The video took too long to prepare. Please send it again, or a shorter one.",
            code="damaged",
        ) from None
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        raise VideoRejected(
            "The video is damaged (it may have been cut off while sending). Please send it again.",
            code="damaged",
        )
    result = probe(target, max_bytes=max_bytes * 4, max_seconds=checked.duration + 1)
    return CleanedVideo(path=target, probe=result, sha256=_sha256(target))


def poster_frame(source: Path, target: Path, *, at: float) -> None:
    """One frame of the clip, `at` seconds in, upright, as a JPEG at `target`."""
    command = [
        FFMPEG,
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-ss",
        f"{max(at, 0.0):.3f}",
        "-i",
        str(source),
        "-frames:v",
        "1",
        "-map_metadata",
        "-1",
        "-q:v",
        "2",
        str(target),
    ]
    done = subprocess.run(command, capture_output=True, timeout=PROBE_SECONDS, check=False)
    if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        target.unlink(missing_ok=True)
        raise VideoRejected("No frame could be taken at that moment of the video.", code="damaged")


def _ffprobe(path: Path, label: str) -> dict[str, Any]:
    command = [
        FFPROBE,
        "-v",
        "error",
        "-show_format",
        "-show_streams",
        "-of",
        "json",
        str(path),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=PROBE_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise VideoRejected(f"{label} could not be read as a video.", code="not_a_video") from None
    if done.returncode != 0:
        raise VideoRejected(
            f"{label} is not a video we can read (or it was cut off while sending).",
            code="not_a_video",
        )
    try:
        found = json.loads(done.stdout)
    except ValueError:
        raise VideoRejected(f"{label} could not be read as a video.", code="not_a_video") from None
    return found if isinstance(found, dict) else {}


def _is_cover(stream: dict[str, Any]) -> bool:
    """An MP4's cover art is a one-picture "video" stream: not the clip."""
    return bool(stream.get("disposition", {}).get("attached_pic"))


def _rotation(stream: dict[str, Any]) -> int:
    """The degrees a player turns the picture (from the display matrix, or an old tag)."""
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            return round(-float(side["rotation"])) % 360
    tag = stream.get("tags", {}).get("rotate")
    return int(tag) % 360 if tag and str(tag).lstrip("-").isdigit() else 0


def _float(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        return 0.0


def _rate(text: str) -> float:
    top, _, bottom = text.partition("/")
    try:
        return float(top) / float(bottom or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_demo_clip(
    target: Path, *, width: int, height: int, seconds: float, tags: dict[str, str]
) -> None:
    """A made-up clip (a test pattern and a tone, no person in it) with these tags, as a
    phone writes them: the demo data's stand-in for a nurse's video."""
    command = [
        *(FFMPEG, "-nostdin", "-v", "error", "-y", "-f", "lavfi"),
        *("-i", f"testsrc2=size={width}x{height}:rate=30", "-f", "lavfi"),
        *("-i", "sine=frequency=330:sample_rate=48000", "-t", f"{seconds:g}"),
        *("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *[part for key, value in tags.items() for part in ("-metadata", f"{key}={value}")],
        str(target),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=PROBE_SECONDS * 2)
