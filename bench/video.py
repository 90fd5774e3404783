"""Video: the whole preparation of a phone clip, and uploading one, against the bare
command lines and the bare HTTP loop doing the same work.

1. Preparing. A 60-second 1080p clip at 30 fps with sound and a phone's location,
   make and model is made with ffmpeg first (once, in BENCH_VIDEO_DIR or a
   temporary folder). Ours is what a clip goes through: in the request, video.probe
   and video.strip (streams copied, no metadata); in the media worker, video.clean
   into the master (1080p, 30 fps: Instagram, Facebook, LinkedIn), the X rendition
   from it (video.FOR_X) and the poster frame. The bare side runs the same ffprobe
   and ffmpeg command lines one after the other. Each side runs in a process of its
   own, which reports its wall time and the peak memory of itself and of ffmpeg (the
   largest resident set of either). Targets: at most 1.2x the bare time, peak memory
   at most 1.5x; the clip is never read into Python's memory whole.

2. Uploading. A 200 MB video goes to the sandbox's X (in a process of its own, on
   loopback) through platforms.x.XClient.publish: initialize, 4 MB appends read one
   at a time from disk, finalize, status, then the post. The bare side is a
   requests loop making the same calls. Target: our throughput at least 0.8x the
   bare one.

    python bench/video.py
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECONDS = int(os.environ.get("BENCH_VIDEO_SECONDS", "60"))
UPLOAD_MB = int(os.environ.get("BENCH_UPLOAD_MB", "200"))
TIME_TARGET = 1.2
MEMORY_TARGET = 1.5
THROUGHPUT_TARGET = 0.8

# The same work, as a person would type it: read the header, copy the streams without
# metadata, then the master, the X file and the poster frame.
BARE = """
import json, resource, subprocess, sys, time
source, folder = sys.argv[1], sys.argv[2]
probe = ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json"]
drop = ["-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "-1", "-map_metadata:s", "-1",
        "-map_chapters", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
        "-flags:a", "+bitexact"]
def encode(src, dst, side, kbps):
    frame = (f"scale=w='if(gte(iw,ih),min({side},iw),-2)':h='if(gte(iw,ih),-2,min({side},ih))'"
             ":force_divisible_by=2")
    rate = ["-maxrate", f"{kbps}k", "-bufsize", f"{kbps * 2}k"] if kbps else []
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-xerror", "-y", "-i", src, *drop,
                    "-vf", frame, "-fpsmax", "30", "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "20", "-pix_fmt", "yuv420p", *rate, "-c:a", "aac", "-b:a", "128k",
                    "-ar", "48000", "-movflags", "+faststart", dst],
                   check=True, capture_output=True)
    subprocess.run([*probe, dst], check=True, capture_output=True)
start = time.perf_counter()
subprocess.run([*probe, source], check=True, capture_output=True)
stripped, master = folder + "/bare-stripped.mov", folder + "/bare-master.mp4"
subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", source, *drop, "-c", "copy",
                "-f", "mov", stripped], check=True, capture_output=True)
subprocess.run([*probe, stripped], check=True, capture_output=True)
encode(stripped, master, 1920, None)
encode(master, folder + "/bare-x.mp4", 1280, 5000)
subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", "1.000", "-i", master,
                "-frames:v", "1", "-map_metadata", "-1", "-q:v", "2", folder + "/bare-cover.jpg"],
               check=True, capture_output=True)
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
source, folder = Path(sys.argv[1]), Path(sys.argv[2])
start = time.perf_counter()
checked = video.probe(source, max_bytes=500_000_000, max_seconds=180.0, name="IMG_0001.MOV")
stripped = video.strip(source, folder / "ours-stripped.mov", checked=checked)
master = video.clean(folder / "ours-stripped.mov", folder / "ours-master.mp4", checked=stripped,
                     max_bytes=500_000_000)
for_x = video.clean(master.path, folder / "ours-x.mp4", checked=master.probe,
                    max_bytes=500_000_000, rendition=video.FOR_X)
