"""The photo pipeline: what goes in is a phone photo full of metadata, what comes
out is pixels only. Every test file is made here with Pillow; nothing binary is
committed. No database is touched."""

from __future__ import annotations

import hashlib
import io
import math
import random
import struct
import time
import warnings
import zlib

import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageFile, ImageStat
from PIL.ExifTags import GPS, IFD, Base
from PIL.PngImagePlugin import PngInfo

from imaging import (
    JPEG_OPTIONS,
    PLATFORM_VARIANT,
    VARIANT_SPECS,
    CleanedImage,
    ImageRejected,
    clean_image,
    crop_box,
    render_variant,
    render_variants,
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


@pytest.fixture(scope="session")
def _postgresql_only():
    """Overrides the suite's session check: these tests use no database, so
    they run (fast) without a PostgreSQL server."""


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


# --------------------------------------------------------------------------
# Metadata


def test_phone_jpeg_loses_every_kind_of_metadata():
    original = loaded_jpeg()
    # The test file really carries all of it (so this test can fail).
    source = decode(original)
    assert source.getexif().get_ifd(IFD.GPSInfo)
    assert source.getexif().get_ifd(IFD.Exif)[Base.BodySerialNumber] == SERIAL
    assert {"xmp", "comment", "icc_profile", "photoshop"} <= set(source.info)
    for needle in (SERIAL.encode(), b"GPS", b"\x25\x88", b"xmpmeta", COMMENT, IPTC_CAPTION):
        assert needle in original

    cleaned = clean(original)

    assert cleaned.content_type == "image/jpeg"
    assert cleaned.extension == "jpg"
    assert (cleaned.width, cleaned.height) == (640, 480)
    assert decode(cleaned.data).size == (640, 480)
    assert_no_metadata(cleaned.data)


def test_every_variant_is_free_of_metadata():
    cleaned = clean(loaded_jpeg(size=(1800, 1350)))
    variants = render_variants(cleaned.data, VARIANT_SPECS)
    assert set(variants) == set(VARIANT_SPECS)
    for variant in variants.values():
        assert variant.content_type == "image/jpeg"
        assert_no_metadata(variant.data)


def test_icc_text_and_png_text_chunks_are_dropped():
    png_info = PngInfo()
    png_info.add_text("Comment", COMMENT.decode())
    png_info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    rgba = scene((300, 200)).convert("RGBA")
    rgba.putpixel((0, 0), (0, 0, 0, 0))  # some transparency: stays PNG
    data = encode(rgba, "PNG", pnginfo=png_info, exif=phone_exif(), icc_profile=srgb_icc())
    assert {b"tEXt", b"iTXt", b"eXIf", b"iCCP"} <= {kind for kind, _ in png_chunks(data)}

    cleaned = clean(data, "logo.png")

    assert cleaned.content_type == "image/png"
    assert_no_metadata(cleaned.data)


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


# --------------------------------------------------------------------------
# Variants


def test_large_photo_gets_every_frame_at_its_exact_size():
    cleaned = clean(encode(scene((2400, 1800)), "JPEG", quality=90))
    for name, variant in render_variants(cleaned.data, VARIANT_SPECS).items():
        spec = VARIANT_SPECS[name]
        assert (variant.width, variant.height) == (spec.width, spec.height), name
        assert decode(variant.data).size == (spec.width, spec.height)
        assert variant.spec == name


def test_small_photo_is_never_upscaled():
    cleaned = clean(encode(scene((500, 400)), "JPEG", quality=90))
    for name, variant in render_variants(cleaned.data, VARIANT_SPECS).items():
        spec = VARIANT_SPECS[name]
        assert variant.width <= 500 and variant.height <= 400, name
        assert variant.width < spec.width, name
        # Same frame shape, to the pixel.
        assert abs(variant.width * spec.height / spec.width - variant.height) <= 1, name
        assert decode(variant.data).size == (variant.width, variant.height)
    assert render_variant(cleaned.data, "instagram_square").width == 400


def test_focal_point_keeps_the_subject_in_the_crop():
    im = Image.new("RGB", (1200, 600), (128, 128, 128))
    ImageDraw.Draw(im).ellipse((960, 240, 1080, 360), fill=(255, 0, 0))  # subject at right
    cleaned = clean(encode(im, "JPEG", quality=95))

    centred = render_variant(cleaned.data, "instagram_square")
    on_subject = render_variant(cleaned.data, "instagram_square", focal_x=0.85, focal_y=0.5)

    assert red_pixels(decode(centred.data)) == 0
    assert red_pixels(decode(on_subject.data)) > 1000


@pytest.mark.parametrize("size", [(3264, 2448), (2448, 3264)], ids=["landscape", "portrait"])
def test_reduced_scale_decoding_looks_the_same_as_full_lanczos(size):
    # Landscape takes libjpeg's half-scale decode, portrait the shared
    # box-filter reduce. Either may differ from a plain full-resolution
    # Lanczos by far less than the JPEG encoding of the result itself does.
    cleaned = clean(encode(scene(size, seed=3), "JPEG", quality=92))
    full = decode(cleaned.data)
    for name, variant in render_variants(cleaned.data, VARIANT_SPECS, focal_x=0.3).items():
        spec = VARIANT_SPECS[name]
        box = crop_box(full.width, full.height, spec.width, spec.height, 0.3, 0.5)
        exact = full.resize((spec.width, spec.height), Image.Resampling.LANCZOS, box=box)
        exact_as_jpeg = decode(encode(exact, "JPEG", **JPEG_OPTIONS))
        assert psnr(decode(variant.data), exact) > psnr(exact_as_jpeg, exact) - 1.0, name


def test_transparent_photo_gives_png_variants():
    im = scene((1300, 1000)).convert("RGBA")
    ImageDraw.Draw(im).rectangle((0, 0, 1300, 200), fill=(0, 0, 0, 0))
    cleaned = clean(encode(im, "PNG"), "logo.png")

    variant = render_variant(cleaned.data, "instagram_square")

    assert variant.content_type == "image/png"
    out = decode(variant.data)
    assert out.mode == "RGBA" and out.size == (1000, 1000)
    assert out.getpixel((500, 5))[3] == 0
    assert_no_metadata(variant.data)


def test_unknown_spec_or_focal_point_outside_the_photo_is_refused():
    cleaned = clean(encode(scene((200, 100)), "JPEG"))
    with pytest.raises(ValueError, match="unknown variant"):
        render_variant(cleaned.data, "tiktok")
    with pytest.raises(ValueError, match="focal point"):
        render_variant(cleaned.data, "x", focal_x=1.5)


@pytest.mark.parametrize(
    ("args", "box"),
    [
        ((4000, 3000, 1080, 1080, 0.5, 0.5), (500, 0, 3500, 3000)),
        ((4000, 3000, 1080, 1080, 0.0, 0.5), (0, 0, 3000, 3000)),  # held at the left edge
        ((4000, 3000, 1080, 1080, 1.0, 0.5), (1000, 0, 4000, 3000)),  # and at the right
        ((4000, 3000, 1080, 1080, 0.4, 0.9), (100, 0, 3100, 3000)),
        ((3000, 4000, 1600, 900, 0.5, 0.5), (0, 1156, 3000, 2844)),
        ((3000, 4000, 1600, 900, 0.5, 0.1), (0, 0, 3000, 1688)),
        ((3000, 4000, 1600, 900, 0.5, 0.8), (0, 2312, 3000, 4000)),
        ((1200, 900, 1200, 900, 0.2, 0.7), (0, 0, 1200, 900)),  # same ratio: whole photo
        ((10, 10, 1600, 900, 0.5, 0.5), (0, 2, 10, 8)),
    ],
)
def test_crop_box(args, box):
    assert crop_box(*args) == box


def test_crop_box_keeps_the_target_ratio_and_is_the_largest():
    for width, height in [(4032, 3024), (3024, 4032), (1000, 1000), (640, 481)]:
        for spec in VARIANT_SPECS.values():
            left, top, right, bottom = crop_box(width, height, spec.width, spec.height, 0.5, 0.5)
            box_w, box_h = right - left, bottom - top
            assert box_w == width or box_h == height  # touches two opposite edges
            assert abs(box_w / box_h - spec.width / spec.height) < 0.01


def test_crop_box_refuses_a_focal_point_outside_the_frame():
    for fx, fy in [(-0.1, 0.5), (0.5, 1.01), (float("nan"), 0.5)]:
        with pytest.raises(ValueError):
            crop_box(100, 100, 10, 10, fx, fy)


def test_specs_and_platform_defaults_fit_together():
    platforms = {"facebook", "instagram", "linkedin", "x", "google_business"}
    assert set(PLATFORM_VARIANT) == platforms
    assert {spec.platform for spec in VARIANT_SPECS.values()} == platforms
    for platform, name in PLATFORM_VARIANT.items():
        assert VARIANT_SPECS[name].platform == platform
    for name, spec in VARIANT_SPECS.items():
        assert spec.name == name and spec.label
        if spec.platform == "instagram":  # the API refuses anything outside 4:5 .. 1.91:1
            assert 0.8 <= spec.width / spec.height <= 1.91 + 0.005
            assert 320 <= spec.width <= 1440


def test_noisy_variants_stay_under_the_smallest_platform_limit():
    # Facebook Page photos must be under 4 MB; pure noise is the worst case.
    noise = Image.frombytes("RGB", (1600, 900), random.Random(9).randbytes(1600 * 900 * 3))
    cleaned = clean(encode(noise, "PNG"), "noise.png")
    for variant in render_variants(cleaned.data, VARIANT_SPECS).values():
        assert len(variant.data) < 4 * MB


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
