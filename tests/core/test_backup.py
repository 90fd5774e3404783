"""manage.py backup and restore: a site's database and media, back into a new database."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from core.backups import key_fingerprint
from practices.models import PatientConsent, SocialAccount
from tests import ROOT, factories
from tests.core.support import connect as _connect
from tests.practices.test_consents import with_pdf

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    # A media folder of this test's own: the run's is shared with other workers.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def _tables(database: str) -> int:
    with _connect(database) as other:
        row = other.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert row is not None
        return int(row[0])


def _manage(
    database: str,
    media: Path,
    *args: str,
    key: str | None = None,
    stdin=None,
    environment: dict[str, str] | None = None,
):
    """manage.py in a process of its own, on `database` and `media`, as a restore runs
    (`environment`: more variables, such as an S3 media storage's)."""
    params = connection.settings_dict
    url = f"postgres://{params['USER']}@{params['HOST'] or 'localhost'}:{params['PORT'] or 5432}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"{url}/{database}",
        "TEST_MEDIA_ROOT": str(media),
        "FIELD_ENCRYPTION_KEY": key or settings.FIELD_ENCRYPTION_KEY,
        "FIELD_ENCRYPTION_OLD_KEYS": "",
        **(environment or {}),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=180,
    )


READ_BACK = """
import hashlib, json
from practices.models import PatientConsent, SocialAccount
from tests import factories
consent = PatientConsent.objects.get(pk={consent})
account = SocialAccount.objects.get(pk={account})
with consent.document.open() as document:
    signed = hashlib.sha256(document.read()).hexdigest()
# The sequences go on after the highest id restored.
later = factories.make_practice("Opened after the restore", slug="after-the-restore")
print(json.dumps({{
    "document": signed,
    "access_token": account.access_token,
    "refresh_token": account.refresh_token,
    "patient": consent.patient_label,
    "later_practice": later.pk,
}}))
"""


def test_a_backup_restored_into_a_new_database_reads_back_documents_and_tokens(
    media, fresh_database, practice, tmp_path
):
    consent = with_pdf(practice, patient_label="Maria G.")
    with consent.document.open() as document:
        signed = hashlib.sha256(document.read()).hexdigest()
    account = factories.make_account(
        practice, "linkedin", access_token="access-7f3a", refresh_token="refresh-91c2"
    )
    photo = media / "library" / "2026" / "tour.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 a cleaned photo \xff\xd9")
    archive = tmp_path / "rounds.tar.gz"

    out = _manage(connection.settings_dict["NAME"], media, "backup", str(archive))
    assert out.returncode == 0, out.stderr
    assert f"fingerprint {key_fingerprint(settings.FIELD_ENCRYPTION_KEY)}" in out.stdout.decode()
    assert archive.stat().st_mode & 0o777 == 0o600
    # The archive holds the document as it lies on disk: encrypted.
    assert b"%PDF" not in archive.read_bytes()

    restored = tmp_path / "restored-media"
    result = _manage(fresh_database, restored, "restore", str(archive))
    assert result.returncode == 0, result.stderr
    assert "Restored" in result.stdout.decode()
    assert (restored / "library" / "2026" / "tour.jpg").read_bytes() == photo.read_bytes()
    assert not (restored / ".restoring").exists()

    script = READ_BACK.format(consent=consent.pk, account=account.pk)
    read = _manage(fresh_database, restored, "shell", "--no-imports", "-c", script)
    assert read.returncode == 0, read.stderr
    back = json.loads(read.stdout)
    assert back["document"] == signed
    assert back["access_token"] == "access-7f3a"
    assert back["refresh_token"] == "refresh-91c2"
    assert back["patient"] == "Maria G."
    assert back["later_practice"] > practice.pk