video.poster_frame(master.path, folder / "ours-cover.jpg", at=1.0)
elapsed = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_kb": max(own, children), "python_kb": own,
                  "source_size": checked.size, "master_size": master.probe.size,
                  "x_size": for_x.probe.size, "master": [master.probe.width, master.probe.height],
                  "x": [for_x.probe.width, for_x.probe.height]}))
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


def make_upload(folder: Path) -> Path:
    """A real MP4 of about UPLOAD_MB (the sandbox reads what arrives with ffprobe)."""
    upload = folder / f"upload-{UPLOAD_MB}mb.mp4"
    if upload.exists():
        return upload
    seconds = max(4, round(UPLOAD_MB / 3.8))  # 40 Mbps of noise: about 3.8 MB a second
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
            # Noise: pictures that do not compress, so the file has the size asked.
            "-vf", "noise=alls=80:allf=t+u",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
            "-b:v", "40M", "-minrate", "40M", "-maxrate", "40M", "-bufsize", "2M",
            "-movflags", "+faststart", str(upload),
        ],
        check=True,
    )  # fmt: skip
    return upload


def run(script: str, clip: Path, folder: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", script, str(clip), str(folder), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    found: dict[str, object] = json.loads(done.stdout)
    return found


def preparing(folder: Path, rounds: int) -> bool:
    clip = make_clip(folder)
    bare = [run(BARE, clip, folder) for _ in range(rounds)]
    ours = [run(OURS, clip, folder) for _ in range(rounds)]
    bare_s = min(float(r["seconds"]) for r in bare)  # type: ignore[arg-type]
    ours_s = min(float(r["seconds"]) for r in ours)  # type: ignore[arg-type]
    bare_kb = max(float(r["peak_kb"]) for r in bare)  # type: ignore[arg-type]
    ours_kb = max(float(r["peak_kb"]) for r in ours)  # type: ignore[arg-type]
    python_kb = max(float(r["python_kb"]) for r in ours)  # type: ignore[arg-type]
    first = ours[0]
    time_ratio, memory_ratio = ours_s / bare_s, ours_kb / bare_kb
    print("== preparing a clip: probe, strip, master, X rendition, poster frame ==")
    print(f"clip={clip.name} seconds={SECONDS} source_mb={float(first['source_size']) / 1e6:.1f}")  # type: ignore[arg-type]
    print(
        f"master={first['master']} master_mb={float(first['master_size']) / 1e6:.1f} "  # type: ignore[arg-type]
        f"x={first['x']} x_mb={float(first['x_size']) / 1e6:.1f} rounds={rounds}"  # type: ignore[arg-type]
    )
    print(f"bare_s={bare_s:.2f} ours_s={ours_s:.2f} time_ratio={time_ratio:.3f}")
    print(f"bare_peak_mb={bare_kb / 1024:.0f} ours_peak_mb={ours_kb / 1024:.0f}")
    print(f"ours_python_mb={python_kb / 1024:.0f} memory_ratio={memory_ratio:.3f}")
    met = time_ratio <= TIME_TARGET and memory_ratio <= MEMORY_TARGET
    verdict = "met" if met else "NOT met"
    print(f"targets: time <= {TIME_TARGET}x, memory <= {MEMORY_TARGET}x: {verdict}")
    return met


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str) -> None:
    import requests

    for _ in range(100):
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"the sandbox did not start at {url}")


