"""The doctor's approval: e-mailed links, the page, decisions bound to the version shown,
holds, the agency's own review, expiry and reminders."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Notification
from posts.approval import requests as approval_requests
from posts.authoring import editor
from posts.content import content_of
from posts.models import Approval, ApprovalLink, Post, PostMedia, Publication
from posts.publishing import dispatch
from practices.models import Membership, Practice
from tests import factories
from tests import media_samples as samples
from tests.publishing_support import sent_mail

pytestmark = pytest.mark.django_db

REFUSED = "This link no longer works"
# What one more waiting post costs the approval page (measured; see the test).
LINK = re.compile(r"https?://[^/\s]+(/a/[^/\s]+/)")


@pytest.fixture
def accounts(practice):
    return [
        factories.make_account(practice, "facebook"),
        factories.make_account(practice, "x"),
    ]


@pytest.fixture
def photos(practice, staff):
    from posts.media import photos as media

    return [
        media.store_photo(
            practice=practice,
            upload=samples.photo(f"p{i}.jpg", color=(60 * i, 90, 200 - 60 * i)),
            by=staff,
        )
        for i in range(3)
    ]


@pytest.fixture
def post(practice, strategist, accounts, photos):
    post = factories.make_post(
        practice,
        author=strategist,
        targets=accounts,
        title="Flu shots",
        caption="Flu shots are in: walk in any weekday morning.",
        scheduled_at=timezone.now() + timedelta(days=3),
    )
    for position, asset in enumerate(photos[:2]):
        PostMedia.objects.create(post=post, asset=asset, position=position)
    return post


def send(client, strategist, post, **extra):
    client.force_login(strategist)
    response = client.post(reverse("post_send", args=[post.pk]), {"version": post.version, **extra})
    assert response.status_code == 302
    client.logout()
    post.refresh_from_db()
    return post


def link_from(message) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def sent_link(client, strategist, post, doctor) -> str:
    before = len(sent_mail())
    send(client, strategist, post)
    messages = [m for m in sent_mail()[before:] if m.to == [doctor.email]]
    assert len(messages) == 1
    return link_from(messages[0])


def shown_hash(response, post) -> str:
    match = re.search(
        rf'name="post" value="{post.pk}">\s*<input type="hidden" name="shown" value="(\w+)"',
        response.content.decode(),
    )
    assert match, "the post is not on the page"
    return match.group(1)


# -- the e-mail and the link ---------------------------------------------------------------


def test_sending_for_approval_e_mails_each_doctor_a_link_that_opens_the_page(
    client, strategist, practice, post, doctor
):
    second = factories.make_member(practice, Membership.Role.DOCTOR, "second_doctor")
    send(client, strategist, post, note="The photo is from Tuesday's clinic.")
    assert post.status == Post.Status.IN_REVIEW
    messages = sent_mail()
    assert sorted(m.to[0] for m in messages) == sorted([doctor.email, second.email])
    message = next(m for m in messages if m.to == [doctor.email])
    assert practice.name in message.subject
    html = {mimetype: content for content, mimetype in message.alternatives}["text/html"]
    path = link_from(message)
    assert path in html and practice.name in html
    # Two different links: each doctor's own.
    assert link_from(messages[0]) != link_from(messages[1])

    page = client.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Flu shots are in: walk in any weekday morning." in body
    assert "The photo is from Tuesday&#x27;s clinic." in body
    assert "Facebook preview" in body and "X preview" in body
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"
    # Its photos come through the link too.
    photo = re.search(r'src="(/a/[^"]+/photos/\d+/[^"]+/)"', body).group(1)
    assert client.get(photo).status_code == 200


def test_approving_through_the_link_records_the_version_who_and_how_and_schedules(
    client, strategist, post, doctor
):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    response = client.post(
        path + "decide/",
        {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"},
        HTTP_USER_AGENT="Phone browser 1.0",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert set(post.publications.values_list("status", flat=True)) == {"pending"}
    approval = post.approvals.get(decision=Approval.Decision.APPROVED)
    assert approval.content_hash == post.content_hash()
    assert approval.reviewer == doctor and approval.via == Approval.Via.LINK
    assert approval.link is not None and approval.link.doctor == doctor
    assert approval.user_agent == "Phone browser 1.0"
    assert approval.ip_address is not None
    assert approval.snapshot["caption"] == post.caption
    event = AuditEvent.objects.get(verb="post_approved")
    assert event.actor == doctor and event.detail["via"] == "link"


@pytest.mark.parametrize("spoil", ["forged", "expired", "revoked", "closed", "no longer a doctor"])
def test_a_link_that_no_longer_works_is_refused_with_one_plain_answer(
    client, strategist, post, doctor, spoil
):
    path = sent_link(client, strategist, post, doctor)
    link = ApprovalLink.objects.get(doctor=doctor)
    if spoil == "forged":
        token = path.split("/")[2]
        path = f"/a/{token[:-2]}{'AB' if not token.endswith('AB') else 'CD'}/"
    elif spoil == "expired":
        ApprovalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    elif spoil == "revoked":
        ApprovalLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    elif spoil == "closed":
        assert client.post(path + "done/").status_code == 200
    else:
        Membership.objects.filter(user=doctor).update(role=Membership.Role.STAFF)
    for response in (
        client.get(path),
        client.post(path + "decide/", {"post": post.pk, "shown": "x", "action": "approve"}),
    ):
        assert response.status_code == 403
        assert REFUSED in response.content.decode()
        assert "expired" not in response.content.decode().lower()
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW


def test_a_link_stops_working_once_its_doctor_signs_out(client, strategist, post, doctor):
    path = sent_link(client, strategist, post, doctor)
    client.force_login(doctor)
    assert client.get(path).status_code == 200  # their own link, signed in as themselves
    client.post(reverse("logout"))
    response = client.get(path)
    assert response.status_code == 403 and REFUSED in response.content.decode()


def test_a_link_does_not_work_for_another_doctor_signed_in(
    client, strategist, post, doctor, other_doctor, practice
):
    path = sent_link(client, strategist, post, doctor)
    colleague = factories.make_member(practice, Membership.Role.DOCTOR, "colleague")
    for person in (other_doctor, colleague):
        client.force_login(person)
        assert client.get(path).status_code == 403
    client.logout()


def test_a_link_reaches_the_approval_page_and_nothing_else(
    client, strategist, post, doctor, other_practice, accounts
):
    path = sent_link(client, strategist, post, doctor)
    assert client.get(path).status_code == 200
    for url in (
        reverse("home"),
        reverse("dashboard"),
        reverse("approvals"),
        post.get_absolute_url(),
        reverse("post_edit", args=[post.pk]),
        reverse("staff_home"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    # Another practice's post cannot be decided through it.
    elsewhere = factories.make_post(other_practice, status=Post.Status.IN_REVIEW)
    client.post(
        path + "decide/",
        {"post": elsewhere.pk, "shown": elsewhere.content_hash(), "action": "approve"},
    )
    elsewhere.refresh_from_db()
    assert elsewhere.status == Post.Status.IN_REVIEW
    # Nor a photo that is not in a post its doctors see.
    from posts.media import photos as media

    stray = media.store_photo(
        practice=post.practice, upload=samples.photo("stray.jpg"), by=post.author
    )
    assert client.get(f"{path}photos/{stray.pk}/thumbnail/").status_code == 404


def test_a_signed_in_doctor_reaches_the_same_page_from_home(client, strategist, post, doctor):
    send(client, strategist, post)
    client.force_login(doctor)
    page = client.get(reverse("approvals"))
    assert page.status_code == 200
    client.post(
        reverse("approval_decide", args=[post.practice.slug]),
        {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"},
    )
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert post.approvals.get().via == Approval.Via.LOGIN


# -- bound to the version shown ---------------------------------------------------------------


def test_a_post_changed_after_the_page_was_opened_is_not_approved(client, strategist, post, doctor):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    Post.objects.filter(pk=post.pk).update(caption="Something else entirely.")
    response = client.post(
        path + "decide/",
        {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"},
        follow=True,
    )
    assert "changed after the page was opened" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW and not post.approvals.exists()


def test_an_edit_after_approval_voids_it_and_the_doctor_sees_what_changed(
    client, strategist, post, doctor, photos
):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    client.post(
        path + "decide/", {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"}
    )
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED

    content = content_of(post)
    content.caption = "Flu shots are in: walk in any weekday afternoon."
    content.photos = [photos[0], photos[2]]
    editor.save(
        practice=post.practice,
        post=post,
        content=content,
        version=post.version,
        by=strategist,
        confirm_void=True,
    )
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert not post.approval_is_current()
    assert not post.publications.exists()  # nothing left to publish

    path = sent_link(client, strategist, post, doctor)
    body = client.get(path).content.decode()
    assert "Changed since you approved it" in body
    assert "<del>morning.</del>" in body and "<ins>afternoon.</ins>" in body
    assert "Photos added:" in body and "Photos removed:" in body


def test_asking_for_changes_needs_a_comment_and_tells_the_strategist(
    client, strategist, post, doctor
):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    shown = shown_hash(page, post)
    response = client.post(
        path + "decide/", {"post": post.pk, "shown": shown, "action": "changes"}, follow=True
    )
    assert "needs a comment" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW
    client.post(
        path + "decide/",
        {"post": post.pk, "shown": shown, "action": "changes", "comment": "Use the smiling one."},
    )
    post.refresh_from_db()
    assert post.status == Post.Status.CHANGES_REQUESTED
    assert post.approvals.get().comment == "Use the smiling one."
    told = [m for m in sent_mail() if m.to == [strategist.email]]
    assert len(told) == 1 and "Use the smiling one." in told[0].body
    assert reverse("post_edit", args=[post.pk]) in told[0].body


def test_approve_all_approves_exactly_the_posts_shown_as_shown(
    client, strategist, practice, post, doctor, accounts
):
    second = factories.make_post(
        practice,
        author=strategist,
        targets=accounts[:1],
        caption="Closed Monday for the holiday.",
        scheduled_at=timezone.now() + timedelta(days=4),
    )
    send(client, strategist, second)
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    body = page.content.decode()
    assert "Approve all 2 posts" in body
    shown = re.findall(r'name="shown" value="(\d+:\w+)"', body)
    assert len(shown) == 2
    # One of them changes before the doctor taps "approve all".
    Post.objects.filter(pk=second.pk).update(caption="Closed Monday and Tuesday.")
    client.post(path + "all/", {"shown": shown})
    post.refresh_from_db()
    second.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert second.status == Post.Status.IN_REVIEW and not second.approvals.exists()


# -- hold, expiry, reminders --------------------------------------------------------------------


def test_a_doctor_holds_an_approved_post_before_it_goes_out(client, strategist, post, doctor):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    client.post(
        path + "decide/", {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"}
    )
    sent_mail().clear()
    client.post(path + "decide/", {"post": post.pk, "action": "hold", "comment": "Wait a week."})
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW
    assert not post.approval_is_current()
    assert not post.publications.exists()
    assert dispatch.claim_due(now=post.scheduled_at + timedelta(minutes=1)) == []
    told = [m for m in sent_mail() if m.to == [strategist.email]]
    assert len(told) == 1 and "on hold" in told[0].subject and "Wait a week." in told[0].body


def test_a_post_already_going_out_cannot_be_held(client, strategist, post, doctor):
    path = sent_link(client, strategist, post, doctor)
    page = client.get(path)
    client.post(
        path + "decide/", {"post": post.pk, "shown": shown_hash(page, post), "action": "approve"}
    )
    post.refresh_from_db()
    post.start_publishing()
    response = client.post(path + "decide/", {"post": post.pk, "action": "hold"}, follow=True)
    assert "can no longer be held" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHING


def test_an_unapproved_post_is_never_published_and_the_strategist_is_told(
    client, strategist, post, doctor
):
    send(client, strategist, post)
    sent_mail().clear()
    due = post.scheduled_at + timedelta(minutes=1)
    assert dispatch.claim_due(now=due) == []
    assert approval_requests.expire_overdue(now=post.scheduled_at - timedelta(minutes=1)) == 0
    assert approval_requests.expire_overdue(now=due) == 1
    assert approval_requests.expire_overdue(now=due) == 0
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVAL_EXPIRED
    assert not Publication.objects.filter(post=post).exists()
    told = [m for m in sent_mail() if m.to == [strategist.email]]
    assert len(told) == 1 and "not approved in time" in told[0].subject
    # The doctor can no longer approve it.
    path = approval_requests.issue_link(doctor, post.practice)
    assert f"post-{post.pk}" not in client.get(path).content.decode()


def test_reminders_go_at_24_and_2_hours_once_each(client, strategist, post, doctor, settings):
    settings.APPROVAL_REMINDER_HOURS = [24, 2]
    send(client, strategist, post)
    Post.objects.filter(pk=post.pk).update(updated_at=timezone.now() - timedelta(days=1))
    sent_mail().clear()
    at = post.scheduled_at
    assert approval_requests.send_reminders(now=at - timedelta(hours=30)) == 0
    assert approval_requests.send_reminders(now=at - timedelta(hours=23)) == 1
    assert approval_requests.send_reminders(now=at - timedelta(hours=22)) == 0
    assert approval_requests.send_reminders(now=at - timedelta(hours=1)) == 1
    assert approval_requests.send_reminders(now=at - timedelta(minutes=30)) == 0
    reminders = [m for m in sent_mail() if m.to == [doctor.email]]
    assert len(reminders) == 2
    assert all("Reminder" in m.subject for m in reminders)
    assert client.get(link_from(reminders[1])).status_code == 200
    # One link per reminder sent, not one per run.
    assert ApprovalLink.objects.filter(doctor=doctor).count() == 3


# -- the agency's own review --------------------------------------------------------------------


def test_an_agency_review_comes_first_when_the_practice_asks_for_one(
    client, strategist, practice, post, doctor, lead
):
    practice.internal_review = True
    practice.save()
    send(client, strategist, post)
    assert post.status == Post.Status.AGENCY_REVIEW
    first = sent_mail()
    assert [m.to for m in first] == [[lead.email]]
    assert "agency review" in first[0].subject
    first.clear()
    # Not by its own author, who is not offered it either.
    client.force_login(strategist)
    editor_page = client.get(reverse("post_edit", args=[post.pk])).content.decode()
    assert "Reviewed: send to the doctors" not in editor_page
    assert "Waiting for the agency lead or another strategist" in editor_page
    client.post(reverse("post_pass_review", args=[post.pk]), {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.AGENCY_REVIEW
    # The doctors never saw it.
    client.force_login(doctor)
    assert client.get(post.get_absolute_url()).status_code == 404
    client.force_login(lead)
    editor_page = client.get(reverse("post_edit", args=[post.pk])).content.decode()
    assert "Reviewed: send to the doctors" in editor_page
    client.post(reverse("post_pass_review", args=[post.pk]), {"version": post.version})
    post.refresh_from_db()
    assert post.status == Post.Status.IN_REVIEW
    assert [m.to for m in sent_mail()] == [[doctor.email]]


def test_the_agency_reviewer_sends_a_post_back_with_a_comment(
    client, strategist, practice, post, lead
):
    practice.internal_review = True
    practice.save()
    send(client, strategist, post)
    client.force_login(lead)
    client.post(
        reverse("post_agency_changes", args=[post.pk]),
        {"version": post.version, "comment": "Shorter, please."},
    )
    post.refresh_from_db()
    assert post.status == Post.Status.CHANGES_REQUESTED
    told = [m for m in sent_mail() if m.to == [strategist.email]]
    assert len(told) == 1 and "Shorter, please." in told[0].body


def test_the_approval_page_query_count_does_not_grow_with_posts(
    client, strategist, practice, post, doctor, accounts, django_assert_max_num_queries
):
    path = sent_link(client, strategist, post, doctor)
    client.get(path)  # the link's first use is written down (then at most once a minute)
    with django_assert_max_num_queries(100) as one:
        client.get(path)
    consent = factories.make_consent(practice, platforms=["facebook", "x"])
    for i in range(3):
        more = factories.make_post(
            practice, author=strategist, targets=accounts, caption=f"Post {i}"
        )
        more.consents.add(consent)
        more.comments.create(author=strategist, body=f"Note {i}")
        more.submit_for_review()
    with django_assert_max_num_queries(100) as four:
        page = client.get(path)
    # Every post's photos, authorizations, targets, notes and last approval are
    # read for all the posts at once: the same queries for one post or four.
    assert len(four.captured_queries) == len(one.captured_queries)
    assert all(f"Post {i}" in page.text for i in range(3))
    assert "Note 2" in page.text and consent.patient_label in page.text
    # The hashes shown, read for all posts at once, are those a decision checks.
    shown = re.findall(r'name="shown" value="(\d+:\w+)"', page.text)
    assert len(shown) == 4
    client.post(path + "all/", {"shown": shown})
    assert not Post.objects.filter(practice=practice, status=Post.Status.IN_REVIEW).exists()


def test_approval_policies_still_allow_no_doctor(client, strategist, practice, post):
    practice.approval_policy = Practice.ApprovalPolicy.NEVER
    practice.save()
    send(client, strategist, post)
    assert post.status == Post.Status.APPROVED
    assert not Notification.objects.filter(kind=Notification.Kind.AWAITING_APPROVAL).exists()


def test_the_agency_closes_every_link_of_a_practice(
    client, strategist, post, doctor, other_strategist
):
    path = sent_link(client, strategist, post, doctor)
    client.force_login(other_strategist)  # not this practice's
    response = client.post(reverse("approval_links_revoke", args=[post.practice.slug]))
    assert response.status_code == 404
    client.logout()
    assert client.get(path).status_code == 200
    client.force_login(strategist)
    client.post(reverse("approval_links_revoke", args=[post.practice.slug]))
    client.logout()
    assert client.get(path).status_code == 403
    assert AuditEvent.objects.filter(verb="approval_links_revoked").exists()
