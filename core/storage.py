"""Media in S3-compatible object storage: private objects, read as they arrive.

settings.STORAGES names this backend when MEDIA_STORAGE=s3 (agency/settings.py,
"Media storage"); the local folder (FileSystemStorage) is the default. What
differs from django-storages' S3Storage, and why:

- Every object is private: no ACL is sent (the bucket's own policy holds, and
  it must not be public) and any URL the storage makes is pre-signed. These are
  patients' photos; nothing here hands out a bucket URL (the platforms fetch
  from our signed view, posts.media.views.media_signed).
- A name in use is never written over: a new file gets a name of its own, as
  on the local folder. The apps rely on it: a failed block deletes the names it
  wrote (core.files.files_removed_on_failure), and a re-rendered variant
  deletes its old name; with overwriting, either would delete a file another
  row still uses. The folder claims a name atomically (O_EXCL); a bucket has
  no create-if-absent that every provider offers, so two uploads choosing the
  same free name at once (two staff sending "scan.pdf") would both write it,
  one patient's form replacing another's. Every new name therefore carries a
  random part, as the folder gives only to a name already taken.
- A file opened for reading streams from the bucket as it is read
  (`S3Download`). django-storages' own S3File downloads the whole object
  before its first byte, into memory by default: a video served to a platform
  would sit whole in a web worker's memory.
- The client gives up in bounded time, and asks for checksums only where S3
  requires them: botocore's default (a CRC on every request) is refused by
  several S3-compatible providers.
"""

from __future__ import annotations

import io
import posixpath
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError
from django.core.files.base import File
from django.utils.deconstruct import deconstructible
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

# Seconds: a stalled bucket fails a request in bounded time instead of holding
# a web worker or a job; botocore retries what is worth retrying.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
MAX_ATTEMPTS = 3


@deconstructible(path="core.storage.PrivateS3Storage")
class PrivateS3Storage(S3Storage):  # type: ignore[misc]  # django-storages is untyped
    # Class attributes win over django-storages' AWS_* settings and variables,
    # so a stray AWS_DEFAULT_ACL cannot make patients' photos public.
    default_acl = None
    querystring_auth = True
    file_overwrite = False

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if options.get("client_config") is None:
            self.client_config = Config(
                s3={"addressing_style": self.addressing_style or "auto"},
                signature_version=self.signature_version or "s3v4",
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            )

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        folder, filename = posixpath.split(clean_name(name))
        stem, extension = posixpath.splitext(filename)
        unique = posixpath.join(folder, self.get_alternative_name(stem, extension))
        # Django's own loop: another name while taken or too long.
        available: str = super().get_available_name(unique, max_length)
        return available

    def _open(self, name: str, mode: str = "rb") -> File[bytes]:
        if mode != "rb":
            # Writing goes through save(); anything else as django-storages does it.
            opened: File[bytes] = super()._open(name, mode)
            return opened
        return S3Download(self, name)

    def key(self, name: str) -> str:
        """The object's key in the bucket for a stored name."""
        key: str = self._normalize_name(clean_name(name))
        return key

    def get_object(self, name: str) -> dict[str, Any]:
        """GET the object: its metadata and its body, unread. FileNotFoundError if absent."""
        try:
            response: dict[str, Any] = self.connection.meta.client.get_object(
                Bucket=self.bucket_name, Key=self.key(name)
            )
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                raise FileNotFoundError(f"File does not exist: {name}") from None
            raise
        return response

    def put_object(self, name: str, data: bytes) -> None:
        """Write `data` under an existing name, whole or not at all (one PUT)."""
        params = self._get_write_parameters(self.key(name))
        self.bucket.Object(self.key(name)).put(Body=data, **params)


if TYPE_CHECKING:
    _BytesFile = File[bytes]
else:  # File is generic in django-stubs only
    _BytesFile = File


class S3Download(_BytesFile):
    """An object of the bucket, read from the network as it is read here.

    Not seekable: going back to the start (as File.chunks and a second
    FieldFile.open do) asks the bucket again; any other seek is refused.
    Its size is known from the start (FileResponse's Content-Length).
    """

    def __init__(self, storage: PrivateS3Storage, name: str) -> None:
        self._storage = storage
        self._position = 0
        response = storage.get_object(name)
        self._size = int(response["ContentLength"])
        super().__init__(response["Body"], name)

    @property
    def size(self) -> int:
        return self._size

    @property
    def closed(self) -> bool:
        return self.file is None or bool(self.file.closed)

    def read(self, size: int | None = -1) -> bytes:
        body = self.file
        if body is None:
            raise ValueError("read of a closed file")
        data: bytes = body.read() if size is None or size < 0 else body.read(size)
        self._position += len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if (offset, whence) != (0, io.SEEK_SET):
            raise io.UnsupportedOperation("an object read from the bucket goes forward only")
        if self._position:
            self._reopen()
        return 0

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> S3Download:
        if mode not in (None, "rb"):
            raise ValueError("an object read from the bucket is opened with 'rb' only")
        if self.closed or self._position:
            self._reopen()
        return self

    def close(self) -> None:
        if self.file is not None:
            self.file.close()

    def _reopen(self) -> None:
        self.close()
        response = self._storage.get_object(self.name or "")
        self._size = int(response["ContentLength"])
        self.file = response["Body"]
        self._position = 0
