"""MEDIA_STORAGE and MEDIA_S3_*: a half-made object-storage setting stops the start, and
a whole one puts photos and encrypted consent documents into the bucket.

The settings are imported in a process of their own, as the image does
(tests/agency/test_settings.py); the bucket is moto's S3 server on loopback
(tests/media_storage.py).
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.agency.test_settings import _production, _refusal, _run
from tests.media_storage import ACCESS_KEY, REGION, SECRET_KEY

S3 = {
    "MEDIA_STORAGE": "s3",
    "MEDIA_S3_BUCKET": "rounds-media",
    "MEDIA_S3_ENDPOINT_URL": "https://s3.eu-central-003.backblazeb2.com",
    "MEDIA_S3_REGION": "eu-central-003",
    "MEDIA_S3_ACCESS_KEY_ID": "key-id-for-this-bucket",
    "MEDIA_S3_SECRET_ACCESS_KEY": "secret-for-this-bucket",
}


def _without(*names: str, **overrides: str) -> dict[str, str]:
    return {k: v for k, v in S3.items() if k not in names} | overrides


@pytest.mark.parametrize(
    ("environment", "said"),
    [
        (
            _without("MEDIA_S3_BUCKET"),
            "- MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET\n",
        ),
        (
            _without("MEDIA_S3_ACCESS_KEY_ID", "MEDIA_S3_SECRET_ACCESS_KEY"),
            "- MEDIA_STORAGE=s3 needs MEDIA_S3_ACCESS_KEY_ID, MEDIA_S3_SECRET_ACCESS_KEY\n",
        ),
        (
            _without("MEDIA_S3_ENDPOINT_URL", "MEDIA_S3_REGION"),
            "- MEDIA_STORAGE=s3 needs MEDIA_S3_ENDPOINT_URL (the provider's S3 address) "
            "or, on AWS, MEDIA_S3_REGION\n",
        ),
        (
            # The bucket named, but media would still go to the container's disk.
            _without("MEDIA_STORAGE"),
            "- MEDIA_S3_BUCKET, MEDIA_S3_ENDPOINT_URL, MEDIA_S3_REGION, MEDIA_S3_ACCESS_KEY_ID, "
            "MEDIA_S3_SECRET_ACCESS_KEY set, but MEDIA_STORAGE is not s3",
        ),
        (
            {"MEDIA_S3_BUCKET": "rounds-media"},
            "- MEDIA_S3_BUCKET set, but MEDIA_STORAGE is not s3",
        ),
        (
            _without(MEDIA_S3_ENDPOINT_URL="http://s3.example.com"),
            "- MEDIA_S3_ENDPOINT_URL must be https://",
        ),
    ],
    ids=["no-bucket", "no-keys", "nowhere", "not-switched-on", "bucket-alone", "plain-http"],
)
def test_production_refuses_a_half_made_object_storage(tmp_path, environment, said):
    refusal = _refusal(_run(_production(tmp_path, **environment), "check"))
    assert said in refusal


def test_outside_production_a_half_made_object_storage_stops_the_start_too():
    result = _run({"MEDIA_STORAGE": "s3", "MEDIA_S3_BUCKET": "rounds-media"}, "check")
    assert result.returncode != 0
    assert "Media storage: MEDIA_STORAGE=s3 needs MEDIA_S3_ACCESS_KEY_ID" in result.stderr


def test_a_misspelt_choice_names_the_variable():
    result = _run({"MEDIA_STORAGE": "S3 please"}, "check")
    assert result.returncode != 0
    assert "MEDIA_STORAGE must be one of ['filesystem', 's3']" in result.stderr


@pytest.mark.parametrize(
    "environment",
    [
        S3,
        # AWS itself: the region finds it.
        _without("MEDIA_S3_ENDPOINT_URL", MEDIA_S3_REGION="us-east-1"),
        # A bucket server beside the app, on the compose network.
        _without(MEDIA_S3_ENDPOINT_URL="http://minio:9000"),
    ],
    ids=["provider", "aws", "compose-service"],
)
def test_production_starts_with_a_whole_object_storage_setting(tmp_path, environment):
    result = _run(
        _production(tmp_path, **environment), "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stderr


PUT_AND_LIST = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from practices.models import PatientConsent
photo = default_storage.save("media/2026/12/photo.jpg", ContentFile(b"cleaned photo bytes"))
form = PatientConsent._meta.get_field("document").storage.save(
    "consents/2026/12/form.pdf", ContentFile(b"%PDF-1.7 a signed form")
)
print(type(default_storage._wrapped).__name__, type(storages["consent_documents"]).__name__)
"""


def test_production_with_a_bucket_writes_media_and_encrypted_forms_into_it(tmp_path, s3_server):
    # The whole path from the environment: a production start, then a photo and a
    # signed form saved the way the apps save them, found in the bucket.
    bucket = f"rounds-settings-{uuid.uuid4().hex[:12]}"
    s3_server.client.create_bucket(Bucket=bucket)
    environment = _production(
        tmp_path,
        MEDIA_STORAGE="s3",
        MEDIA_S3_BUCKET=bucket,
        MEDIA_S3_ENDPOINT_URL=s3_server.endpoint,  # http to 127.0.0.1: a private address
        MEDIA_S3_REGION=REGION,
        MEDIA_S3_ACCESS_KEY_ID=ACCESS_KEY,
        MEDIA_S3_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    result = _run(environment, "shell", "--no-imports", "-c", PUT_AND_LIST)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["PrivateS3Storage", "EncryptedS3Storage"]
    listed = s3_server.client.list_objects_v2(Bucket=bucket)["Contents"]
    keys = sorted(entry["Key"] for entry in listed)
    # Each name with a random part of its own (core.storage says why).
    assert [re.sub(r"_\w{7}\.", ".", key) for key in keys] == [
        "consents/2026/12/form.pdf",
        "media/2026/12/photo.jpg",
    ]
    client = s3_server.client
    form = client.get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    assert b"%PDF" not in form and form.startswith(b"gAAAAA")  # a Fernet token
    photo = client.get_object(Bucket=bucket, Key=keys[1])["Body"].read()
    assert photo == b"cleaned photo bytes"
    # Private: the objects carry no grant to anyone but the bucket's owner.
    for key in keys:
        grants = client.get_object_acl(Bucket=bucket, Key=key)["Grants"]
        assert not [g for g in grants if "URI" in g["Grantee"]], grants
