"""The media storage itself, on the media folder and on an S3 bucket (tests/media_storage.py):
private objects, names never written over, reading as the bytes arrive, a failed delete
logged, and the platforms' signed URL streamed in chunks from either."""

from __future__ import annotations

import io
import logging
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage, storages

from core import files
from core.storage import PrivateS3Storage, S3Download
from posts.media import photos as media
from posts.models import MediaAsset
from tests.media_storage import s3_options
from tests.posts.media.support import on_post, path

pytestmark = pytest.mark.django_db


def test_a_name_in_use_is_never_written_over(media_storage):
    # The apps delete the names a failed block wrote, and a variant's old name:
    # with overwriting, either would take a file another row still uses.
    first = default_storage.save("media/2026/12/photo.jpg", ContentFile(b"first"))
    second = default_storage.save("media/2026/12/photo.jpg", ContentFile(b"second"))
    assert first != second
    assert media_storage.names() == {first, second}
    assert (media_storage.read(first), media_storage.read(second)) == (b"first", b"second")


@pytest.mark.parametrize("media_storage", ["s3"], indirect=True)
def test_the_s3_storage_writes_into_the_bucket_and_nothing_is_public(media_storage):
    name = default_storage.save("media/2026/12/photo.jpg", ContentFile(b"a patient's photo"))
    assert isinstance(default_storage._wrapped, PrivateS3Storage)
    assert media_storage.names() == {name}
    assert media_storage.server is not None
    client = media_storage.server.client
    grants = client.get_object_acl(Bucket=media_storage.bucket, Key=name)["Grants"]
    # The owner's grant only: none to AllUsers or AuthenticatedUsers (a URI grantee).
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert "URI" not in grants[0]["Grantee"]
    # Any URL the storage makes is pre-signed, never the bare object's address.
    assert "Signature=" in default_storage.url(name) or "X-Amz-Signature=" in (
        default_storage.url(name)
    )


def test_a_stored_file_is_read_as_its_bytes_arrive(media_storage):
    data = os.urandom(600_000)
    name = default_storage.save("media/2026/12/clip.bin", ContentFile(data))
    with default_storage.open(name, "rb") as stored:
        assert stored.size == len(data)
        chunks = list(stored.chunks(files.CHUNK_BYTES))
    assert [len(c) for c in chunks] == [262_144, 262_144, 75_712]
    assert b"".join(chunks) == data
    if media_storage.kind == "s3":
        # From the network as it is read: never downloaded whole first.
        with default_storage.open(name, "rb") as stored:
            assert isinstance(stored, S3Download) and not stored.seekable()
            assert stored.read(10) == data[:10] and stored.tell() == 10
            with pytest.raises(io.UnsupportedOperation):
                stored.seek(5)
            stored.seek(0)  # asks the bucket again
            assert stored.read() == data


def test_a_missing_file_is_file_not_found_on_either(media_storage):
    with pytest.raises(FileNotFoundError):
        default_storage.open("media/2026/12/gone.jpg", "rb")
    assert not default_storage.exists("media/2026/12/gone.jpg")
    # Deleting what is not there is not an error either.
    default_storage.delete("media/2026/12/gone.jpg")


def test_a_delete_the_bucket_does_not_take_is_logged_not_raised(s3_server, caplog):
    # No server answers on this port: the delete fails (BotoCoreError) after
    # botocore's retries, and what called it carries on.
    unreachable = PrivateS3Storage(
        **(s3_options(s3_server, "rounds-media") | {"endpoint_url": _dead_url()})
    )
    with caplog.at_level(logging.WARNING, logger="core.files"):
        files.delete_quietly(unreachable, "media/2026/12/photo.jpg")
    assert "could not delete media file media/2026/12/photo.jpg" in caplog.text


def test_a_delete_the_folder_refuses_is_logged_not_raised(tmp_path, caplog):
    folder = FileSystemStorage(location=tmp_path)
    folder.save("media/2026/12/photo.jpg", ContentFile(b"x"))
    with caplog.at_level(logging.WARNING, logger="core.files"):
        # A folder that holds a file cannot be deleted: OSError.
        files.delete_quietly(folder, "media/2026/12")
    assert "could not delete media file media/2026/12: OSError" in caplog.text


def test_consent_documents_follow_the_media_storage(media_storage):
    backend = type(storages["consent_documents"]).__name__
    assert (
        backend
        == {"filesystem": "EncryptedFileSystemStorage", "s3": "EncryptedS3Storage"}[
            media_storage.kind
        ]
    )


def _dead_url() -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# -- what the platforms fetch ---------------------------------------------------------


@pytest.fixture
def large_asset(practice, media_storage):
    """A 1.5 MB file as a photo's cleaned original, on a post going out."""
    data = os.urandom(1_500_000)
    name = default_storage.save("media/2026/12/large.jpg", ContentFile(data))
    asset = MediaAsset.objects.create(
        practice=practice,
        file=name,
        content_type="image/jpeg",
        width=4000,
        height=3000,
        size_bytes=len(data),
        sha256="f" * 64,
    )
    on_post(asset)
    return asset, data


def test_the_signed_url_streams_the_file_in_chunks_with_its_length(
    client, large_asset, media_storage
):
    asset, data = large_asset
    response = client.get(path(media.signed_variant_url(asset=asset, spec=media.ORIGINAL)))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(data))
    assert response["Cache-Control"] == "no-store"
    chunks = list(response.streaming_content)
    assert len(chunks) == 6 and max(map(len, chunks)) == files.CHUNK_BYTES
    assert b"".join(chunks) == data


def test_a_signed_url_whose_file_is_gone_is_404_and_empty(client, large_asset, media_storage):
    asset, _data = large_asset
    default_storage.delete(asset.file.name)
    response = client.get(path(media.signed_variant_url(asset=asset, spec=media.ORIGINAL)))
    assert response.status_code == 404
    assert response.content == b""


@pytest.mark.parametrize("media_storage", ["s3"], indirect=True)
def test_two_uploads_of_one_name_at_once_both_keep_their_bytes(media_storage):
    # The folder claims a name atomically; a bucket cannot, so no two new files
    # ever start from the same free name there.
    names = {default_storage.get_available_name("consents/2026/12/scan.pdf") for _ in range(20)}
    assert len(names) == 20
    assert all(n.startswith("consents/2026/12/scan_") and n.endswith(".pdf") for n in names)
