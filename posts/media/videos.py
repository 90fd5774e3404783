"""Videos, the Django side: checking an upload, storing it, and the media worker's work.

`video` does the ffmpeg work without Django; this module decides what is
written where and when. The rules it keeps (compliance rules, section 3, as
for photos):

- In the request, nothing is decoded: the size comes from the file system,
  the format, codecs, length and rotation from the container's header
  (`video.probe`), and the limits (settings.MAX_VIDEO_BYTES,
  MAX_VIDEO_SECONDS) are checked before anything else. The streams are then
  copied, undecoded, into a file with none of the phone's metadata
  (`video.strip`), and only that copy is stored (`incoming`): what we keep
  never holds the place it was shot, the phone or its owner's name.
- The media worker (queue `media`, `prepare`) re-encodes it into the master
  (1080p, 30 fps: Instagram, Facebook, LinkedIn), renders the smaller file X
  takes, and takes a poster frame through the photo cleaning. A clip it
  cannot clean is marked failed with the reason, shown on the tip and in the
  editor.
- Every temporary copy lives in the private upload folder
  (settings.FILE_UPLOAD_TEMP_DIR) and is removed when the step ends.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import django_rq
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

import imaging
import video
from core import files
from core.models import User
from imaging import ImageRejected
from posts.media import editing, photos
from posts.models import MediaAsset, MediaVariant
from practices.models import Practice

logger = logging.getLogger(__name__)

QUEUE = "media"
# The smaller rendering X takes (video.FOR_X); Instagram, Facebook and LinkedIn
# take the master itself (MediaAsset.file).
FOR_X = MediaVariant.FOR_X
VIDEO_ACCEPT = "video/mp4,video/quicktime,.mov,.mp4,.m4v"
# A video still being prepared this long after it came in lost its job (Redis
# restarted, the worker was killed): the sweep queues it again.
STALLED_AFTER_SECONDS = 20 * 60
COPY_BYTES = 1024 * 1024


def limits_in_words() -> dict[str, str]:
    """The video limits for forms' help texts: "500 MB", "3 minutes"."""
    seconds = settings.MAX_VIDEO_SECONDS
    length = f"{seconds // 60} minute{'s' if seconds // 60 != 1 else ''}"
    if seconds % 60:
        length = f"{seconds} seconds"
    return {
        "max_video_size": video.megabytes(settings.MAX_VIDEO_BYTES),
        "max_video_length": length,
    }


def _probe(path: Path, name: str = "") -> video.Probe:
    return video.probe(
        path,
        max_bytes=settings.MAX_VIDEO_BYTES,
        max_seconds=settings.MAX_VIDEO_SECONDS,
        name=name,
    )


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """A private folder for one step's copies, removed with everything in it."""
    base = Path(settings.FILE_UPLOAD_TEMP_DIR)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix="video-") as folder:
        yield Path(folder)


# -- in the request: checked, stripped, stored ---------------------------------------


@dataclass
class CheckedVideo:
    """An upload that is a video we take, its metadata already dropped: `path`, a
    temporary file that `discard()` (or storing it) removes."""

    path: Path
    probe: video.Probe
    sha256: str
    name: str

    def discard(self) -> None:
        shutil.rmtree(self.path.parent, ignore_errors=True)


