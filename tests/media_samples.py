"""Files the tests make for themselves: good photos, and a corpus of bad uploads."""

from __future__ import annotations

import io
import struct
import zlib

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
