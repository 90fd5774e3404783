"""Backups of a site whose media are in an S3 bucket (MEDIA_STORAGE=s3): the database
alone, the bucket keeping the media; and a backup with media files is not restored there.

The bucket is moto's S3 server on loopback (tests/media_storage.py); manage.py runs in
processes of its own, given the bucket through the environment.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest
from django.core.management import call_command
from django.db import connection

from tests import factories
from tests.core.test_backup import READ_BACK, _manage, _tables
from tests.practices.test_consents import with_pdf

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.parametrize("media_storage", ["s3"], indirect=True),
]


def test_the_backup_holds_the_database_alone_and_says_where_the_media_are(
    media_storage, practice, tmp_path
):
    consent = with_pdf(practice)
    archive = tmp_path / "rounds.tar.gz"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "no media: they are in object storage (MEDIA_STORAGE=s3)" in out.getvalue()
    with tarfile.open(archive) as backup:
        names = backup.getnames()
        manifest = json.load(backup.extractfile("manifest.json"))
    assert manifest["media"] == "object storage" and manifest["files"] == 0
    assert not [name for name in names if name.startswith("media/")]
    assert media_storage.names() == {consent.document.name}  # the bucket as it was


def test_a_backup_with_media_files_is_not_restored_into_a_site_on_a_bucket(
    media_storage, fresh_database, practice, tmp_path
):
    folder = tmp_path / "folder-media"
    photo = folder / "media" / "2026" / "12" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"a cleaned photo")
    archive = tmp_path / "rounds.tar.gz"
    made = _manage(
        connection.settings_dict["NAME"],
        folder,
        "backup",
        str(archive),
        environment={"MEDIA_STORAGE": "filesystem"},
    )
    assert made.returncode == 0, made.stderr

    result = _manage(
        fresh_database,
        tmp_path / "restored-media",
        "restore",
        str(archive),
        environment=media_storage.environment(),
    )
    said = result.stderr.decode()
    assert result.returncode == 1, said
    assert "this backup holds media files, but this site keeps media in object storage" in said
    assert "Traceback" not in said
    assert _tables(fresh_database) == 0
    assert media_storage.names() == set()


def test_a_site_on_a_bucket_comes_back_from_its_backup_and_its_bucket(
    media_storage, fresh_database, practice, tmp_path
):
    consent = with_pdf(practice, patient_label="Maria G.")
    with consent.document.open() as document:
        signed = hashlib.sha256(document.read()).hexdigest()
    account = factories.make_account(
        practice, "linkedin", access_token="access-7f3a", refresh_token="refresh-91c2"
    )
    bucket = media_storage.environment()
    archive = tmp_path / "rounds.tar.gz"
    made = _manage(
        connection.settings_dict["NAME"], tmp_path / "m", "backup", str(archive), environment=bucket
    )
    assert made.returncode == 0, made.stderr

    result = _manage(fresh_database, tmp_path / "m", "restore", str(archive), environment=bucket)
    assert result.returncode == 0, result.stderr
    assert "The backup's media are in object storage" in result.stdout.decode()
    script = READ_BACK.format(consent=consent.pk, account=account.pk)
    read = _manage(
        fresh_database, tmp_path / "m", "shell", "--no-imports", "-c", script, environment=bucket
    )
    assert read.returncode == 0, read.stderr
    back = json.loads(read.stdout)
    # The signed form, read from the bucket by the restored site, with the same key.
    assert back["document"] == signed
    assert back["access_token"] == "access-7f3a"