def check_upload(upload: UploadedFile[bytes]) -> CheckedVideo:
    """The upload checked from its header and copied without metadata; VideoRejected if it
    is not a video we take (then nothing is kept)."""
    name = getattr(upload, "name", "") or ""
    claimed = getattr(upload, "size", None)
    if claimed is not None and claimed > settings.MAX_VIDEO_BYTES:
        # Refused from the upload's own count, before it is even copied.
        raise video.VideoRejected(
            f"“{name or 'The file'}” is {video.megabytes(claimed)}; a video can be at most "
            f"{video.megabytes(settings.MAX_VIDEO_BYTES)}.",
            code="too_large",
        )
    base = Path(settings.FILE_UPLOAD_TEMP_DIR)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=base, prefix="video-"))
    try:
        source = _local_copy(upload, folder)
        checked = _probe(source, name)
        target = folder / "stripped.mov"
        stripped = video.strip(source, target, checked=checked, name=name)
        source.unlink(missing_ok=True)
        return CheckedVideo(path=target, probe=stripped, sha256=_sha256(target), name=name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _local_copy(upload: UploadedFile[bytes], folder: Path) -> Path:
    """A path ffprobe can read: Django's own temporary file, or the small upload written
    out (uploads under FILE_UPLOAD_MAX_MEMORY_SIZE stay in memory)."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        return Path(temporary())
    target = folder / "upload"
    upload.seek(0)
    with target.open("wb") as out:
        for chunk in upload.chunks(COPY_BYTES):
            out.write(chunk)
    return target


def store_checked(*, practice: Practice, checked: CheckedVideo, by: User | None) -> MediaAsset:
    """Store a checked video for a practice (or return the one already stored) and queue
    its cleaning once the transaction commits. Call inside files_removed_on_failure."""
    existing = MediaAsset.objects.filter(practice=practice, sha256=checked.sha256).first()
    if existing is not None:
        return existing
    found = checked.probe
    asset = MediaAsset(
        practice=practice,
        kind=MediaAsset.Kind.VIDEO,
        status=MediaAsset.Status.PROCESSING,
        content_type="video/mp4",
        width=found.width,
        height=found.height,
        duration=found.duration,
        size_bytes=found.size,
        sha256=checked.sha256,
        uploaded_by=by if by is not None and by.is_authenticated else None,
    )
    name = _save_path(asset.incoming, f"{checked.sha256[:20]}.mov", checked.path)
    asset.incoming.name = name
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError:
        files.delete_quietly(asset.incoming.storage, name)
        winner = MediaAsset.objects.filter(practice=practice, sha256=checked.sha256).first()
        if winner is None:
            raise
        return winner
    transaction.on_commit(lambda: enqueue(asset.pk, duration=found.duration))
    return asset


def _save_path(field_file: FieldFile, name: str, path: Path) -> str:
    """Write a file from disk through a FileField's storage, streamed (never read whole);
    removed again if the surrounding block fails."""
    with path.open("rb") as handle:
        return files.save_stream(field_file, name, File(handle))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(COPY_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def enqueue(asset_id: int, *, duration: float) -> None:
    """Queue the cleaning; if Redis is down the sweep (requeue_stalled) brings it back."""
    timeout = int(video.PROBE_SECONDS * 3 + video.ENCODE_SECONDS_PER_SECOND * duration * 2)
    try:
        # By name: the jobs module sits above this one (posts.jobs imports it).
        django_rq.get_queue(QUEUE).enqueue(
            "posts.jobs.prepare_video",
            asset_id,
            job_timeout=timeout,
            result_ttl=0,
            failure_ttl=24 * 60 * 60,
            description=f"prepare video {asset_id}",
        )
    except Exception:
        logger.exception("could not queue video %s; the sweep will", asset_id)


def requeue_stalled() -> int:
    """Videos still being prepared long after they came in: queue them again."""
    cutoff = timezone.now() - timedelta(seconds=STALLED_AFTER_SECONDS)
    stalled = list(
        MediaAsset.objects.filter(
            kind=MediaAsset.Kind.VIDEO,
            status=MediaAsset.Status.PROCESSING,
            created_at__lt=cutoff,
        ).values_list("pk", "duration")
    )
    for pk, duration in stalled:
        enqueue(pk, duration=duration or settings.MAX_VIDEO_SECONDS)
    return len(stalled)


# -- in the media worker: cleaned, rendered, its cover taken ---------------------------


def prepare(asset_id: int) -> str:
    """Clean a stored video into its master, render X's file, take its poster frame.

    Runs again harmlessly: a video that is no longer being prepared is
    skipped, and a run killed halfway leaves it as it was (the next run, or
    the sweep's, starts over from `incoming`).
    """
    asset = MediaAsset.objects.filter(pk=asset_id, kind=MediaAsset.Kind.VIDEO).first()
    if asset is None or asset.status != MediaAsset.Status.PROCESSING or not asset.incoming:
        return "skipped"
    with _scratch() as folder:
        source = folder / "incoming.mov"
        _download(asset.incoming, source)
        try:
            checked = _probe(source)
            master = video.clean(
                source, folder / "master.mp4", checked=checked, max_bytes=settings.MAX_VIDEO_BYTES
            )
            source.unlink()
            for_x = video.clean(
                master.path,
                folder / "x.mp4",
                checked=master.probe,
                max_bytes=settings.MAX_VIDEO_BYTES,
                rendition=video.FOR_X,
            )
            at = default_cover_moment(master.probe.duration)
            cover = _cover_from(master.path, folder / "cover.jpg", at=at)
        except (video.VideoRejected, ImageRejected) as rejected:
            fail(asset, rejected.message)
            return "failed"
        with files.files_removed_on_failure(), transaction.atomic():
            locked = MediaAsset.objects.select_for_update().get(pk=asset.pk)
            if locked.status != MediaAsset.Status.PROCESSING:
                return "skipped"
            poster = photos.store_cleaned(practice=locked.practice, cleaned=cover, by=None)
            locked.file.name = _save_path(locked.file, f"{locked.sha256[:20]}.mp4", master.path)
            variant = MediaVariant(asset=locked, spec=FOR_X, focal_x=0.5, focal_y=0.5)
            variant.file.name = _save_path(
                variant.file, f"{locked.sha256[:20]}-{FOR_X}.mp4", for_x.path
            )
            variant.width, variant.height = for_x.probe.width, for_x.probe.height
            variant.size_bytes = for_x.path.stat().st_size
            MediaVariant.objects.filter(asset=locked, spec=FOR_X).delete()
            variant.save()
            incoming = locked.incoming.name
            locked.incoming.name = ""
            locked.status = MediaAsset.Status.READY
            locked.problem = ""
            locked.width, locked.height = master.probe.width, master.probe.height
            locked.duration = master.probe.duration
            locked.size_bytes = master.path.stat().st_size
            locked.poster, locked.poster_at = poster, at
            locked.save()
            if incoming:
                files.delete_on_commit(locked.incoming.storage, incoming)
    return "ready"


def fail(asset: MediaAsset, message: str) -> None:
    """The clip could not be cleaned: said where people look, its upload dropped."""
    with transaction.atomic():
        locked = MediaAsset.objects.select_for_update().get(pk=asset.pk)
        if locked.status != MediaAsset.Status.PROCESSING:
            return
        incoming = locked.incoming.name
        locked.status = MediaAsset.Status.FAILED
        locked.problem = message[:500]
        locked.incoming.name = ""
        locked.save(update_fields=["status", "problem", "incoming"])
        if incoming:
            files.delete_on_commit(locked.incoming.storage, incoming)


def default_cover_moment(duration: float) -> float:
    """A second in (past the first frames, often dark or blurred), or the middle of a
    shorter clip."""
    return round(min(1.0, duration / 2), 3)


def _cover_from(source: Path, target: Path, *, at: float) -> imaging.CleanedImage:
    video.poster_frame(source, target, at=at)
    return imaging.clean_image(
        target.read_bytes(),
        filename="cover.jpg",
        max_bytes=settings.MAX_PHOTO_BYTES,
        max_pixels=settings.MAX_PHOTO_PIXELS,
    )


def _download(field_file: FieldFile, target: Path) -> None:
    """A stored file copied to the local disk in chunks (ffmpeg reads a path)."""
    storage = field_file.storage
    with storage.open(files.stored_name(field_file), "rb") as stored, target.open("wb") as out:
        shutil.copyfileobj(stored, out, COPY_BYTES)


def take_cover(asset_id: int, at: float) -> str:
    """The strategist chose another moment of the clip for its cover (media worker)."""
    asset = MediaAsset.objects.filter(pk=asset_id, kind=MediaAsset.Kind.VIDEO).first()
    if asset is None or not asset.is_ready:
        return "skipped"
    at = max(0.0, min(at, (asset.duration or 0.0) - 0.05))
    with _scratch() as folder:
        source = folder / "master.mp4"
        _download(asset.file, source)
        try:
            cover = _cover_from(source, folder / "cover.jpg", at=at)
        except (video.VideoRejected, ImageRejected):
            logger.warning("no cover could be taken from video %s", asset.pk)
            return "failed"
    with files.files_removed_on_failure(), transaction.atomic():
        poster = photos.store_cleaned(practice=asset.practice, cleaned=cover, by=None)
        editing.set_cover(asset, poster, at=at)
    return "ready"


def queue_cover(asset: MediaAsset, at: float) -> None:
    """Take the cover at `at` seconds in the media worker (the master is read whole)."""
    django_rq.get_queue(QUEUE).enqueue(
        "posts.jobs.take_video_cover",
        asset.pk,
        float(at),
        job_timeout=video.PROBE_SECONDS * 4,
        result_ttl=0,
        failure_ttl=24 * 60 * 60,
        description=f"cover of video {asset.pk}",
    )
