"""Each platform's rendition: its crop around the focal point, size and quality."""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageDraw

from imaging import (
    JPEG_OPTIONS,
    PLATFORM_VARIANT,
    VARIANT_SPECS,
    crop_box,
    render_variant,
    render_variants,
)
from tests.imaging.support import (
    MB,
    assert_no_metadata,
    clean,
    decode,
    encode,
    psnr,
    red_pixels,
    scene,
)

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
