"""Photos too large for memory wait for cleaning in a private folder of ours, and
are gone when the request ends, whatever the outcome.

Django writes an upload over FILE_UPLOAD_MAX_MEMORY_SIZE (5 MB) to a temporary
file as it arrives: the photo as the phone took it, GPS position and all.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core import files
from posts.models import MediaAsset, Tip
from practices.models import Membership
from tests import ROOT
from tests import media_samples as samples

STAFF_HOME = reverse("staff_home")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def large_photo() -> bytes:
    """A real photo over the in-memory limit: noise does not compress."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (1500, 1300), os.urandom(1500 * 1300 * 3)).save(buffer, "PNG")
    data = buffer.getvalue()
    assert len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    return data


@pytest.fixture
def upload_dir(settings, tmp_path):
    """This test's own upload folder, made as start-up makes the real one."""
    folder = files.prepare_upload_dir(tmp_path / "var" / "uploads")
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return folder


@pytest.fixture
def staff_client(client, staff, practice):
    Membership.objects.filter(user=staff).update(policy_confirmed_at=timezone.now())
    client.force_login(staff)
    return client


def test_the_upload_folder_is_ours_and_private():
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    assert folder == Path(settings.VAR_DIR) / "uploads"
    assert folder.is_dir()
    assert mode(folder) == 0o700


def test_a_large_photo_waits_in_the_private_folder_and_is_gone_after_the_request(
    staff_client, upload_dir, large_photo
):
    # What the folder holds while the tip is being stored, in the request.
    seen: list[list[tuple[str, int]]] = []

    def look(**kwargs):
        seen.append([("".join(p.suffixes), mode(p)) for p in upload_dir.iterdir()])

    post_save.connect(look, sender=MediaAsset, weak=False)
    try:
        response = staff_client.post(
            STAFF_HOME,
            {"kind": "team", "photos": [samples.upload("big.png", large_photo, "image/png")]},
        )
    finally:
        post_save.disconnect(look, sender=MediaAsset)
    assert response.status_code == 302
    assert Tip.objects.count() == 1 and MediaAsset.objects.count() == 1
    # Django's temporary file, readable by this process's user only.
    assert seen == [[(".upload.png", 0o600)]]
    assert list(upload_dir.iterdir()) == []
    assert mode(upload_dir) == 0o700


def test_a_large_photo_in_a_refused_tip_is_gone_after_the_request(
    staff_client, upload_dir, large_photo
):
    response = staff_client.post(
        STAFF_HOME,
        {
            "kind": "not-a-kind",
            "text": "A tip the form refuses.",
            "photos": [samples.upload("big.png", large_photo, "image/png")],
        },
    )
    assert response.status_code == 200
    assert "Your tip was not sent yet." in response.text
    (uploaded,) = response.context["form"].files.getlist("photos")
    assert isinstance(uploaded, TemporaryUploadedFile)
    written = Path(uploaded.temporary_file_path())
    assert written.parent == upload_dir
    assert not written.exists()
    assert list(upload_dir.iterdir()) == []
    assert Tip.objects.count() == 0 and MediaAsset.objects.count() == 0


def test_a_large_photo_through_the_tip_link_is_gone_after_the_request(
    client, practice, upload_dir, large_photo
):
    tip_link = reverse("tip_link", args=[practice.tip_link_token])
    data = {
        "submitter_name": "Sam Nurse",
        "submitter_email": "sam@clinic.example",
        "kind": "team",
        "text": "The new waiting room.",
        "policy_confirmed": "on",
        "photos": [samples.upload("big.png", large_photo, "image/png")],
    }
    assert client.post(tip_link, data).status_code == 302
    assert Tip.objects.get().photos.count() == 1
    assert list(upload_dir.iterdir()) == []


def test_start_up_makes_the_folder_private_and_removes_what_a_killed_process_left(tmp_path):
    var = tmp_path / "var"
    uploads = var / "uploads"
    uploads.mkdir(parents=True)
    uploads.chmod(0o755)
    left = uploads / "tmpabc.upload.jpg"
    left.write_bytes(b"a photo with its GPS position")
    an_hour_ago = time.time() - files.STALE_UPLOAD_SECONDS - 60
    os.utime(left, (an_hour_ago, an_hour_ago))
    in_use = uploads / "tmpdef.upload.jpg"  # another process's request, right now
    in_use.write_bytes(b"being uploaded")

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings", "VAR_DIR": str(var)}
    env.pop("DJANGO_ENV", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert mode(uploads) == 0o700
    assert not left.exists()
    assert in_use.exists()

    fresh = tmp_path / "elsewhere" / "var"
    env["VAR_DIR"] = str(fresh)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert mode(fresh / "uploads") == 0o700
