"""Orientation applied, colour profiles converted, every phone format accepted."""

from __future__ import annotations

import hashlib
import struct

import pytest
from PIL import Image, ImageDraw

from imaging import (
    VARIANT_SPECS,
    render_variant,
    render_variants,
)
from tests.imaging.support import (
    SERIAL,
    XMP,
    assert_no_metadata,
    clean,
    decode,
    encode,
    is_red,
    loaded_jpeg,
    marked,
    phone_exif,
    scene,
    srgb_icc,
)

# --------------------------------------------------------------------------
# Orientation and formats


@pytest.mark.parametrize(
    ("orientation", "size", "corner"),
    [
        (6, (300, 400), "top_right"),  # phone held upright, sensor sideways
        (8, (300, 400), "bottom_left"),
        (3, (400, 300), "bottom_right"),
        (1, (400, 300), "top_left"),
    ],
)
def test_exif_orientation_is_applied_to_the_pixels(orientation, size, corner):
    data = encode(marked((400, 300)), "JPEG", quality=95, exif=phone_exif(orientation))

    cleaned = clean(data)

    im = decode(cleaned.data).convert("RGB")
    assert im.size == size == (cleaned.width, cleaned.height)
    w, h = im.size
    corners = {
        "top_left": (10, 10),
        "top_right": (w - 10, 10),
        "bottom_left": (10, h - 10),
        "bottom_right": (w - 10, h - 10),
    }
    for name, xy in corners.items():
        assert is_red(im.getpixel(xy)) == (name == corner), (name, im.getpixel(xy))
    assert not im.getexif()  # no orientation left to apply a second time


def test_iphone_heic_becomes_upright_jpeg_without_metadata():
    data = encode(marked((400, 300)), "HEIF", quality=90, exif=phone_exif(6).tobytes(), xmp=XMP)
    assert data[4:12] == b"ftypheic"
    assert SERIAL.encode() in data

    cleaned = clean(data, "IMG_0042.HEIC")

    assert cleaned.content_type == "image/jpeg"
    assert (cleaned.width, cleaned.height) == (300, 400)
    im = decode(cleaned.data).convert("RGB")
    assert is_red(im.getpixel((290, 10)))
    assert not is_red(im.getpixel((10, 10)))
    assert_no_metadata(cleaned.data)


def test_webp_becomes_jpeg_without_metadata():
    data = encode(scene((320, 240)), "WEBP", quality=90, exif=phone_exif(), xmp=XMP)
    assert b"xmpmeta" in data

    cleaned = clean(data, "photo.webp")

    assert cleaned.content_type == "image/jpeg"
    assert (cleaned.width, cleaned.height) == (320, 240)
    assert_no_metadata(cleaned.data)


def test_transparent_webp_becomes_png_with_its_alpha():
    im = scene((200, 100)).convert("RGBA")
    ImageDraw.Draw(im).rectangle((0, 0, 99, 99), fill=(0, 0, 0, 0))
    cleaned = clean(encode(im, "WEBP", lossless=True), "sticker.webp")

    assert cleaned.content_type == "image/png"
    out = decode(cleaned.data)
    assert out.mode == "RGBA"
    assert out.getpixel((10, 10))[3] == 0
    assert out.getpixel((150, 50))[3] == 255


def test_png_with_real_transparency_stays_png():
    im = scene((200, 100)).convert("RGBA")
    ImageDraw.Draw(im).ellipse((20, 20, 80, 80), fill=(0, 0, 0, 0))

    cleaned = clean(encode(im, "PNG"), "logo.png")

    assert (cleaned.content_type, cleaned.extension) == ("image/png", "png")
    out = decode(cleaned.data)
    assert out.mode == "RGBA"
    assert out.getpixel((50, 50))[3] == 0
    assert out.getpixel((150, 50)) == im.getpixel((150, 50))  # lossless


def test_opaque_png_becomes_jpeg():
    # An alpha channel that hides nothing is not a reason to ship a huge PNG.
    im = scene((200, 100)).convert("RGBA")
    cleaned = clean(encode(im, "PNG"), "screenshot.png")

    assert (cleaned.content_type, cleaned.extension) == ("image/jpeg", "jpg")
    assert decode(cleaned.data).mode == "RGB"


