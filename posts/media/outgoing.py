"""What the platform clients are handed of a post's photos or video, as each wants them.

Photos are rendered for the platform's frame (posts.media.photos); a video goes
as its cleaned master, or X's smaller file (posts.media.videos), read from
storage a part at a time. Google's local posts take no video: the video's
cover photo goes instead.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db.models.fields.files import FieldFile

import imaging
from core import files
from platforms import video_rules
from platforms.base import MediaItem
from posts.media import photos, videos
from posts.media.photos import signed_variant_url, variant_content_type, variant_for
from posts.models import MediaAsset, MediaVariant, Post, PostMedia

logger = logging.getLogger(__name__)


class MediaUnavailable(Exception):
    """A post's photo or video could not be prepared for a platform; the message says why."""


class LocalCopies:
    """Videos as files a client can seek in (it resumes an upload from a saved offset).

    Where the storage is a folder, the stored file itself; in object storage, which
    reads forward only, a copy made on first use in a private scratch folder that
    `local_copies` removes when the attempt ends.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def opener(self, field_file: FieldFile) -> Callable[[], BinaryIO]:
        storage, name = field_file.storage, files.stored_name(field_file)
        try:
            local = Path(storage.path(name))
        except NotImplementedError:
            local = None
        if local is not None:
            found = local
            return lambda: found.open("rb")
        copy = self.folder / name.replace("/", "_")

        def open_copy() -> BinaryIO:
            if not copy.exists():
                partial = copy.with_name(copy.name + ".part")
                with storage.open(name, "rb") as stored, partial.open("wb") as out:
                    shutil.copyfileobj(stored, out, videos.COPY_BYTES)
                partial.rename(copy)
            return copy.open("rb")

        return open_copy


@contextmanager
def local_copies() -> Iterator[LocalCopies]:
    """Where a publishing attempt keeps its videos' copies, removed when it ends."""
    base = Path(settings.FILE_UPLOAD_TEMP_DIR)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix="outgoing-") as folder:
        yield LocalCopies(Path(folder))


def media_items(
    post: Post,
    platform: str,
    *,
    attachments: list[PostMedia] | None = None,
    copies: LocalCopies | None = None,
) -> tuple[MediaItem, ...]:
    """The post's photos (or its video) for this platform (Post.photos_for), in order.

    Each photo is a rendered variant (crop and size for the platform) with an
    absolute signed URL, which Instagram and Google fetch themselves, and its
    bytes, which the other platforms upload. A video is never read whole:
    the client opens it and reads one part at a time. Text-only posts need
    none of it. `attachments`: Post.attachments() when the caller has just
    read them. `copies`: where a video is read from (local_copies); the publishing
    attempt passes one, without it a video can be read only from the start.
    """
    if attachments is None:
        attachments = post.attachments()
    attachments = post.photos_for(platform, attachments)
    if not attachments:
        return ()
    clips = [attachment for attachment in attachments if attachment.asset.is_video]
    if clips:
        return (_video_item(clips[0].asset, platform, copies),)
    return tuple(
        _photo_item(attachment.asset, platform, attachment.position) for attachment in attachments
    )


def _photo_item(
    asset: MediaAsset, platform: str, position: int, *, through: MediaAsset | None = None
) -> MediaItem:
    """`through`: the video whose cover this photo is; its signed URL names the video, so
    that the cover is public exactly while the video is."""
    spec = imaging.PLATFORM_VARIANT[platform]
    try:
        variant = variant_for(asset, spec)
        url = (
            signed_variant_url(asset=through, spec=spec)
            if through is not None
            else signed_variant_url(variant)
        )
        with variant.file.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError, LookupError) as error:
        logger.warning("media variant failed for asset %s: %s", asset.pk, type(error).__name__)
        raise MediaUnavailable(
            f"photo {position + 1} could not be prepared for {platform}"
        ) from error
    return MediaItem(
        url=url,
        data=data,
        content_type=variant_content_type(files.stored_name(variant.file)),
        alt_text=asset.alt_text,
    )


def _video_item(clip: MediaAsset, platform: str, copies: LocalCopies | None) -> MediaItem:
    if not clip.is_ready:
        raise MediaUnavailable(
            "the video is still being prepared"
            if clip.status == MediaAsset.Status.PROCESSING
            else f"the video could not be prepared ({clip.problem})"
        )
    if platform in video_rules.COVER_INSTEAD:
        if clip.poster is None:
            raise MediaUnavailable("the video has no cover photo to send instead")
        return _photo_item(clip.poster, platform, 0, through=clip)
    if platform == "x":
        rendition = MediaVariant.objects.filter(asset=clip, spec=videos.FOR_X).first()
        if rendition is None:
            raise MediaUnavailable("X's rendering of the video is missing")
        field, width, height, size = (
            rendition.file,
            rendition.width,
            rendition.height,
            rendition.size_bytes,
        )
        url = signed_variant_url(asset=clip, spec=videos.FOR_X)
    else:
        field, width, height, size = clip.file, clip.width, clip.height, clip.size_bytes
        url = signed_variant_url(asset=clip, spec=photos.ORIGINAL)
    if copies is not None:
        open_file = copies.opener(field)
    else:
        storage, name = field.storage, files.stored_name(field)

        def open_file() -> BinaryIO:
            return storage.open(name, "rb")  # type: ignore[return-value]

    cover = ""
    if clip.poster is not None:
        # Named through the video: the cover is public while the video is.
        cover = signed_variant_url(asset=clip, spec=MediaVariant.COVER)
    return MediaItem(
        url=url,
        content_type="video/mp4",
        open=open_file,
        size=size,
        duration=clip.duration or 0.0,
        width=width,
        height=height,
        cover_url=cover,
        alt_text=clip.alt_text,
    )
