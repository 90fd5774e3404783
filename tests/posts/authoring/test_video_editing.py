"""A video in the editor: uploaded (checked like a tip's), previewed on each platform with
what each takes, its cover chosen from the clip or a photo, and what voids an approval."""

from __future__ import annotations

import django_rq
import pytest
from django.urls import reverse

from posts.media import videos
from posts.models import MediaAsset, Post, PostMedia
from tests import factories
from tests import media_samples as samples
from tests.posts.authoring.support import editor_data, form_data
from tests.publishing_support import ready_video, work

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, strategist):
    client.force_login(strategist)
    return client


@pytest.fixture(autouse=True)
def media_queue(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    queue = django_rq.get_queue(videos.QUEUE)
    queue.empty()
    yield queue
    queue.empty()


def test_a_video_uploaded_in_the_editor_is_prepared_and_previewed(
    signed_in, practice, accounts, django_capture_on_commit_callbacks
):
    data = form_data(practice, targets=[accounts["instagram"], accounts["google_business"]])
    data["upload_video"] = samples.video("tour.mov", kind="vertical")
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(reverse("post_new"), data)
    assert response.status_code == 302
    post = Post.objects.get()
    [clip] = post.media.all()
    assert clip.is_video and clip.status == MediaAsset.Status.PROCESSING
    page = signed_in.get(reverse("post_edit", args=[post.pk])).content.decode()
    assert "The video is being prepared." in page
    assert "The video is still being prepared." in page  # not publishable until it is

    with django_capture_on_commit_callbacks(execute=True):
        work(videos.QUEUE)
    page = signed_in.get(reverse("post_edit", args=[post.pk])).content.decode()
    assert f'src="/media/{clip.pk}/original/"' in page
    assert (
        "Instagram takes videos of 3 s to 1 min 30 s, upright, from 1:2 to 4:5, up to 300 MB."
        in page
    )
    assert "Google takes no video in a post: the video's cover photo goes instead." in page
    assert "Every target takes this post as it is." in page


def test_a_refused_video_in_the_editor_says_why_and_saves_nothing(
    signed_in, practice, accounts, media_queue
):
    data = form_data(practice, targets=[accounts["x"]])
    data["upload_video"] = samples.upload("notes.mov", samples.pdf_bytes(), "video/quicktime")
    response = signed_in.post(reverse("post_new"), data)
    assert response.status_code == 400
    assert "“notes.mov” is not a video we can read" in response.content.decode()
    assert not Post.objects.exists() and not MediaAsset.objects.exists()
    assert media_queue.count == 0


def test_what_each_platform_would_refuse_is_shown_beside_its_preview(
    signed_in, practice, strategist, accounts
):
    wide = ready_video(practice, strategist, kind="phone")  # 2 s, 4:3
    post = factories.make_post(practice, targets=[accounts["instagram"], accounts["x"]])
    PostMedia.objects.create(post=post, asset=wide)
    page = signed_in.get(reverse("post_edit", args=[post.pk])).content.decode()
    assert "this video is too wide (320×240)." in page
    assert "Instagram (a Reel) takes videos of at least 3 s; this one is 2 s." in page
    # X takes it: a photo beside the video would not be taken anywhere.
    assert "X takes videos of 0.5 s to 2 min 20 s" in page


def test_a_new_cover_voids_the_approval_from_a_frame_or_a_photo(
    signed_in, practice, strategist, doctor, accounts, django_capture_on_commit_callbacks
):
    clip = ready_video(practice, strategist)
    post = factories.make_post(practice, targets=[accounts["facebook"]])
    PostMedia.objects.create(post=post, asset=clip)
    post.submit_for_review()
    post.approve(by=doctor, via="login")
    first_cover = clip.poster_id

    back = reverse("post_edit", args=[post.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            reverse("media_cover", args=[clip.pk]), {"at": "2.5", "next": back}
        )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        work(videos.QUEUE)
    clip.refresh_from_db()
    post.refresh_from_db()
    assert clip.poster_id != first_cover and clip.poster_at == pytest.approx(2.5)
    assert post.status == Post.Status.DRAFT  # the doctor approved the old cover

    response = signed_in.post(
        reverse("media_cover", args=[clip.pk]), {"photo": samples.photo("cover.jpg"), "next": back}
    )
    clip.refresh_from_db()
    assert clip.poster.kind == MediaAsset.Kind.PHOTO and clip.poster_at is None

    # A moment outside the clip changes nothing and says why.
    response = signed_in.post(
        reverse("media_cover", args=[clip.pk]), {"at": "99", "next": back}, follow=True
    )
    assert "give a moment between 0 and 4.0 seconds" in response.content.decode()


def test_staff_and_other_practices_cannot_change_a_cover(
    client, practice, strategist, staff, other_strategist
):
    clip = ready_video(practice, strategist)
    for person in (staff, other_strategist):
        client.force_login(person)
        response = client.post(reverse("media_cover", args=[clip.pk]), {"at": "1"})
        assert response.status_code in (403, 404)
    clip.refresh_from_db()
    assert clip.poster_at == pytest.approx(1.0)


def test_editing_data_keeps_the_video(signed_in, practice, strategist, accounts):
    clip = ready_video(practice, strategist)
    post = factories.make_post(practice, targets=[accounts["linkedin"]])
    PostMedia.objects.create(post=post, asset=clip)
    response = signed_in.post(
        reverse("post_edit", args=[post.pk]), editor_data(post, caption="A new caption.")
    )
    assert response.status_code == 302
    assert list(post.media.all()) == [clip]