def test_backup_and_restore_through_a_pipe(media, fresh_database, practice, tmp_path):
    # What `docker compose exec -T web python manage.py backup - > file` does, and back.
    consent = with_pdf(practice)
    made = _manage(connection.settings_dict["NAME"], media, "backup", "-")
    assert made.returncode == 0, made.stderr
    assert made.stdout[:2] == b"\x1f\x8b"  # gzip, on stdout; the summary on stderr
    assert b"Backed up" in made.stderr

    restored = tmp_path / "restored-media"
    result = _manage(fresh_database, restored, "restore", "-", stdin=made.stdout)
    assert result.returncode == 0, result.stderr
    relative = Path(consent.document.path).relative_to(media)
    assert (restored / relative).read_bytes() == Path(consent.document.path).read_bytes()


def test_restore_under_another_key_is_refused_and_changes_nothing(
    media, fresh_database, practice, tmp_path
):
    with_pdf(practice)
    archive = tmp_path / "rounds.tar.gz"
    call_command("backup", str(archive))
    restored = tmp_path / "restored-media"

    other_key = Fernet.generate_key().decode()
    result = _manage(fresh_database, restored, "restore", str(archive), key=other_key)
    assert result.returncode == 1
    said = result.stderr.decode()
    assert "encrypted under a key this site does not have" in said
    assert key_fingerprint(settings.FIELD_ENCRYPTION_KEY) in said
    assert "Traceback" not in said
    assert _tables(fresh_database) == 0
    assert not restored.exists() or not any(restored.iterdir())


def test_a_damaged_archive_leaves_the_new_database_empty(media, fresh_database, practice, tmp_path):
    factories.make_consent(practice)
    archive = tmp_path / "rounds.tar.gz"
    call_command("backup", str(archive))
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    restored = tmp_path / "restored-media"

    result = _manage(fresh_database, restored, "restore", str(cut))
    assert result.returncode == 1
    assert "cut short" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    # The schema and the rows were made in one transaction, rolled back whole.
    assert _tables(fresh_database) == 0
    assert not restored.exists() or not any(restored.iterdir())


def test_restore_never_goes_over_a_live_database(media, practice, settings, tmp_path):
    archive = tmp_path / "rounds.tar.gz"
    call_command("backup", str(archive))
    before = PatientConsent.objects.count(), SocialAccount.objects.count()
    settings.MEDIA_ROOT = str(tmp_path / "empty-media")
    with pytest.raises(CommandError, match=r"is not empty .* never over a live one"):
        call_command("restore", str(archive))
    assert (PatientConsent.objects.count(), SocialAccount.objects.count()) == before


def test_restore_never_goes_over_a_media_folder_in_use(media, fresh_database, tmp_path):
    archive = tmp_path / "rounds.tar.gz"
    call_command("backup", str(archive))
    in_use = tmp_path / "in-use"
    in_use.mkdir()
    (in_use / "photo.jpg").write_bytes(b"a photo")
    result = _manage(fresh_database, in_use, "restore", str(archive))
    assert result.returncode == 1
    assert "is not empty" in result.stderr.decode()
    assert _tables(fresh_database) == 0


def test_a_backup_never_overwrites_a_file(media, tmp_path):
    archive = tmp_path / "rounds.tar.gz"
    archive.write_bytes(b"last week's backup")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(archive))
    assert archive.read_bytes() == b"last week's backup"


def test_something_else_is_not_taken_for_a_backup(media, fresh_database, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not a backup")
    result = _manage(fresh_database, tmp_path / "m", "restore", str(other))
    assert result.returncode == 1
    assert "not a backup made by manage.py backup" in result.stderr.decode()


def test_an_archive_with_a_manifest_of_its_own_making_is_refused(media, fresh_database, tmp_path):
    forged = tmp_path / "forged.tar.gz"
    data = json.dumps({"format": 1}).encode()
    with tarfile.open(forged, "w:gz") as archive:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    result = _manage(fresh_database, tmp_path / "m", "restore", str(forged))
    assert result.returncode == 1
    assert "manifest is incomplete" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    assert _tables(fresh_database) == 0
