"""What the photo tests make and look inside: photo-like pictures full of metadata,
made here with Pillow (nothing binary is committed), and readers of what a file holds."""

from __future__ import annotations

import io
import math
import random
import struct

from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageStat
from PIL.ExifTags import GPS, IFD, Base

from imaging import (
    CleanedImage,
    clean_image,
)

MB = 1024 * 1024
LIMITS = {"max_bytes": 25 * MB, "max_pixels": 64_000_000}

SERIAL = "C39XQ7PLN72K"
TAKEN = "2026:03:14 09:26:53"
COMMENT = b"Taken in exam room 4 with Jane Doe"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
    b'photoshop:City="Springfield" photoshop:Credit="Jane Doe"/></rdf:RDF></x:xmpmeta>'
)
IPTC_CAPTION = b"Patient Jane Doe MRN 0048213"


# --------------------------------------------------------------------------
# Making files


def scene(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """A photo-like picture: smooth gradients plus fixed-seed grain, so JPEG
    sizes are realistic and every run makes the same bytes."""
    w, h = size
    light = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
            Image.radial_gradient("L").resize(size),
        ),
    )
    grain = Image.frombytes("RGB", size, random.Random(seed).randbytes(w * h * 3))
    return Image.blend(light, grain, 0.15)


def phone_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[Base.Make] = "Apple"
    exif[Base.Model] = "iPhone 15 Pro"
    exif[Base.Orientation] = orientation
    exif[Base.DateTime] = TAKEN
    exif_ifd = exif.get_ifd(IFD.Exif)
    exif_ifd[Base.DateTimeOriginal] = TAKEN
    exif_ifd[Base.BodySerialNumber] = SERIAL
    exif_ifd[Base.MakerNote] = b"Apple iOS\x00\x00\x01MM" + SERIAL.encode()
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef] = "N"
    gps[GPS.GPSLatitude] = (39.0, 47.0, 53.6)
    gps[GPS.GPSLongitudeRef] = "W"
    gps[GPS.GPSLongitude] = (89.0, 38.0, 42.1)
    gps[GPS.GPSMapDatum] = "WGS-84"
    gps[GPS.GPSProcessingMethod] = b"ASCII\x00\x00\x00GPS"  # as Android writes it
    return exif


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def with_iptc(jpeg: bytes, caption: bytes) -> bytes:
    """Insert a Photoshop APP13 segment holding an IPTC caption (what photo
    desks and some editing apps write) right after the JPEG's SOI marker."""
    iptc = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    payload = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def encode(im: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **options)
    return buf.getvalue()


def loaded_jpeg(size=(640, 480), orientation: int = 1) -> bytes:
    """A phone JPEG carrying every kind of metadata we must strip."""
    data = encode(
        scene(size),
        "JPEG",
        quality=90,
        exif=phone_exif(orientation),
        xmp=XMP,
        comment=COMMENT,
        icc_profile=srgb_icc(),
    )
    return with_iptc(data, IPTC_CAPTION)


def marked(size=(400, 300)) -> Image.Image:
    """Grey, with a red block in the stored top-left corner."""
    im = Image.new("RGB", size, (128, 128, 128))
    ImageDraw.Draw(im).rectangle((0, 0, size[0] // 5, size[1] // 5), fill=(255, 0, 0))
    return im


def clean(data: bytes, filename: str = "IMG_0001.jpg", **limits) -> CleanedImage:
    return clean_image(data, filename=filename, **{**LIMITS, **limits})


def decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def is_red(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 200 and g < 70 and b < 70


def red_pixels(im: Image.Image) -> int:
    return sum(1 for p in im.convert("RGB").get_flattened_data() if is_red(p))


def psnr(a: Image.Image, b: Image.Image) -> float:
    diff = ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB")))
    mse = sum(diff.sum2) / (3 * a.width * a.height)
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


# --------------------------------------------------------------------------
# Looking inside files


def jpeg_segments(data: bytes) -> tuple[list[int], bytes]:
    """The markers of a baseline JPEG's header, and the bytes after its EOI."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, pos = [], 2
    while True:
        assert data[pos] == 0xFF, f"no marker at {pos}"
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        markers.append(marker)
        pos += 2 + length
        if marker == 0xDA:  # SOS: entropy-coded data up to EOI follows
            break
    end = data.rindex(b"\xff\xd9") + 2
    return markers, data[end:]


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, pos = [], 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


# Header markers a clean JPEG may have: JFIF APP0, quantisation and Huffman
# tables, frame header, scan header. No APP1 (EXIF, XMP), APP2 (ICC, MPF),
# APP13 (IPTC), COM, or any other application segment.
CLEAN_JPEG_MARKERS = {0xE0, 0xDB, 0xC4, 0xC0, 0xDA}
CLEAN_PNG_CHUNKS = {b"IHDR", b"IDAT", b"IEND"}
METADATA_INFO_KEYS = {"exif", "xmp", "icc_profile", "comment", "photoshop", "adobe", "mp"}


def assert_no_metadata(data: bytes) -> None:
    """Checked through Pillow and in the raw bytes, so neither a parser blind
    spot nor an unusual segment lets anything through."""
    im = decode(data)
    assert not im.getexif(), f"EXIF left: {dict(im.getexif())}"
    assert not METADATA_INFO_KEYS & set(im.info), f"metadata left: {sorted(im.info)}"
    assert not any(isinstance(key, str) and "xml" in key.lower() for key in im.info)

    if im.format == "JPEG":
        markers, trailer = jpeg_segments(data)
        assert set(markers) <= CLEAN_JPEG_MARKERS, [hex(m) for m in markers]
        assert trailer == b"", "bytes after the end of the image"
        header = data[: data.index(b"\xff\xda")]
    else:
        chunks = png_chunks(data)
        assert {kind for kind, _ in chunks} <= CLEAN_PNG_CHUNKS, [k for k, _ in chunks]
        # Everything but the compressed pixels.
        header = b"".join(kind + body for kind, body in chunks if kind != b"IDAT")

    # The header holds no tag or its bytes: GPS IFD pointer 0x8825 in either
    # byte order, EXIF/XMP/ICC/IPTC signatures.
    for needle in (b"Exif", b"GPS", b"\x88\x25", b"\x25\x88", b"xmp", b"XMP", b"ICC_PROFILE"):
        assert needle not in header, needle
    for needle in (b"Photoshop", b"8BIM", b"MPF"):
        assert needle not in header, needle
    # Longer identifying strings cannot appear by chance anywhere in the file.
    for needle in (
        SERIAL.encode(),
        TAKEN.encode(),
        b"WGS-84",
        COMMENT,
        IPTC_CAPTION,
        b"xmpmeta",
        b"Springfield",
        b"iPhone 15",
        b"sRGB built-in",
    ):
        assert needle not in data, needle