def bare_upload(base: str, token: str, upload: Path, chunk: int) -> str:
    """The same calls as XClient's video upload, in a plain requests loop."""
    import requests

    http = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    size = upload.stat().st_size
    started = http.post(
        f"{base}/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": size, "media_category": "tweet_video"},
        headers=headers,
        timeout=60,
    )
    started.raise_for_status()
    media_id = started.json()["data"]["id"]
    with upload.open("rb") as handle:
        index = 0
        while part := handle.read(chunk):
            http.post(
                f"{base}/2/media/upload/{media_id}/append",
                data={"segment_index": str(index)},
                files={"media": ("blob", part, "application/octet-stream")},
                headers=headers,
                timeout=60,
            ).raise_for_status()
            index += 1
    http.post(
        f"{base}/2/media/upload/{media_id}/finalize", headers=headers, timeout=300
    ).raise_for_status()
    while True:
        status = http.get(
            f"{base}/2/media/upload",
            params={"command": "STATUS", "media_id": media_id},
            headers=headers,
            timeout=60,
        ).json()
        state = ((status.get("data") or {}).get("processing_info") or {}).get("state")
        if state in (None, "succeeded"):
            break
        time.sleep(0.05)
    created = http.post(
        f"{base}/2/tweets",
        json={"text": f"Bare {time.time()}", "media": {"media_ids": [media_id]}},
        headers=headers,
        timeout=60,
    )
    created.raise_for_status()
    return str(created.json()["data"]["id"])


def uploading(folder: Path, rounds: int) -> bool:
    import requests

    from platforms import Account, ClientConfig, MediaItem, PublishRequest
    from platforms.base import HOST_ROLES
    from platforms.x import XClient

    upload = make_upload(folder)
    port = free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/_sandbox/ledger")
        requests.post(f"{url}/_sandbox/reset", json={"seed": 1}, timeout=10).raise_for_status()
        account_id = "3000001"
        token = requests.post(
            f"{url}/_sandbox/tokens", json={"platform": "x", "account": account_id}, timeout=10
        ).json()["access_token"]
        config = ClientConfig(
            hosts={role: f"{url}/{role}" for role in HOST_ROLES},
            graph_version="v25.0",
            linkedin_version="202601",
            connect_timeout=3.0,
            read_timeout=300.0,
            client_id="rounds-bench",
            client_secret="sandbox-secret",  # noqa: S106 (the sandbox's placeholder)
            poll_interval=0.05,
            poll_attempts=200,
        )
        client = XClient(config)
        size = upload.stat().st_size
        item = MediaItem(
            url="",
            content_type="video/mp4",
            open=lambda: upload.open("rb"),
            size=size,
            duration=max(4, round(UPLOAD_MB / 3.8)),
            width=1280,
            height=720,
        )
        bare_s, ours_s = [], []
        for n in range(rounds):
            start = time.perf_counter()
            bare_upload(f"{url}/x_api", token, upload, client.chunk_size)
            bare_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            client.publish(
                Account(account_id, token), PublishRequest(text=f"Ours {n}", media=(item,))
            )
            ours_s.append(time.perf_counter() - start)
    finally:
        sandbox.terminate()
        sandbox.wait()
    megabytes = size / 1e6
    bare_rate, ours_rate = megabytes / min(bare_s), megabytes / min(ours_s)
    ratio = ours_rate / bare_rate
    print("== uploading to X (the sandbox on loopback): initialize, appends, finalize, post ==")
    print(f"upload_mb={megabytes:.0f} chunk_mb={client.chunk_size / 2**20:.0f} rounds={rounds}")
    print(f"bare_s={min(bare_s):.2f} ours_s={min(ours_s):.2f}")
    print(
        f"bare_mb_per_s={bare_rate:.0f} ours_mb_per_s={ours_rate:.0f} throughput_ratio={ratio:.3f}"
    )
    met = ratio >= THROUGHPUT_TARGET
    print(f"target: throughput >= {THROUGHPUT_TARGET}x: {'met' if met else 'NOT met'}")
    return met


def main() -> int:
    folder = Path(os.environ.get("BENCH_VIDEO_DIR") or tempfile.mkdtemp(prefix="bench-video-"))
    folder.mkdir(parents=True, exist_ok=True)
    rounds = int(os.environ.get("BENCH_ROUNDS", "2"))
    prepared = preparing(folder, rounds)
    uploaded = uploading(folder, rounds)
    return 0 if prepared and uploaded else 1


if __name__ == "__main__":
    raise SystemExit(main())
