"""A phone video sent with a tip: checked from its header in the request, stored with no
metadata, cleaned and rendered by the media worker; every refusal says why and keeps
nothing."""

from __future__ import annotations

from pathlib import Path

import django_rq
import pytest

from posts.media import videos
from posts.models import MediaAsset, MediaVariant, Tip
from tests import media_samples as samples
from tests.posts.intake.support import LINK_TIP, STAFF_HOME, SUCCESS, link
from tests.publishing_support import work

# Each test twice: media in a folder, then in a bucket (tests/media_storage.py).
pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.usefixtures("media_storage")]


@pytest.fixture
def staff_client(client, staff, practice):
    from django.utils import timezone

    from practices.models import Membership

    Membership.objects.filter(user=staff).update(policy_confirmed_at=timezone.now())
    client.force_login(staff)
    return client


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    return Path(settings.FILE_UPLOAD_TEMP_DIR)


@pytest.fixture
def media_queue():
    queue = django_rq.get_queue(videos.QUEUE)
    queue.empty()
    yield queue
    queue.empty()


def stored_bytes(store) -> list[bytes]:
    return [store.read(name) for name in sorted(store.names())]


def leftovers(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def send(staff_client, clip, **fields):
    return staff_client.post(
        STAFF_HOME,
        {"kind": "team", "text": "A tour of the new wing", "video": clip, **fields},
        follow=True,
    )


def test_the_tip_form_takes_a_video(staff_client):
    page = staff_client.get(STAFF_HOME).content.decode()
    assert 'name="video"' in page and f'accept="{videos.VIDEO_ACCEPT}"' in page
    assert "up to 500 MB and 3 minutes" in page


def test_a_video_tip_is_stored_without_metadata_then_cleaned_by_the_media_worker(
    staff_client, media_storage, upload_dir, media_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(staff_client, samples.video())
    assert SUCCESS in response.content.decode()
    tip = Tip.objects.get()
    clip = tip.photos.get()
    assert (clip.kind, clip.status) == (MediaAsset.Kind.VIDEO, MediaAsset.Status.PROCESSING)
    assert (clip.width, clip.height) == (320, 240) and clip.duration == pytest.approx(2, abs=0.1)
    # What is stored while it waits carries neither the place nor the phone.
    kept = stored_bytes(media_storage)
    assert len(kept) == 1 and not [m for m in samples.VIDEO_PRIVATE if m in kept[0]]
    assert leftovers(upload_dir) == []
    assert media_queue.count == 1

    page = staff_client.get(tip.get_absolute_url()).content.decode()
    assert "The video is being prepared" in page

    with django_capture_on_commit_callbacks(execute=True):
        work(videos.QUEUE)
    clip.refresh_from_db()
    assert clip.status == MediaAsset.Status.READY and not clip.incoming
    assert clip.file.name.endswith(".mp4") and clip.content_type == "video/mp4"
    with clip.file.open("rb") as cleaned:
        data = cleaned.read()
    assert not [m for m in samples.VIDEO_PRIVATE if m in data]
    assert data.index(b"moov") < data.index(b"mdat")
    # Its cover: a frame, cleaned as a photo; X's own smaller file.
    assert clip.poster is not None and clip.poster.kind == MediaAsset.Kind.PHOTO
    assert clip.poster_at == pytest.approx(1.0)
    x_file = MediaVariant.objects.get(asset=clip, spec=videos.FOR_X)
    assert (x_file.width, x_file.height) == (320, 240)
    # The upload waiting for the worker is gone: the master, X's file and the cover.
    assert len(stored_bytes(media_storage)) == 3
    assert leftovers(upload_dir) == []

    page = staff_client.get(tip.get_absolute_url()).content.decode()
    assert f'src="/media/{clip.pk}/original/"' in page or "<video" in page
    played = staff_client.get(f"/media/{clip.pk}/original/")
    assert played.status_code == 200 and played["Content-Type"] == "video/mp4"
    cover = staff_client.get(f"/media/{clip.pk}/thumbnail/")
    assert cover.status_code == 200 and cover["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("clip", "settings_changes", "message"),
    [
        (
            samples.upload("IMG_1.MOV", samples.pdf_bytes(), "video/quicktime"),
            {},
            "“IMG_1.MOV” is not a video we can read (or it was cut off while sending).",
        ),
        (
            samples.upload("IMG_2.MOV", b"", "video/quicktime"),
            {},
            "The video is empty (0 bytes). Please choose it again.",
        ),
        (
            samples.video("IMG_3.MP4", kind="audio"),
            {},
            "“IMG_3.MP4” has sound but no picture: please send a video.",
        ),
        (
            samples.video("IMG_4.MOV", kind="cut"),
            {},
            "“IMG_4.MOV” stops after",
        ),
        (
            samples.video("IMG_5.MOV"),
            {"MAX_VIDEO_SECONDS": 1},
            "“IMG_5.MOV” is 2 s long; a video can be at most 1 s.",
        ),
        (
            samples.video("IMG_6.MOV"),
            {"MAX_VIDEO_BYTES": 10_000},
            "“IMG_6.MOV” is ",
        ),
    ],
    ids=["renamed-pdf", "empty", "audio-only", "cut-off", "too-long", "too-large"],
)
def test_a_refused_video_says_why_and_nothing_is_kept(
    staff_client, settings, media_storage, upload_dir, media_queue, clip, settings_changes, message
):
    for name, value in settings_changes.items():
        setattr(settings, name, value)
    clip.seek(0)
    response = send(staff_client, clip)
    page = response.content.decode()
    assert response.status_code == 200 and SUCCESS not in page
    assert message.replace("“", "&ldquo;").replace("”", "&rdquo;") in page or message in page
    assert "choose the photos or video again" in page
    assert not Tip.objects.exists() and not MediaAsset.objects.exists()
    assert stored_bytes(media_storage) == [] and leftovers(upload_dir) == []
    assert media_queue.count == 0


def test_a_clip_the_worker_cannot_clean_fails_with_its_reason_on_the_tip(
    staff_client,
    practice,
    staff,
    media_storage,
    upload_dir,
    media_queue,
    django_capture_on_commit_callbacks,
):
    from django.core.files.base import ContentFile

    from posts.models import TipPhoto
    from tests import factories

    tip = factories.make_tip(practice, submitted_by=staff)
    clip = MediaAsset(
        practice=practice,
        kind=MediaAsset.Kind.VIDEO,
        status=MediaAsset.Status.PROCESSING,
        content_type="video/mp4",
        width=320,
        height=240,
        duration=2.0,
        size_bytes=10,
        sha256="f" * 64,
    )
    clip.incoming.save("broken.mov", ContentFile(samples.pdf_bytes()), save=False)
    clip.save()
    TipPhoto.objects.create(tip=tip, asset=clip, position=0)

    with django_capture_on_commit_callbacks(execute=True):
        assert videos.prepare(clip.pk) == "failed"
    clip.refresh_from_db()
    assert clip.status == MediaAsset.Status.FAILED and not clip.incoming
    assert "not a video we can read" in clip.problem
    assert stored_bytes(media_storage) == []
    page = staff_client.get(tip.get_absolute_url()).content.decode()
    assert "The video could not be prepared." in page and "not a video we can read" in page
    # Run again (a retried job): nothing changes.
    assert videos.prepare(clip.pk) == "skipped"


def test_a_video_whose_job_was_lost_is_queued_again(
    staff_client, media_storage, upload_dir, media_queue, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    send(staff_client, samples.video())  # its job never queued: no commit callbacks run
    assert media_queue.count == 0
    assert videos.requeue_stalled() == 0  # not stalled yet
    MediaAsset.objects.update(created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert videos.requeue_stalled() == 1
    assert media_queue.count == 1
    work(videos.QUEUE)
    assert MediaAsset.objects.get(kind=MediaAsset.Kind.VIDEO).status == MediaAsset.Status.READY


def test_through_the_secret_link_a_video_is_taken_too(
    client, practice, media_storage, upload_dir, media_queue, django_capture_on_commit_callbacks
):
    page = client.get(link(practice)).content.decode()
    assert 'name="video"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link(practice), LINK_TIP | {"video": samples.video()})
    assert response.status_code in (200, 302)
    tip = Tip.objects.get()
    assert tip.via_link and tip.photos.get().kind == MediaAsset.Kind.VIDEO
    assert media_queue.count == 1
    assert not [m for m in samples.VIDEO_PRIVATE if m in stored_bytes(media_storage)[0]]


def test_a_video_of_a_patient_needs_the_photo_use_of_their_authorization(
    staff_client, practice, media_storage, upload_dir
):
    from datetime import timedelta

    from django.utils import timezone

    from practices.models import PatientConsent
    from tests import factories

    story_only = factories.make_consent(
        practice, uses=[PatientConsent.Use.STORY], expires_at=timezone.now() + timedelta(days=90)
    )
    response = send(
        staff_client,
        samples.video(),
        kind="patient_story",
        features_patient="on",
        patient_consent="existing",
        consent=story_only.pk,
    )
    page = response.content.decode()
    assert SUCCESS not in page
    assert "The authorization for Maria G. does not allow: photo." in page
    assert not Tip.objects.exists() and not MediaAsset.objects.exists()
    assert stored_bytes(media_storage) == [] and leftovers(upload_dir) == []
