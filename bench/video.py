"""Cleaning a phone clip: video.probe and video.clean against the bare ffprobe and ffmpeg
command lines doing the same work.

A 60-second 1080p clip at 30 fps with sound and a phone's location, make and model
is made with ffmpeg first (once, in BENCH_VIDEO_DIR or a temporary folder). Each side
runs in a process of its own, which reports its wall time and the peak memory of
itself and of ffmpeg (the largest resident set of either). Targets: at most 1.2x the
bare time, and peak memory at most 1.5x the bare one; the clip is never read into
Python's memory whole.

    python bench/video.py

The renditions per platform and the upload throughput come with the rest of the
video work; this measures the cleaning, the step every clip goes through.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECONDS = int(os.environ.get("BENCH_VIDEO_SECONDS", "60"))
TIME_TARGET = 1.2
MEMORY_TARGET = 1.5

# The same work, as a person would type it: read the header, then re-encode.
BARE = """
import json, resource, subprocess, sys, time
source, target = sys.argv[1], sys.argv[2]
start = time.perf_counter()
subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json",
                source], check=True, capture_output=True)
subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-xerror", "-y", "-i", source,
                "-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "-1",
                "-map_metadata:s", "-1", "-map_chapters", "-1", "-c:v", "libx264",
                "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac",
                "-b:a", "128k", "-movflags", "+faststart", "-fflags", "+bitexact",
                "-flags:v", "+bitexact", "-flags:a", "+bitexact", target],
               check=True, capture_output=True)
subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json",
                target], check=True, capture_output=True)
elapsed = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_kb": max(own, children), "python_kb": own}))
"""

OURS = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import video
source, target = Path(sys.argv[1]), Path(sys.argv[2])
start = time.perf_counter()
checked = video.probe(source, max_bytes=500_000_000, max_seconds=180.0, name="IMG_0001.MOV")
cleaned = video.clean(source, target, checked=checked, max_bytes=500_000_000)
elapsed = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_kb": max(own, children), "python_kb": own,
                  "size": cleaned.probe.size, "source_size": checked.size}))
"""


def make_clip(folder: Path) -> Path:
    clip = folder / f"phone-{SECONDS}s-1080p.mov"
    if clip.exists():
        return clip
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(SECONDS), "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "12M",
            "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-metadata", "location=+40.4461-079.9822/",
            "-metadata", "make=Apple", "-metadata", "model=iPhone 15",
            str(clip),
        ],
        check=True,
    )  # fmt: skip
    return clip


def run(script: str, clip: Path, target: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", script, str(clip), str(target), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    found: dict[str, float] = json.loads(done.stdout)
    return found


def main() -> int:
    folder = Path(os.environ.get("BENCH_VIDEO_DIR") or tempfile.mkdtemp(prefix="bench-video-"))
    folder.mkdir(parents=True, exist_ok=True)
    clip = make_clip(folder)
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    bare = [run(BARE, clip, folder / "bare.mp4") for _ in range(rounds)]
    ours = [run(OURS, clip, folder / "ours.mp4") for _ in range(rounds)]
    bare_s = min(r["seconds"] for r in bare)
    ours_s = min(r["seconds"] for r in ours)
    bare_kb = max(r["peak_kb"] for r in bare)
    ours_kb = max(r["peak_kb"] for r in ours)
    time_ratio, memory_ratio = ours_s / bare_s, ours_kb / bare_kb
    print(f"clip={clip.name} seconds={SECONDS} source_mb={ours[0]['source_size'] / 1e6:.1f}")
    print(f"cleaned_mb={ours[0]['size'] / 1e6:.1f} rounds={rounds}")
    print(f"bare_s={bare_s:.2f} ours_s={ours_s:.2f} time_ratio={time_ratio:.3f}")
    print(f"bare_peak_mb={bare_kb / 1024:.0f} ours_peak_mb={ours_kb / 1024:.0f}")
    print(f"ours_python_mb={max(r['python_kb'] for r in ours) / 1024:.0f}")
    print(f"memory_ratio={memory_ratio:.3f}")
    met = time_ratio <= TIME_TARGET and memory_ratio <= MEMORY_TARGET
    verdict = "met" if met else "NOT met"
    print(f"targets: time <= {TIME_TARGET}x, memory <= {MEMORY_TARGET}x: {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
