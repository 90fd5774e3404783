"""The form's details: daylight saving, photos uploaded in place, line breaks, zones, templates."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from posts.models import CaptionTemplate, MediaAsset, Post, PostMedia
from practices.models import Practice
from tests import factories
from tests import media_samples as samples
from tests.posts.authoring.support import approved_post, editor_data, form_data

pytestmark = pytest.mark.django_db


# -- daylight saving, through the form ------------------------------------------------------


def next_us_change(month: int) -> date:
    """The next US clock change: the second Sunday of March, or the first of November."""
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        first = date(year, month, 1)
        sunday = first + timedelta(days=(6 - first.weekday()) % 7)
        day = sunday + timedelta(days=7) if month == 3 else sunday
        if day > today + timedelta(days=1):
            return day
    raise AssertionError("unreachable")


def test_the_form_refuses_a_time_skipped_by_daylight_saving(client, strategist, practice):
    day = next_us_change(3)
    client.force_login(strategist)
    response = client.post("/posts/new/", form_data(practice, date=day.isoformat(), time="02:30"))
    assert response.status_code == 400
    assert f"does not exist on {day:%B %-d, %Y} in America/Chicago" in response.content.decode()
    assert not Post.objects.exists()


def test_the_form_asks_which_of_a_repeated_time_is_meant(client, strategist, practice):
    day = next_us_change(11)
    client.force_login(strategist)
    data = form_data(practice, date=day.isoformat(), time="01:30")
    response = client.post("/posts/new/", data)
    assert response.status_code == 400
    assert f"happens twice on {day:%B %-d, %Y}" in response.content.decode()
    assert 'name="which"' in response.content.decode()
    assert client.post("/posts/new/", {**data, "which": "later"}).status_code == 302
    post = Post.objects.get()
    # The second 01:30 is standard time, UTC-6.
    assert post.scheduled_at.isoformat() == f"{day.isoformat()}T07:30:00+00:00"


def test_moving_a_crop_from_the_editor_voids_the_approval(
    client, strategist, practice, doctor, accounts, photos
):
    post = approved_post(practice, doctor, accounts, photos, schedule=True)
    client.force_login(strategist)
    page = client.get(f"/posts/{post.pk}/edit/").content.decode()
    assert f'action="/media/{photos[0].pk}/focal-point/"' in page
    response = client.post(
        f"/media/{photos[0].pk}/focal-point/",
        {"x": "0.2", "y": "0.3", "next": f"/posts/{post.pk}/edit/#crops"},
    )
    assert response["Location"] == f"/posts/{post.pk}/edit/#crops"
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert not post.approval_is_current()


def test_photos_uploaded_in_the_editor_are_cleaned_and_added(client, strategist, practice):
    client.force_login(strategist)
    upload = samples.upload("IMG_0001.jpg", samples.jpeg_bytes(gps=True))
    response = client.post("/posts/new/", {**form_data(practice), "upload": upload})
    assert response.status_code == 302
    (attachment,) = Post.objects.get().attachments()
    stored = attachment.asset.file.open("rb").read()
    assert samples.CAMERA_SERIAL.encode() not in stored
    assert b"GPS" not in stored


def test_a_file_that_is_no_photo_is_refused_and_nothing_saved(client, strategist, practice):
    client.force_login(strategist)
    upload = samples.upload("notes.jpg", b"not a photo at all")
    response = client.post("/posts/new/", {**form_data(practice), "upload": upload})
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_line_breaks_are_stored_as_the_platforms_count_them(client, strategist, practice):
    client.force_login(strategist)
    client.post(
        "/posts/new/", form_data(practice, caption="Line one\r\nLine two", override_x="A\r\nB")
    )
    post = Post.objects.get()
    assert post.caption == "Line one\nLine two"
    assert post.overrides == {"x": "A\nB"}


def test_a_refused_save_keeps_none_of_the_photos_it_brought(
    client, strategist, practice, accounts, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    post = factories.make_post(practice, targets=[accounts["facebook"]])
    client.force_login(strategist)
    data = {
        **form_data(practice, targets=[accounts["facebook"]], version=post.version + 1),
        "upload": samples.upload("new.jpg", samples.jpeg_bytes()),
    }
    response = client.post(f"/posts/{post.pk}/edit/", data)
    assert response.status_code == 409
    assert not MediaAsset.objects.exists()
    assert not [f for f in Path(tmp_path).rglob("*") if f.is_file()]


def test_an_alt_text_changed_in_one_post_sends_back_the_others_using_the_photo(
    client, strategist, practice, doctor, accounts, photos
):
    shared = approved_post(practice, doctor, accounts, photos, schedule=True)
    post = factories.make_post(practice, targets=[accounts["facebook"]])
    PostMedia.objects.create(post=post, asset=photos[0], position=0)
    client.force_login(strategist)
    response = client.post(
        f"/posts/{post.pk}/edit/", editor_data(post, **{f"alt_{photos[0].pk}": "Nurse Jo"})
    )
    assert response.status_code == 302
    shared.refresh_from_db()
    # Not left scheduled with an approval that no longer matches (it would
    # fail at publishing): back to draft, and the strategist is told.
    assert shared.status == Post.Status.DRAFT
    page = client.get(response["Location"]).content.decode()
    assert "back to draft" in page and str(shared) in page


def test_scheduling_keeps_the_photos_own_authorization_rule(
    client, strategist, practice, staff, accounts, photos
):
    practice.approval_policy = Practice.ApprovalPolicy.NEVER
    practice.save()
    consent = factories.make_consent(practice, platforms=["facebook"])
    post = factories.make_post(
        practice,
        targets=[accounts["facebook"], accounts["linkedin"]],
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    PostMedia.objects.create(post=post, asset=photos[0], position=0)
    client.force_login(strategist)
    client.post(f"/posts/{post.pk}/send/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVED
    # Then the same photo comes in again with a tip and a patient's
    # authorization (the library keeps one copy): the post now relies on it.
    tip = factories.make_tip(practice, submitted_by=staff, features_patient=True, consent=consent)
    tip.tipphoto_set.create(asset=photos[0], position=0)
    response = client.post(f"/posts/{post.pk}/schedule/", {"version": post.version}, follow=True)
    assert "which this post does not rely on" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVED


def test_a_strategist_sees_their_own_zone_beside_the_practices(
    client, strategist, practice, accounts
):
    client.force_login(strategist)
    assert client.post("/account/time-zone/", {"time_zone": "Mars/Olympus"}).status_code == 302
    strategist.refresh_from_db()
    assert strategist.time_zone == ""
    client.post("/account/time-zone/", {"time_zone": "Europe/Lisbon"})
    strategist.refresh_from_db()
    assert strategist.time_zone == "Europe/Lisbon"
    post = factories.make_post(
        practice, targets=[accounts["facebook"]], scheduled_at=timezone.now() + timedelta(days=2)
    )
    page = client.get(f"/posts/{post.pk}/edit/").content.decode()
    assert "In Lakeside Fertility's time (America/Chicago); yours is Europe/Lisbon" in page
    local = timezone.localtime(post.scheduled_at, ZoneInfo("Europe/Lisbon"))
    assert f"{local:%H:%M} WE" in page  # WET or WEST, by the season


def test_caption_templates_of_the_practice_and_its_specialty_are_offered(
    client, strategist, practice, other_practice
):
    CaptionTemplate.objects.create(practice=practice, name="Holiday closure", text="We are closed.")
    CaptionTemplate.objects.create(specialty="fertility", name="IVF day", text="Happy IVF day!")
    CaptionTemplate.objects.create(specialty="dental", name="Floss", text="Floss daily.")
    CaptionTemplate.objects.create(practice=other_practice, name="Theirs", text="Not ours.")
    client.force_login(strategist)
    page = client.get(f"/posts/new/?practice={practice.slug}").content.decode()
    assert "Holiday closure" in page and "We are closed." in page
    assert "IVF day" in page  # Lakeside is a fertility practice
    assert "Floss" not in page and "Theirs" not in page


def test_staff_get_no_checks_for_a_new_post(client, staff, practice):
    client.force_login(staff)
    assert client.post("/posts/checks/", {"caption": "x"}).status_code == 403
    assert client.post("/posts/checks/", {"practice": practice.slug}).status_code == 403
