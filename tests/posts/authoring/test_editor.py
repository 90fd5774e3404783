"""The post editor: new from a tip or blank, saving, the checks, the actions, and who may."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.models import AuditEvent
from posts.authoring import editor
from posts.content import content_of
from posts.media import photos as media
from posts.models import Approval, CaptionTemplate, MediaAsset, Post, PostMedia, Tip
from practices.models import Practice
from tests import factories
from tests import media_samples as samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(practice):
    return {
        platform: factories.make_account(practice, platform)
        for platform in ("facebook", "instagram", "linkedin", "x", "google_business")
    }


@pytest.fixture
def photos(practice, staff):
    return [
        media.store_photo(
            practice=practice,
            upload=samples.photo(f"p{i}.jpg", color=(40 * i, 90, 200 - 40 * i)),
            by=staff,
        )
        for i in range(4)
    ]


def form_data(practice, *, caption="Flu shots are in: walk in any weekday.", targets=(), **extra):
    data = {"practice": practice.slug, "caption": caption, "photo_platforms_shown": "1"}
    data["targets"] = [account.pk for account in targets]
    data.update(extra)
    return data


def later(days=3, hour=10):
    """A local date and time a few days ahead, as the form takes them."""
    day = timezone.localdate() + timedelta(days=days)
    return {"date": day.isoformat(), "time": f"{hour:02d}:00"}


# -- new posts ----------------------------------------------------------------------


def test_a_strategist_drafts_a_post_from_a_tip(client, strategist, practice, staff, photos):
    tip = factories.make_tip(practice, submitted_by=staff, text="Nurse Jo's ten years.")
    for position, asset in enumerate(photos[:2]):
        tip.tipphoto_set.create(asset=asset, position=position)
    client.force_login(strategist)

    page = client.get(f"/posts/new/?tip={tip.pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Nurse Jo&#x27;s ten years." in body or "Nurse Jo's ten years." in body

    data = form_data(practice, caption="Nurse Jo's ten years with us.", tip=tip.pk)
    data["photos"] = [photos[0].pk, photos[1].pk]
    data[f"position_{photos[0].pk}"] = "2"
    data[f"position_{photos[1].pk}"] = "1"
    response = client.post("/posts/new/", data)
    assert response.status_code == 302
    post = Post.objects.get()
    assert response["Location"] == f"/posts/{post.pk}/edit/"
    assert post.tip == tip and post.status == Post.Status.DRAFT and post.author == strategist
    assert [pm.asset_id for pm in post.attachments()] == [photos[1].pk, photos[0].pk]
    tip.refresh_from_db()
    assert tip.status == Tip.Status.DRAFTED
    assert AuditEvent.objects.filter(verb="post_created", object_id=str(post.pk)).exists()


def test_a_blank_post_for_a_practice(client, strategist, practice, accounts):
    client.force_login(strategist)
    assert client.get(f"/posts/new/?practice={practice.slug}").status_code == 200
    response = client.post(
        "/posts/new/", form_data(practice, targets=[accounts["facebook"]], **later())
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert list(post.targets.all()) == [accounts["facebook"]]
    local = practice.local(post.scheduled_at)
    assert (local.hour, local.minute) == (10, 0)
    assert str(local.tzinfo) == "America/Chicago"


def test_bad_input_saves_nothing(client, strategist, practice):
    client.force_login(strategist)
    response = client.post("/posts/new/", form_data(practice, caption=""))
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_a_time_in_the_past_is_refused(client, strategist, practice):
    client.force_login(strategist)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(
        "/posts/new/", form_data(practice, date=yesterday.isoformat(), time="10:00")
    )
    assert response.status_code == 400
    assert "That time has passed" in response.content.decode()
    assert not Post.objects.exists()


# -- access ---------------------------------------------------------------------------


def test_a_strategist_never_reaches_another_practice(
    client, strategist, other_practice, other_staff
):
    # Another practice does not exist for them: 404, as for an outsider.
    client.force_login(strategist)
    tip = factories.make_tip(other_practice, submitted_by=other_staff)
    post = factories.make_post(other_practice)
    asset = media.store_photo(practice=other_practice, upload=samples.photo(), by=other_staff)
    assert client.get(f"/posts/new/?practice={other_practice.slug}").status_code == 404
    assert client.get(f"/posts/new/?tip={tip.pk}").status_code == 404
    assert client.get(f"/posts/{post.pk}/edit/").status_code == 404
    checks = client.post("/posts/checks/", {"post": post.pk, "caption": "x"})
    assert checks.status_code == 404
    new_checks = client.post("/posts/checks/", {"practice": other_practice.slug, "caption": "x"})
    assert new_checks.status_code == 404
    for action in ("send", "schedule", "unschedule", "cancel", "duplicate", "comments"):
        assert client.post(f"/posts/{post.pk}/{action}/").status_code == 404, action
    assert client.get(f"/media/{asset.pk}/thumbnail/").status_code == 404


def test_a_photo_from_another_practice_cannot_be_put_in_a_post(
    client, strategist, practice, other_practice, other_staff
):
    foreign = media.store_photo(practice=other_practice, upload=samples.photo(), by=other_staff)
    client.force_login(strategist)
    data = form_data(practice, photos=[foreign.pk])
    response = client.post("/posts/new/", data)
    assert response.status_code == 400
    assert "not in this practice" in response.content.decode()
    assert not Post.objects.exists()


def test_staff_and_doctors_cannot_open_the_editor(client, practice, staff, doctor):
    post = factories.make_post(practice, status=Post.Status.IN_REVIEW)
    for person in (staff, doctor):
        client.force_login(person)
        assert client.get(f"/posts/{post.pk}/edit/").status_code == 403
        assert client.get(f"/posts/new/?practice={practice.slug}").status_code == 403


# -- concurrent edits ------------------------------------------------------------------


def test_the_second_of_two_saves_from_the_same_version_is_refused(
    client, strategist, practice, accounts
):
    post = factories.make_post(practice, targets=[accounts["facebook"]])
    client.force_login(strategist)
    first = form_data(practice, caption="First edit", targets=[accounts["facebook"]], version=1)
    second = form_data(practice, caption="Second edit", targets=[accounts["facebook"]], version=1)
    assert client.post(f"/posts/{post.pk}/edit/", first).status_code == 302
    response = client.post(f"/posts/{post.pk}/edit/", second)
    assert response.status_code == 409
    assert "someone saved this post after you opened it" in response.content.decode()
    post.refresh_from_db()
    assert post.caption == "First edit"
    assert post.version == 2


# -- approvals voided by an edit ---------------------------------------------------------


def approved_post(practice, doctor, accounts, photos, *, schedule=False):
    post = factories.make_post(
        practice,
        targets=[accounts["facebook"], accounts["x"]],
        overrides={"x": "Short for X."},
    )
    for position, asset in enumerate(photos[:2]):
        PostMedia.objects.create(post=post, asset=asset, position=position)
    post.submit_for_review()
    post.approve(by=doctor, via="login")
    if schedule:
        post.schedule(at=timezone.now() + timedelta(days=2))
    return post


def editor_data(post, **changes):
    content = content_of(post)
    data = form_data(post.practice, caption=content.caption, targets=content.targets)
    data["version"] = post.version
    data["photos"] = [asset.pk for asset in content.photos]
    for i, asset in enumerate(content.photos):
        data[f"position_{asset.pk}"] = str(i + 1)
        data[f"alt_{asset.pk}"] = content.alt_texts.get(asset.pk, "")
        data[f"to_{asset.pk}"] = [
            a.platform
            for a in content.targets
            if a.platform not in content.photo_choices
            or asset.pk in content.photo_choices[a.platform]
        ]
    for platform, text in content.overrides.items():
        data[f"override_{platform}"] = text
    if post.scheduled_at:
        local = post.practice.local(post.scheduled_at)
        data["date"] = local.date().isoformat()
        data["time"] = local.strftime("%H:%M")
    data.update(changes)
    return data


def reorder(post, photos, accounts):
    return {f"position_{photos[0].pk}": "2", f"position_{photos[1].pk}": "1"}


CHANGES = {
    "caption": lambda post, photos, accounts: {"caption": "A new caption."},
    "override": lambda post, photos, accounts: {"override_x": "Other X text."},
    "photo added": lambda post, photos, accounts: {
        "photos": [photos[0].pk, photos[1].pk, photos[2].pk],
        f"position_{photos[2].pk}": "3",
    },
    "photo removed": lambda post, photos, accounts: {"photos": [photos[0].pk]},
    "photos reordered": reorder,
    "photo replaced": lambda post, photos, accounts: {
        "photos": [photos[0].pk, photos[3].pk],
        f"position_{photos[3].pk}": "2",
    },
    "alt text": lambda post, photos, accounts: {f"alt_{photos[0].pk}": "A new description."},
    "targets": lambda post, photos, accounts: {
        "targets": [accounts["facebook"].pk, accounts["linkedin"].pk]
    },
    "photo choice": lambda post, photos, accounts: {f"to_{photos[1].pk}": ["facebook"]},
    "patient uses": lambda post, photos, accounts: {
        "features_patient": "on",
        "patient_uses": ["story"],
    },
    "testimonial": lambda post, photos, accounts: {"is_testimonial": "on"},
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_an_edit_of_the_content_voids_the_approval_after_a_warning(
    client, strategist, practice, doctor, accounts, photos, change
):
    post = approved_post(practice, doctor, accounts, photos, schedule=True)
    client.force_login(strategist)
    data = editor_data(post, **CHANGES[change](post, photos, accounts))

    warned = client.post(f"/posts/{post.pk}/edit/", data)
    assert warned.status_code == 409
    assert "voids the approval" in warned.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED, "nothing changes before the confirmation"
    assert post.approval_is_current()

    confirmed = client.post(f"/posts/{post.pk}/edit/", {**data, "confirm_void": "on"})
    assert confirmed.status_code == 302, change
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT, change
    assert not post.publications.exists()
    assert post.approvals.get().voided_at is not None
    assert not post.approval_is_current()


def test_a_change_of_time_alone_keeps_the_approval(
    client, strategist, practice, doctor, accounts, photos
):
    post = approved_post(practice, doctor, accounts, photos, schedule=True)
    client.force_login(strategist)
    response = client.post(f"/posts/{post.pk}/edit/", editor_data(post, **later(days=5, hour=9)))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert post.approval_is_current()
    assert practice.local(post.scheduled_at).hour == 9
    assert {p.next_attempt_at for p in post.publications.all()} == {post.scheduled_at}


def test_saving_unchanged_content_keeps_the_approval(
    client, strategist, practice, doctor, accounts, photos
):
    post = approved_post(practice, doctor, accounts, photos)
    client.force_login(strategist)
    assert client.post(f"/posts/{post.pk}/edit/", editor_data(post)).status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVED
    assert post.approval_is_current()


@pytest.mark.parametrize(
    "change",
    [
        lambda post, asset: setattr(asset, "focal_x", 0.1),
        lambda post, asset: setattr(asset, "alt_text", "changed"),
        lambda post, asset: setattr(asset, "sha256", "0" * 64),
    ],
)
def test_the_approval_hash_covers_the_photos(practice, doctor, accounts, photos, change):
    post = approved_post(practice, doctor, accounts, photos)
    asset = photos[0]
    change(post, asset)
    asset.save()
    assert not post.approval_is_current()


def test_the_approval_hash_covers_which_photos_and_their_order(practice, doctor, accounts, photos):
    post = approved_post(practice, doctor, accounts, photos)
    first, second = post.postmedia_set.order_by("position")
    first.position, second.position = 1, 0
    PostMedia.objects.bulk_update([first, second], ["position"])
    assert not post.approval_is_current()
    first.position, second.position = 0, 1
    PostMedia.objects.bulk_update([first, second], ["position"])
    assert post.approval_is_current()
    second.delete()
    assert not post.approval_is_current()


# -- sending on -------------------------------------------------------------------------


def test_send_for_approval_goes_to_the_doctor_under_the_always_policy(
    client, strategist, practice, accounts
):
    post = factories.make_post(practice, targets=[accounts["facebook"]])
    client.force_login(strategist)
    response = client.post(f"/posts/{post.pk}/send/", {"version": post.version})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW
    assert AuditEvent.objects.filter(verb="post_sent_for_approval").exists()


def test_without_a_doctor_in_the_policy_the_agency_approves_and_schedules(
    client, strategist, practice, accounts
):
    practice.approval_policy = Practice.ApprovalPolicy.NEVER
    practice.save()
    post = factories.make_post(
        practice,
        targets=[accounts["facebook"]],
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(strategist)
    client.post(f"/posts/{post.pk}/send/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVED
    approval = post.approvals.get()
    assert approval.reviewer == strategist and approval.decision == Approval.Decision.APPROVED
    client.post(f"/posts/{post.pk}/schedule/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert post.publications.count() == 1
    client.post(f"/posts/{post.pk}/unschedule/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVED
    assert not post.publications.exists()


def test_an_action_from_a_stale_page_is_refused(client, strategist, practice, accounts):
    post = factories.make_post(practice, targets=[accounts["facebook"]])
    client.force_login(strategist)
    response = client.post(f"/posts/{post.pk}/send/", {"version": post.version + 5}, follow=True)
    assert "someone saved this post after you opened it" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_a_phone_number_blocks_sending_until_the_caption_is_fixed(
    client, strategist, practice, accounts
):
    post = factories.make_post(
        practice, targets=[accounts["facebook"]], caption="Call Maria's mom at 312-555-0188."
    )
    client.force_login(strategist)
    response = client.post(f"/posts/{post.pk}/send/", {"version": post.version}, follow=True)
    assert "A phone or fax number that is not the practice&#x27;s" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT

    client.post(
        f"/posts/{post.pk}/edit/",
        editor_data(post, caption="Call us to book your visit."),
    )
    post.refresh_from_db()
    client.post(f"/posts/{post.pk}/send/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW


def test_an_accepted_finding_lets_the_post_go_with_the_reason_kept(
    client, strategist, practice, accounts
):
    post = factories.make_post(
        practice, targets=[accounts["facebook"]], caption="Questions? Dr. Lee: 312-555-0188."
    )
    client.force_login(strategist)
    client.post(
        f"/posts/{post.pk}/accept-identifiers/",
        {"reason": "Dr. Lee's office line, public on our website."},
    )
    post.refresh_from_db()
    assert post.identifier_review_note == "Dr. Lee's office line, public on our website."
    event = AuditEvent.objects.get(verb="identifiers_accepted")
    assert event.detail["reason"] == "Dr. Lee's office line, public on our website."
    assert "312" not in str(event.detail)
    client.post(f"/posts/{post.pk}/send/", {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW

    # A new identifier blocks again.
    post.reopen()
    post.caption += " Or e-mail maria.g@gmail.com."
    post.save()
    assert editor.readiness(post)


def test_google_refuses_four_photos_until_one_is_chosen_for_it(
    client, strategist, practice, accounts, photos
):
    post = factories.make_post(practice, targets=[accounts["google_business"]])
    for position, asset in enumerate(photos):
        PostMedia.objects.create(post=post, asset=asset, position=position)
    reasons = editor.readiness(post)
    assert any("Google" in reason and "Choose which photo goes" in reason for reason in reasons)

    client.force_login(strategist)
    data = editor_data(post)
    for asset in photos[1:]:
        data[f"to_{asset.pk}"] = []
    assert client.post(f"/posts/{post.pk}/edit/", data).status_code == 302
    post.refresh_from_db()
    assert post.photo_choices == {"google_business": [photos[0].pk]}
    assert editor.readiness(post) == []
    assert [i.alt_text for i in media.media_items(post, "google_business")] == [photos[0].alt_text]


def test_cancel_and_duplicate(client, strategist, practice, accounts, photos):
    post = factories.make_post(practice, targets=[accounts["facebook"]], title="Flu")
    PostMedia.objects.create(post=post, asset=photos[0], position=0)
    client.force_login(strategist)
    response = client.post(f"/posts/{post.pk}/duplicate/")
    copy = Post.objects.exclude(pk=post.pk).get()
    assert response["Location"] == f"/posts/{copy.pk}/edit/"
    assert copy.caption == post.caption and copy.title == "Copy of Flu"
    assert [pm.asset_id for pm in copy.attachments()] == [photos[0].pk]
    assert list(copy.targets.all()) == [accounts["facebook"]]

    client.post(f"/posts/{post.pk}/cancel/", {"version": post.version, "reason": "Not needed."})
    post.refresh_from_db()
    assert post.status == Post.Status.CANCELLED and post.cancel_reason == "Not needed."


def test_comments_between_strategist_and_doctor(client, strategist, doctor, practice, accounts):
    post = factories.make_post(practice, targets=[accounts["facebook"]])
    client.force_login(strategist)
    client.post(f"/posts/{post.pk}/comments/", {"body": "Photo 2 is the best one, I think."})
    post.submit_for_review()
    client.force_login(doctor)
    client.post(f"/posts/{post.pk}/comments/", {"body": "Agreed."})
    assert [c.body for c in post.comments.all()] == ["Photo 2 is the best one, I think.", "Agreed."]
    assert client.post(f"/posts/{post.pk}/comments/", {"body": "  "}).status_code == 302
    assert post.comments.count() == 2


# -- the live checks ----------------------------------------------------------------------


def test_the_checks_partial_follows_the_text_as_typed(client, strategist, practice, accounts):
    post = factories.make_post(practice, targets=[accounts["x"]])
    client.force_login(strategist)
    data = editor_data(post, caption="x" * 300)
    page = client.post("/posts/checks/", data).content.decode()
    assert "300 / 280 weighted characters" in page
    assert "Shorten the caption, or write a shorter text for this platform only." in page
    fixed = client.post("/posts/checks/", {**data, "override_x": "Short."}).content.decode()
    assert "6 / 280 weighted characters" in fixed
    assert "Every target takes this post as it is." in fixed
    post.refresh_from_db()
    assert post.caption != "x" * 300, "the checks save nothing"


@pytest.mark.parametrize("size", [1, 4])
def test_the_editor_and_its_checks_keep_a_fixed_number_of_queries(
    client, strategist, practice, accounts, photos, django_assert_num_queries, size
):
    # The same count for one photo and one target as for four photos on five.
    post = factories.make_post(practice, targets=list(accounts.values())[:size])
    for position, asset in enumerate(photos[:size]):
        PostMedia.objects.create(post=post, asset=asset, position=position)
    client.force_login(strategist)
    data = editor_data(post)
    client.post("/posts/checks/", data)  # sessions and the like, once
    with django_assert_num_queries(9):
        client.post("/posts/checks/", data)
    with django_assert_num_queries(15):
        client.get(f"/posts/{post.pk}/edit/")


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
