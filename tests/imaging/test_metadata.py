"""What comes out of cleaning is pixels only: no EXIF, GPS, XMP, IPTC, comments or serials."""

from __future__ import annotations

from PIL.ExifTags import IFD, Base
from PIL.PngImagePlugin import PngInfo

from imaging import (
    VARIANT_SPECS,
    render_variants,
)
from tests.imaging.support import (
    COMMENT,
    IPTC_CAPTION,
    SERIAL,
    XMP,
    assert_no_metadata,
    clean,
    decode,
    encode,
    loaded_jpeg,
    phone_exif,
    png_chunks,
    scene,
    srgb_icc,
)

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