def test_palette_png_with_transparent_index_stays_png():
    im = Image.new("P", (60, 40), 1)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    ImageDraw.Draw(im).rectangle((0, 0, 19, 39), fill=0)
    cleaned = clean(encode(im, "PNG", transparency=0), "badge.png")

    out = decode(cleaned.data)
    assert cleaned.content_type == "image/png"
    assert out.getpixel((5, 5))[3] == 0
    assert out.getpixel((40, 20)) == (255, 0, 0, 255)


def test_sixteen_bit_grey_png_is_scaled_not_clipped():
    im = Image.new("I;16", (64, 64), 32768)  # mid grey in 16 bits
    cleaned = clean(encode(im, "PNG"), "xray.png")

    out = decode(cleaned.data).convert("RGB")
    assert cleaned.content_type == "image/jpeg"
    assert all(abs(c - 128) <= 2 for c in out.getpixel((32, 32))), out.getpixel((32, 32))


def test_cmyk_jpeg_becomes_rgb_jpeg():
    cmyk = Image.new("CMYK", (80, 60), (0, 255, 255, 0))  # full magenta + yellow: red
    cleaned = clean(encode(cmyk, "JPEG", quality=95), "flyer.jpg")

    out = decode(cleaned.data)
    assert out.mode == "RGB"
    assert is_red(out.getpixel((40, 30)))


def test_mpo_keeps_only_the_first_picture():
    first, second = marked((200, 150)), Image.new("RGB", (200, 150), (0, 0, 255))
    data = encode(first, "MPO", save_all=True, append_images=[second], exif=phone_exif())
    assert decode(data).format == "MPO"

    cleaned = clean(data, "DSC_0001.JPG")

    out = decode(cleaned.data)
    assert out.format == "JPEG"
    assert getattr(out, "n_frames", 1) == 1
    assert is_red(out.getpixel((10, 10)))
    assert_no_metadata(cleaned.data)


def swapped_red_blue_profile() -> bytes:
    """An RGB profile whose red and blue primaries are exchanged, so converting
    it to sRGB visibly moves colours (a stand-in for Display P3)."""
    icc = bytearray(srgb_icc())
    count = struct.unpack(">I", icc[128:132])[0]
    entries = {bytes(icc[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    icc[red + 4 : red + 12], icc[blue + 4 : blue + 12] = (
        icc[blue + 4 : blue + 12],
        icc[red + 4 : red + 12],
    )
    wide = "Wide RGB".encode("utf-16-be")
    return bytes(icc).replace(b"sRGB", b"WRGB").replace("sRGB".encode("utf-16-be"), wide[:8])


def test_embedded_profile_is_converted_to_srgb_then_dropped():
    red = Image.new("RGB", (40, 40), (255, 0, 0))
    data = encode(red, "JPEG", quality=95, icc_profile=swapped_red_blue_profile())

    cleaned = clean(data)

    r, g, b = decode(cleaned.data).getpixel((20, 20))
    assert b > 200 and r < 60, (r, g, b)  # the profile said this "red" is blue
    assert_no_metadata(cleaned.data)


def test_srgb_or_broken_profiles_leave_colours_alone():
    red = Image.new("RGB", (40, 40), (255, 0, 0))
    for icc in (srgb_icc(), b"not really a profile" * 10):
        cleaned = clean(encode(red, "JPEG", quality=95, icc_profile=icc))
        assert is_red(decode(cleaned.data).getpixel((20, 20)))


def test_same_upload_gives_same_bytes_and_hash():
    original = loaded_jpeg()
    first, second = clean(original), clean(original, "copy of it.jpg")

    assert first.data == second.data
    assert first.sha256 == second.sha256
    assert len(first.sha256) == 64
    assert first.sha256 == hashlib.sha256(first.data).hexdigest()


def test_a_variant_is_the_same_alone_or_rendered_with_others():
    cleaned = clean(encode(scene((2400, 1800)), "JPEG", quality=90))
    together = render_variants(cleaned.data, VARIANT_SPECS, focal_x=0.3, focal_y=0.6)
    for name in VARIANT_SPECS:
        alone = render_variant(cleaned.data, name, focal_x=0.3, focal_y=0.6)
        assert alone.data == together[name].data, name
