"""Media storage in the tests: the media folder, and a bucket on a real S3 API on loopback.

A test that stores or reads media asks for `media_storage`, or its module
says `pytestmark = pytest.mark.usefixtures("media_storage")`: it then runs
twice, `[filesystem]` on a media folder of its own (FileSystemStorage, as
`make run` does) and `[s3]` on a fresh bucket of moto's S3 server, reached
over HTTP on a loopback port like any provider (core.storage.PrivateS3Storage),
with consent documents encrypted into the same place. Only those tests run
twice: the rest of the suite never touches a bucket.

The fixture switches settings.STORAGES for the test. The models' FileFields
follow: their storage is django's default_storage and practices.storage's
stand-in, both of which forget their backend when STORAGES changes.

Tests that start worker processes (the chaos run) stay on the media folder
those inherit (TEST_MEDIA_ROOT, tests/settings.py); `MediaStore.environment`
gives a process of a test's own (manage.py) the same bucket.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REGION = "us-east-1"
# moto takes any key; these are not secrets.
ACCESS_KEY = "rounds-test-key"
SECRET_KEY = "rounds-test-secret"


@dataclass
class S3Server:
    endpoint: str
    client: Any  # a boto3 S3 client, for the tests' own look into the bucket


@dataclass
class MediaStore:
    """Where a test's media went, read as stored (encrypted documents stay encrypted)."""

    kind: str  # "filesystem" or "s3"
    root: Path  # MEDIA_ROOT: the files on the folder; nothing at all with S3
    bucket: str = ""
    server: S3Server | None = None

    def names(self) -> set[str]:
        """Every stored file's name (its key in the bucket)."""
        if self.server is None:
            if not self.root.exists():
                return set()
            return {
                p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()
            }
        pages = self.server.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return {entry["Key"] for page in pages for entry in page.get("Contents", ())}

    def read(self, name: str) -> bytes:
        """A file's bytes as they lie in the storage."""
        if self.server is None:
            return (self.root / name).read_bytes()
        body: bytes = self.server.client.get_object(Bucket=self.bucket, Key=name)["Body"].read()
        return body

    def environment(self) -> dict[str, str]:
        """The variables that give a process of the test's own (manage.py) this storage."""
        if self.server is None:
            return {"MEDIA_STORAGE": "filesystem", "TEST_MEDIA_ROOT": str(self.root)}
        return {
            "MEDIA_STORAGE": "s3",
            "MEDIA_S3_BUCKET": self.bucket,
            "MEDIA_S3_ENDPOINT_URL": self.server.endpoint,
            "MEDIA_S3_REGION": REGION,
            "MEDIA_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "MEDIA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, for the whole run (started when first asked)."""
    import boto3
    from moto.server import ThreadedMotoServer

    # Werkzeug would log every request of the run.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    yield S3Server(endpoint=endpoint, client=client)
    server.stop()


def s3_options(server: S3Server, bucket: str) -> dict[str, Any]:
    """STORAGES options for a bucket on the test server, as agency/settings.py makes them."""
    return {
        "bucket_name": bucket,
        "endpoint_url": server.endpoint,
        "region_name": REGION,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "addressing_style": "path",
    }


@pytest.fixture(params=["filesystem", "s3"])
def media_storage(request, settings, tmp_path) -> Iterator[MediaStore]:
    """The test's media storage: a folder of its own, then a bucket of its own."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    if request.param == "filesystem":
        yield MediaStore(kind="filesystem", root=root)
        return
    server: S3Server = request.getfixturevalue("s3_server")
    bucket = f"rounds-test-{uuid.uuid4().hex[:16]}"
    server.client.create_bucket(Bucket=bucket)
    options = s3_options(server, bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "core.storage.PrivateS3Storage", "OPTIONS": options},
        "consent_documents": {
            "BACKEND": "practices.storage.EncryptedS3Storage",
            "OPTIONS": options,
        },
    }
    settings.MEDIA_STORAGE = "s3"
    store = MediaStore(kind="s3", root=root, bucket=bucket, server=server)
    yield store
    # Nothing went around the storage onto the local disk.
    leaked = sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []
    for name in store.names():
        server.client.delete_object(Bucket=bucket, Key=name)
    server.client.delete_bucket(Bucket=bucket)
    assert not leaked, f"written to MEDIA_ROOT with S3 storage: {leaked}"
