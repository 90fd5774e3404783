"""Benchmark the photo pipeline on a 12-megapixel phone photo.

    .venv/bin/python bench/images.py

Compares imaging (clean_image + render_variants for every spec) with a
bare Pillow reference that produces the same outputs (same sizes, JPEG
quality and options) the straightforward way, in the same run. Peak memory
is measured in a fresh child process per side, because Pillow's pixel buffers
live in C and are invisible to tracemalloc.

Targets: ours/reference wall time <= 1.3, our peak RSS < 200 MB.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFilter, ImageOps  # noqa: E402
from PIL.ExifTags import GPS, IFD, Base  # noqa: E402

from imaging import (  # noqa: E402
    JPEG_OPTIONS,
    VARIANT_SPECS,
    clean_image,
    render_variants,
)

WIDTH, HEIGHT = 4032, 3024  # a 12-megapixel phone sensor, stored landscape
REPETITIONS = 5
MAX_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 64_000_000
RATIO_TARGET = 1.3
PEAK_RSS_TARGET_MB = 200


def make_phone_jpeg() -> bytes:
    """A phone-like JPEG: smooth light, shapes with edges, sensor grain, full EXIF.

    Flat colour would compress to almost nothing and flatter every encoder;
    this lands in the 3 to 6 MB range of a real 12-megapixel photo.
    """
    size = (WIDTH, HEIGHT)
    light = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
            Image.radial_gradient("L").resize(size),
        ),
    )
    draw = ImageDraw.Draw(light)
    for i in range(40):
        x, y = (i * 397) % WIDTH, (i * 211) % HEIGHT
        colour = ((i * 53) % 256, (i * 97) % 256, (i * 29) % 256)
        draw.ellipse((x, y, x + 300 + i * 7, y + 200 + i * 5), fill=colour)
    # Blotchy mid-frequency texture (fabric, skin, walls) ...
    small = (WIDTH // 16, HEIGHT // 16)
    blotches = Image.frombytes("RGB", small, os.urandom(small[0] * small[1] * 3))
    blotches = blotches.resize(size, Image.Resampling.BICUBIC)
    scene = Image.blend(light, blotches, 0.25).filter(ImageFilter.SMOOTH)
    # ... and fine sensor grain.
    grain = Image.frombytes("RGB", size, os.urandom(WIDTH * HEIGHT * 3))
    scene = Image.blend(scene, grain, 0.06)
    del blotches, grain, light

    exif = Image.Exif()
    exif[Base.Make] = "Apple"
    exif[Base.Model] = "iPhone 15"
    exif[Base.Orientation] = 6  # held upright: stored sideways
    exif[Base.DateTime] = "2026:03:14 09:26:53"
    exif_ifd = exif.get_ifd(IFD.Exif)
    exif_ifd[Base.DateTimeOriginal] = "2026:03:14 09:26:53"
    exif_ifd[Base.BodySerialNumber] = "DNPX1234ABCD"
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef] = "N"
    gps[GPS.GPSLatitude] = (41.0, 52.0, 55.12)
    gps[GPS.GPSLongitudeRef] = "W"
    gps[GPS.GPSLongitude] = (87.0, 37.0, 40.2)
    buf = io.BytesIO()
    scene.save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


def ours(data: bytes) -> list[tuple[int, int, int]]:
    cleaned = clean_image(data, filename="IMG_0001.JPG", max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    variants = render_variants(cleaned.data, VARIANT_SPECS)
    outputs = [(cleaned.width, cleaned.height, len(cleaned.data))]
    return outputs + [(v.width, v.height, len(v.data)) for v in variants.values()]


def reference(data: bytes) -> list[tuple[int, int, int]]:
    """What one would write without thinking about it, for the same outputs."""
    im = Image.open(io.BytesIO(data))
    im = ImageOps.exif_transpose(im).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, "JPEG", **JPEG_OPTIONS)
    outputs = [(im.width, im.height, buf.tell())]
    for spec in VARIANT_SPECS.values():
        frame = ImageOps.fit(im, (spec.width, spec.height), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        frame.save(buf, "JPEG", **JPEG_OPTIONS)
        outputs.append((frame.width, frame.height, buf.tell()))
    return outputs


SIDES = {"ours": ours, "reference": reference}


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(side: str) -> None:
    """Run one side once in this fresh process and report its peak memory."""
    data = sys.stdin.buffer.read()
    baseline = peak_rss_mb()  # interpreter + Pillow + the input bytes
    SIDES[side](data)
    print(f"{baseline:.1f} {peak_rss_mb():.1f}")


def measure_peak(side: str, data: bytes) -> tuple[float, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", side],
        input=data,
        capture_output=True,
        check=True,
        timeout=120,
    )
    baseline, peak = result.stdout.split()
    return float(baseline), float(peak)


def main() -> None:
    t0 = time.perf_counter()
    data = make_phone_jpeg()
    print(f"input={WIDTH}x{HEIGHT} jpeg_bytes={len(data)} exif_orientation=6 gps=yes")

    ours_out, ref_out = ours(data), reference(data)  # warm-up, and a sanity check
    if [o[:2] for o in ours_out] != [r[:2] for r in ref_out]:
        raise SystemExit(f"outputs differ in size: {ours_out} vs {ref_out}")
    print("outputs=" + " ".join(f"{w}x{h}:{n // 1024}KB" for w, h, n in ours_out))

    timings: dict[str, list[float]] = {"ours": [], "reference": []}
    for _ in range(REPETITIONS):
        for side, run in SIDES.items():  # interleaved so drift hits both alike
            start = time.perf_counter()
            run(data)
            timings[side].append((time.perf_counter() - start) * 1000)
    ours_ms = statistics.median(timings["ours"])
    ref_ms = statistics.median(timings["reference"])
    ratio = ours_ms / ref_ms
    print(f"repetitions={REPETITIONS}")
    print(f"ours_ms_median={ours_ms:.0f}")
    print(f"reference_ms_median={ref_ms:.0f}")
    print(f"ratio_ours_over_reference={ratio:.2f}")
    print(f"ratio_target_max={RATIO_TARGET}")

    ours_base, ours_peak = measure_peak("ours", data)
    ref_base, ref_peak = measure_peak("reference", data)
    # The baseline is a fresh interpreter with Pillow, posts.images and the
    # input bytes loaded: what any worker pays before touching a pixel.
    print(f"baseline_rss_mb={ours_base:.0f}")
    print(f"ours_peak_rss_mb={ours_peak:.0f}")
    print(f"ours_peak_above_baseline_mb={ours_peak - ours_base:.0f}")
    print(f"peak_rss_target_max_mb={PEAK_RSS_TARGET_MB}")
    print(f"reference_peak_rss_mb={ref_peak:.0f}")
    print(f"reference_peak_above_baseline_mb={ref_peak - ref_base:.0f}")
    within = ratio <= RATIO_TARGET and ours_peak < PEAK_RSS_TARGET_MB
    print(f"within_targets={'yes' if within else 'no'}")
    print(f"total_s={time.perf_counter() - t0:.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
