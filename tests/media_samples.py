"""Files the tests make for themselves: good photos, and a corpus of bad uploads."""

from __future__ import annotations

import io
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

# Strings planted in the EXIF of a test photo; none may survive cleaning.
CAMERA_SERIAL = "SERIAL-98765"
CAMERA_MAKE = "SecretCamMaker"
GPS_AREA = "GPSAREA-LAKESIDE"


def jpeg_bytes(
    width: int = 800, height: int = 600, *, color=(200, 120, 60), gps: bool = False
) -> bytes:
    """A JPEG with a gradient (so crops differ); with gps=True, EXIF with a position."""
    im = Image.new("RGB", (width, height), color)
    for x in range(0, width, max(1, width // 16)):
        im.paste((x * 255 // width, 80, 255 - x * 255 // width), (x, 0, x + 4, height))
    buf = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = CAMERA_MAKE
        exif[ExifTags.Base.BodySerialNumber] = CAMERA_SERIAL
        exif[ExifTags.Base.DateTimeOriginal] = "2026:03:04 09:15:00"
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd.update(
            {
                ExifTags.GPS.GPSLatitudeRef: "N",
                ExifTags.GPS.GPSLatitude: (40.0, 26.0, 46.0),
                ExifTags.GPS.GPSLongitudeRef: "W",
                ExifTags.GPS.GPSLongitude: (79.0, 58.0, 56.0),
                ExifTags.GPS.GPSAreaInformation: GPS_AREA,
            }
        )
        im.save(buf, "JPEG", quality=90, exif=exif)
    else:
        im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def png_bytes(width: int = 300, height: int = 200, color=(30, 160, 90)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


def webp_bytes(width: int = 300, height: int = 200) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (90, 30, 160)).save(buf, "WEBP")
    return buf.getvalue()


def heic_bytes(width: int = 320, height: int = 240) -> bytes:
    """What an iPhone sends (pillow_heif registers the HEIF encoder with Pillow)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (120, 90, 200)).save(buf, "HEIF", quality=80)
    return buf.getvalue()


def png_bomb() -> bytes:
    """A few hundred bytes of PNG that claim 100,000 × 100,000 pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 100_001 * 4, 9)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)
HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def photo(name: str = "photo.jpg", **kwargs) -> SimpleUploadedFile:
    return upload(name, jpeg_bytes(**kwargs))


# -- phone video ----------------------------------------------------------------------

# Where the clip was shot and on what, as a phone writes it (QuickTime's atoms).
VIDEO_PLACE = "+40.4461-079.9822"
VIDEO_PRIVATE = (VIDEO_PLACE.encode(), b"iPhone 15", b"Jo Park")
_videos: dict[str, bytes] = {}


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, capture_output=True)


def video_bytes(kind: str = "phone") -> bytes:
    """A clip of the test's own making, once per run: "phone" (2 s, 320x240, sound, the
    place and the phone in its tags), "vertical" (the same held upright, 9:16 and 4 s:
    long enough for every platform), "audio" (an MP4 with sound only), "cut" (cut off
    after its index)."""
    if kind not in _videos:
        with tempfile.TemporaryDirectory(prefix="sample-video-") as folder:
            target = Path(folder) / "clip.mov"
            size = "180x320" if kind == "vertical" else "320x240"
            picture = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate=30"]
            sound = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
            tags = [
                *("-metadata", f"location={VIDEO_PLACE}/"),
                *("-metadata", "model=iPhone 15", "-metadata", "author=Jo Park"),
            ]
            if kind == "audio":
                _ffmpeg(*sound, "-t", "1", "-c:a", "aac", "-f", "mp4", str(target))
            else:
                _ffmpeg(
                    *picture,
                    *sound,
                    *("-t", "4" if kind == "vertical" else "2", "-c:v", "libx264"),
                    *("-preset", "ultrafast", "-pix_fmt", "yuv420p"),
                    *("-c:a", "aac", *tags, "-movflags", "+faststart", str(target)),
                )
            data = target.read_bytes()
            if kind == "cut":
                data = data[: len(data) // 2]
            _videos[kind] = data
    return _videos[kind]


def video(name: str = "IMG_0042.MOV", kind: str = "phone") -> SimpleUploadedFile:
    return upload(name, video_bytes(kind), "video/quicktime")
