"""Phone video checked before anything is decoded and cleaned of everything but its
pictures and sound, on a corpus this test makes with ffmpeg: the location atoms, the
phone's make and model, a rotation, HEVC, an audio-only MP4, cut-off files, a renamed
PDF, an empty file, another container and codec, a 4K 60 fps clip."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

import video

MB = 1_000_000
LIMITS = {"max_bytes": 500 * MB, "max_seconds": 180.0}
PLACE = "+40.4461-079.9822"
# What a phone writes about itself and the place, in QuickTime's user data atoms
# (©xyz, ©mak, ©mod, ©aut) and in Apple's metadata keys, anywhere in the file.
PRIVATE = [PLACE.encode(), b"\xa9xyz", b"\xa9mak", b"\xa9mod", b"iPhone 15", b"Apple", b"Jo Park"]
KEYS_PRIVATE = [PLACE.encode(), b"ISO6709", b"iPhone 15", b"Apple", b"Jo Park", b"2026-03-04"]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, capture_output=True)


SOURCE = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-f", "lavfi", "-i"]
TONE = "sine=frequency=440:sample_rate=44100"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("videos")
    made = {
        name: folder / name
        for name in (
            "phone.mov",
            "rotated.mov",
            "hevc.mov",
            "audio.mp4",
            "cut.mp4",
            "cut.mov",
            "pdf.mov",
            "empty.mov",
            "other.mkv",
            "mpeg4.mov",
            "uhd60.mp4",
            "keys.mov",
        )
    }
    # A phone clip's tags: where, on what, when, whose; in the atoms QuickTime has
    # always written, and in Apple's newer metadata keys.
    tags = [
        ("location", f"{PLACE}/"),
        ("make", "Apple"),
        ("model", "iPhone 15"),
        ("author", "Jo Park"),
        ("creation_time", "2026-03-04T09:15:00Z"),
    ]
    ffmpeg(
        *SOURCE,
        TONE,
        "-t",
        "2",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        *[part for key, value in tags for part in ("-metadata", f"{key}={value}")],
        str(made["phone.mov"]),
    )
    apple = [
        ("com.apple.quicktime.location.ISO6709", f"{PLACE}+000.000/"),
        ("com.apple.quicktime.make", "Apple"),
        ("com.apple.quicktime.model", "iPhone 15"),
        ("com.apple.quicktime.author", "Jo Park"),
        ("com.apple.quicktime.creationdate", "2026-03-04T09:15:00+0100"),
    ]
    ffmpeg(
        *SOURCE,
        TONE,
        "-t",
        "1",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        *[part for key, value in apple for part in ("-metadata", f"{key}={value}")],
        "-movflags",
        "use_metadata_tags",
        str(made["keys.mov"]),
    )
    # Held sideways: the picture is stored 320 wide and shown turned (a display matrix).
    ffmpeg(
        "-i",
        str(made["phone.mov"]),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        "-movflags",
        "use_metadata_tags",
        str(made["rotated.mov"]),
    )
    ffmpeg(
        *SOURCE,
        TONE,
        "-t",
        "1",
        "-c:v",
        "libx265",
        "-tag:v",
        "hvc1",
        "-c:a",
        "aac",
        "-x265-params",
        "log-level=error",
        str(made["hevc.mov"]),
    )
    ffmpeg("-f", "lavfi", "-i", TONE, "-t", "1", "-c:a", "aac", str(made["audio.mp4"]))
    # Cut off while sending: with its index first (the pictures are missing), and
    # with its index last (there is none).
    whole = folder / "whole.mp4"
    ffmpeg(
        *SOURCE,
        TONE,
        "-t",
        "2",
        "-c:v",
        "libx264",
        "-c:a",
        "aac",
        "-movflags",
        "+faststart",
        str(whole),
    )
    made["cut.mp4"].write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    made["cut.mov"].write_bytes(made["phone.mov"].read_bytes()[:20_000])
    made["pdf.mov"].write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    made["empty.mov"].write_bytes(b"")
    ffmpeg(*SOURCE, TONE, "-t", "1", "-c:v", "libx264", "-c:a", "aac", str(made["other.mkv"]))
    ffmpeg(*SOURCE, TONE, "-t", "1", "-c:v", "mpeg4", "-c:a", "aac", str(made["mpeg4.mov"]))
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=3840x2160:rate=60",
        "-t",
        "0.5",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        str(made["uhd60.mp4"]),
    )
    return made


def test_a_phone_clip_is_probed_from_its_header(corpus):
    found = video.probe(corpus["phone.mov"], **LIMITS, name="IMG_0001.MOV")
    assert (found.width, found.height, found.rotation) == (320, 240, 0)
    assert (found.video_codec, found.audio_codec) == ("h264", "aac")
    assert found.duration == pytest.approx(2.0, abs=0.1)
    assert found.frame_rate == pytest.approx(30.0)
    # The sources do carry what the cleaning must remove.
    assert found.tags["location"].startswith(PLACE) and found.tags["model"] == "iPhone 15"
    data = corpus["phone.mov"].read_bytes()
    assert [marker for marker in PRIVATE if marker not in data] == []
    keys = video.probe(corpus["keys.mov"], **LIMITS)
    assert keys.tags["com.apple.quicktime.location.ISO6709"].startswith(PLACE)
    data = corpus["keys.mov"].read_bytes()
    assert [marker for marker in KEYS_PRIVATE if marker not in data] == []


@pytest.mark.parametrize(("name", "markers"), [("phone.mov", PRIVATE), ("keys.mov", KEYS_PRIVATE)])
def test_cleaning_keeps_pictures_and_sound_and_nothing_else(corpus, tmp_path, name, markers):
    checked = video.probe(corpus[name], **LIMITS)
    cleaned = video.clean(
        corpus[name], tmp_path / "clean.mp4", checked=checked, max_bytes=LIMITS["max_bytes"]
    )
    result = cleaned.probe
    assert (result.video_codec, result.audio_codec) == ("h264", "aac")
    assert result.duration == pytest.approx(checked.duration, abs=0.1)
    data = cleaned.path.read_bytes()
    assert [marker for marker in markers if marker in data] == []
    assert not {key for key in result.tags if "location" in key or "apple" in key}
    assert "creation_time" not in result.tags
    # The moov atom first, so that a platform can start reading at once.
    assert data.index(b"moov") < data.index(b"mdat")


def test_the_rotation_is_applied_to_the_pictures(corpus, tmp_path):
    checked = video.probe(corpus["rotated.mov"], **LIMITS)
    assert (checked.width, checked.height, checked.rotation) == (240, 320, 270)
    cleaned = video.clean(
        corpus["rotated.mov"],
        tmp_path / "upright.mp4",
        checked=checked,
        max_bytes=LIMITS["max_bytes"],
    )
    assert (cleaned.probe.width, cleaned.probe.height, cleaned.probe.rotation) == (240, 320, 0)


def test_hevc_and_4k_at_60_fps_are_taken(corpus, tmp_path):
    hevc = video.probe(corpus["hevc.mov"], **LIMITS)
    assert hevc.video_codec == "hevc"
    cleaned = video.clean(
        corpus["hevc.mov"], tmp_path / "hevc.mp4", checked=hevc, max_bytes=LIMITS["max_bytes"]
    )
    assert cleaned.probe.video_codec == "h264"
    uhd = video.probe(corpus["uhd60.mp4"], **LIMITS)
    assert (uhd.width, uhd.height, uhd.frame_rate, uhd.audio_codec) == (3840, 2160, 60.0, None)


@pytest.mark.parametrize(
    ("name", "limits", "code", "message"),
    [
        ("empty.mov", {}, "empty", "“clip.mov” is empty (0 bytes). Please choose the video again."),
        (
            "phone.mov",
            {"max_bytes": 10_000},
            "too_large",
            "“clip.mov” is {size} kB; a video can be at most 10 kB.",
        ),
        (
            "pdf.mov",
            {},
            "not_a_video",
            "“clip.mov” is not a video we can read (or it was cut off while sending).",
        ),
        (
            "cut.mov",
            {},
            "not_a_video",
            "“clip.mov” is not a video we can read (or it was cut off while sending).",
        ),
        ("audio.mp4", {}, "no_video", "“clip.mov” has sound but no picture: please send a video."),
        (
            "other.mkv",
            {},
            "unsupported_format",
            "“clip.mov” is a Matroska / WebM we do not take: please send the MOV or MP4 "
            "the phone recorded.",
        ),
        (
            "mpeg4.mov",
            {},
            "unsupported_codec",
            "“clip.mov” is encoded as mpeg4; we take H.264 and HEVC (H.265), what phones record.",
        ),
        (
            "phone.mov",
            {"max_seconds": 1.0},
            "too_long",
            "“clip.mov” is 2 s long; a video can be at most 1 s.",
        ),
    ],
)
def test_every_refusal_says_why(corpus, name, limits, code, message):
    with pytest.raises(video.VideoRejected) as refused:
        video.probe(corpus[name], **{**LIMITS, **limits}, name="clip.mov")
    assert refused.value.code == code
    size = round(corpus[name].stat().st_size / 1000)
    assert refused.value.message == message.format(size=size)


def test_a_clip_cut_off_after_its_index_is_refused_when_cleaned(corpus, tmp_path):
    # Its header reads fine; its pictures are missing.
    checked = video.probe(corpus["cut.mp4"], **LIMITS)
    target = tmp_path / "cut-clean.mp4"
    with pytest.raises(video.VideoRejected) as refused:
        video.clean(corpus["cut.mp4"], target, checked=checked, max_bytes=LIMITS["max_bytes"])
    assert refused.value.code == "damaged"
    assert "damaged" in refused.value.message and not target.exists()


def test_the_poster_frame_is_an_upright_jpeg(corpus, tmp_path):
    target = tmp_path / "cover.jpg"
    video.poster_frame(corpus["rotated.mov"], target, at=1.0)
    with Image.open(target) as cover:
        assert cover.format == "JPEG" and cover.size == (240, 320)
    with pytest.raises(video.VideoRejected):
        video.poster_frame(corpus["pdf.mov"], tmp_path / "none.jpg", at=0.0)
    assert not (tmp_path / "none.jpg").exists()


@pytest.mark.parametrize(("name", "markers"), [("phone.mov", PRIVATE), ("keys.mov", KEYS_PRIVATE)])
def test_stripping_copies_the_streams_and_drops_the_metadata(corpus, tmp_path, name, markers):
    checked = video.probe(corpus[name], **LIMITS)
    target = tmp_path / "stripped.mov"
    stripped = video.strip(corpus[name], target, checked=checked)
    # Copied, not decoded: the same codecs and length, none of the phone's tags.
    assert (stripped.video_codec, stripped.audio_codec) == ("h264", "aac")
    assert stripped.duration == pytest.approx(checked.duration, abs=0.1)
    assert [marker for marker in markers if marker in target.read_bytes()] == []
    assert not {key for key in stripped.tags if "location" in key or "apple" in key}


def test_stripping_keeps_hevc_and_the_rotation_for_the_worker(corpus, tmp_path):
    rotated = video.probe(corpus["rotated.mov"], **LIMITS)
    kept = video.strip(corpus["rotated.mov"], tmp_path / "r.mov", checked=rotated)
    assert (kept.width, kept.height, kept.rotation) == (240, 320, 270)
    hevc = video.probe(corpus["hevc.mov"], **LIMITS)
    assert video.strip(corpus["hevc.mov"], tmp_path / "h.mov", checked=hevc).video_codec == "hevc"


def test_a_clip_cut_off_after_its_index_is_refused_when_stripped(corpus, tmp_path):
    checked = video.probe(corpus["cut.mp4"], **LIMITS, name="tour.mp4")
    target = tmp_path / "cut.mov"
    with pytest.raises(video.VideoRejected) as refused:
        video.strip(corpus["cut.mp4"], target, checked=checked, name="tour.mp4")
    assert refused.value.code == "damaged"
    assert refused.value.message.startswith("“tour.mp4” ")
    assert "cut off while sending" in refused.value.message and not target.exists()


def test_4k_at_60_fps_comes_out_1080p_at_30_and_smaller_still_for_x(corpus, tmp_path):
    uhd = video.probe(corpus["uhd60.mp4"], **LIMITS)
    master = video.clean(corpus["uhd60.mp4"], tmp_path / "m.mp4", checked=uhd, max_bytes=MB * 500)
    assert (master.probe.width, master.probe.height) == (1920, 1080)
    assert master.probe.frame_rate == pytest.approx(30.0)
    for_x = video.clean(
        master.path,
        tmp_path / "x.mp4",
        checked=master.probe,
        max_bytes=MB * 500,
        rendition=video.FOR_X,
    )
    assert (for_x.probe.width, for_x.probe.height) == (1280, 720)
    # A small clip is never enlarged; an upright one keeps its orientation.
    rotated = video.probe(corpus["rotated.mov"], **LIMITS)
    small = video.clean(
        corpus["rotated.mov"],
        tmp_path / "s.mp4",
        checked=rotated,
        max_bytes=MB * 500,
        rendition=video.FOR_X,
    )
    assert (small.probe.width, small.probe.height) == (240, 320)
