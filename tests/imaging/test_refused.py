"""What is refused before it costs anything: bombs, animations, truncated and false files."""

from __future__ import annotations

import random
import struct
import time
import warnings
import zlib

import pytest
from PIL import Image, ImageFile

from imaging import (
    ImageRejected,
    clean_image,
)
from tests.imaging.support import (
    LIMITS,
    MB,
    clean,
    encode,
    scene,
)

# --------------------------------------------------------------------------
# What is refused


def png_bomb(width: int, height: int) -> bytes:
    """A real 1-bit PNG of width x height black pixels: all its rows, zlib
    compressed, so the file is small while the canvas is enormous. Written
    chunk by chunk because making it through Pillow would need the pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    rows_per_block = max(1, (1 << 20) // len(row))
    parts = []
    for start in range(0, height, rows_per_block):
        parts.append(compressor.compress(row * min(rows_per_block, height - start)))
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("red", "blue", "green")]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def truncated_jpeg() -> bytes:
    data = encode(scene((640, 480)), "JPEG", quality=90)
    return data[: len(data) * 6 // 10]


BAD_UPLOADS = {
    "truncated_jpeg": (truncated_jpeg, "IMG_7.jpg", "damaged", "cut off or damaged"),
    "truncated_png": (
        lambda: encode(scene((300, 200)), "PNG")[:-4000],
        "scan.png",
        "damaged",
        "cut off or damaged",
    ),
    "png_bomb": (lambda: png_bomb(30000, 30000), "big.png", "too_many_pixels", "pixels"),
    "svg_with_script": (
        lambda: (
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
            b'height="10" onload="alert(1)"><script>fetch("/steal")</script></svg>'
        ),
        "smile.jpg",
        "not_an_image",
        "it looks like an SVG drawing",
    ),
    "pdf_renamed_jpg": (
        lambda: encode(scene((100, 80)), "PDF"),
        "IMG_1.jpg",
        "not_an_image",
        "(it looks like a PDF)",
    ),
    "html_renamed_png": (
        lambda: b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        "photo.png",
        "not_an_image",
        "it looks like a web page",
    ),
    "zero_bytes": (lambda: b"", "IMG_2.jpg", "empty", "is empty"),
    "random_bytes": (
        lambda: random.Random(7).randbytes(5000),
        "IMG_3.jpg",
        "not_an_image",
        "not a photo we can read",
    ),
    "truncated_heic": (
        lambda: encode(scene((320, 240)), "HEIF", quality=80)[:-600],
        "IMG_0042.HEIC",
        "damaged",
        "cut off or damaged",
    ),
    "live_photo_video": (
        lambda: b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + bytes(2000),
        "IMG_0042.MOV",
        "not_an_image",
        "it looks like a video",
    ),
    "animated_gif": (animated_gif, "funny.gif", "animated", "animated GIF"),
    "still_gif": (
        lambda: encode(Image.new("RGB", (20, 20), "red"), "GIF"),
        "dot.gif",
        "unsupported_format",
        "is a GIF",
    ),
    "tiff": (
        lambda: encode(scene((50, 50)), "TIFF"),
        "scan.tif",
        "unsupported_format",
        "TIFF",
    ),
    "animated_png": (
        lambda: encode(
            Image.new("RGB", (30, 30), "red"),
            "PNG",
            save_all=True,
            append_images=[Image.new("RGB", (30, 30), "blue")],
        ),
        "wave.png",
        "animated",
        "is an animation",
    ),
    "animated_webp": (
        lambda: encode(
            Image.new("RGB", (30, 30), "red"),
            "WEBP",
            save_all=True,
            append_images=[Image.new("RGB", (30, 30), "blue")],
        ),
        "wave.webp",
        "animated",
        "is an animation",
    ),
}


@pytest.mark.parametrize("case", BAD_UPLOADS, ids=list(BAD_UPLOADS))
def test_bad_upload_is_refused_with_a_plain_message(case):
    make, filename, code, phrase = BAD_UPLOADS[case]

    with pytest.raises(ImageRejected) as caught:
        clean_image(make(), filename=filename, **LIMITS)

    rejected = caught.value
    assert rejected.code == code
    assert phrase in rejected.message
    assert rejected.message.startswith(f"“{filename}”")
    assert rejected.message.endswith(".")
    assert str(rejected) == rejected.message
    assert "Traceback" not in rejected.message and "PIL" not in rejected.message


def test_file_over_the_size_limit_is_refused_before_decoding_and_names_the_limit():
    # Not even a valid JPEG: the size alone decides, nothing is decoded.
    data = b"\xff\xd8" + b"\x00" * (3 * MB - 2)

    with pytest.raises(ImageRejected) as caught:
        clean(data, "huge.jpg", max_bytes=2 * MB)

    assert caught.value.code == "too_large"
    assert caught.value.message == "“huge.jpg” is 3 MB; a photo can be at most 2 MB."


def test_decompression_bomb_fails_fast():
    bomb = png_bomb(30000, 30000)  # 900 megapixels
    assert len(bomb) < 200_000

    started = time.perf_counter()
    with pytest.raises(ImageRejected) as caught:
        clean(bomb, "bomb.png")
    assert time.perf_counter() - started < 1.0
    assert caught.value.code == "too_many_pixels"


def test_pixel_limit_is_checked_from_the_header_before_decoding():
    # 81 megapixels: under Pillow's own alarm, over our limit.
    bomb = png_bomb(9000, 9000)
    started = time.perf_counter()
    with pytest.raises(ImageRejected) as caught:
        clean(bomb, "scan.png", max_pixels=64_000_000)
    assert time.perf_counter() - started < 1.0
    assert caught.value.code == "too_many_pixels"
    assert caught.value.message == (
        "“scan.png” is 9,000 × 9,000 pixels; a photo can have at most 64 megapixels."
    )


def test_pillow_bomb_warning_turned_into_an_error_is_a_refusal_too():
    bomb = png_bomb(9500, 9500)  # over Pillow's 89.5-megapixel warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(ImageRejected) as caught:
            clean(bomb, max_pixels=100_000_000)
    assert caught.value.code == "too_many_pixels"


def test_no_filename_still_gives_a_sentence():
    with pytest.raises(ImageRejected) as caught:
        clean_image(b"", max_bytes=MB, max_pixels=1000)
    assert caught.value.message.startswith("This file is empty")


def test_truncated_files_are_never_half_decoded(monkeypatch):
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        clean(truncated_jpeg())
