"""The access matrix: every role against its own and a foreign practice's objects."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from posts import access
from posts.models import MediaAsset, Post, PostMedia, Publication
from practices.models import Membership
from tests import factories

ROLES = [
    "lead",
    "strategist",
    "other_strategist",
    "staff",
    "other_staff",
    "doctor",
    "other_doctor",
    "outsider",
]


@pytest.fixture
def scene(
    practice,
    other_practice,
    lead,
    strategist,
    other_strategist,
    staff,
    other_staff,
    doctor,
    other_doctor,
    outsider,
):
    """One practice's objects, and the people around it."""
    second_staff = factories.make_member(practice, Membership.Role.STAFF, "second_staff")
    account = factories.make_account(practice)
    tip = factories.make_tip(practice, submitted_by=staff)
    # Sent to the doctor: what every role's row below is about (drafts: further down).
    post = factories.make_post(
        practice, author=strategist, targets=[account], status=Post.Status.IN_REVIEW
    )
    consent = factories.make_consent(practice)
    publication = Publication.objects.create(post=post, account=account)
    return {
        "people": {
            "lead": lead,
            "strategist": strategist,
            "other_strategist": other_strategist,
            "staff": staff,
            "other_staff": other_staff,
            "doctor": doctor,
            "other_doctor": other_doctor,
            "outsider": outsider,
            "second_staff": second_staff,
        },
        "practice": practice,
        "account": account,
        "tip": tip,
        "post": post,
        "consent": consent,
        "publication": publication,
    }


def _status(client, user, url):
    client.force_login(user)
    return client.get(url).status_code


POST_DETAIL = {
    "lead": 200,
    "strategist": 200,
    "other_strategist": 404,
    "staff": 403,
    "other_staff": 404,
    "doctor": 200,
    "other_doctor": 404,
    "outsider": 404,
}
TIP_DETAIL = {
    "lead": 200,
    "strategist": 200,
    "other_strategist": 404,
    "staff": 200,
    "other_staff": 404,
    "doctor": 403,
    "other_doctor": 404,
    "outsider": 404,
}
PRACTICE_DETAIL = {
    "lead": 200,
    "strategist": 200,
    "other_strategist": 404,
    "staff": 403,
    "other_staff": 404,
    "doctor": 403,
    "other_doctor": 404,
    "outsider": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_post_detail_matrix(client, scene, role):
    url = reverse("post_detail", args=[scene["post"].pk])
    assert _status(client, scene["people"][role], url) == POST_DETAIL[role]


@pytest.mark.parametrize("role", ROLES)
def test_tip_detail_matrix(client, scene, role):
    url = reverse("tip_detail", args=[scene["tip"].pk])
    assert _status(client, scene["people"][role], url) == TIP_DETAIL[role]


@pytest.mark.parametrize("role", ROLES)
def test_practice_detail_matrix(client, scene, role):
    url = reverse("practice_detail", args=[scene["practice"].slug])
    assert _status(client, scene["people"][role], url) == PRACTICE_DETAIL[role]


def test_staff_cannot_see_a_colleagues_tip(client, scene):
    url = reverse("tip_detail", args=[scene["tip"].pk])
    assert _status(client, scene["people"]["second_staff"], url) == 403


def test_anonymous_is_sent_to_login(client, scene):
    response = client.get(reverse("post_detail", args=[scene["post"].pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_missing_objects_are_404_for_everyone(client, scene):
    assert _status(client, scene["people"]["lead"], reverse("post_detail", args=[999999])) == 404


HELPER_EXPECTATIONS = {
    # role: (consent, account)
    "lead": ("ok", "ok"),
    "strategist": ("ok", "ok"),
    "other_strategist": (404, 404),
    "staff": (403, 403),
    "other_staff": (404, 404),
    "doctor": (403, 403),
    "other_doctor": (404, 404),
    "outsider": (404, 404),
}


def _outcome(function, *args):
    try:
        function(*args)
    except Http404:
        return 404
    except PermissionDenied:
        return 403
    return "ok"


@pytest.mark.parametrize("role", ROLES)
def test_consent_and_account_helpers_matrix(scene, role):
    user = scene["people"][role]
    expected_consent, expected_account = HELPER_EXPECTATIONS[role]
    assert _outcome(access.get_consent_for_user, user, scene["consent"].pk) == expected_consent
    assert _outcome(access.get_account_for_user, user, scene["account"].pk) == expected_account


@pytest.mark.parametrize("role", ROLES)
def test_publication_helper_matrix(scene, role):
    # The agency's buttons on a publication: the same rules as its account.
    user = scene["people"][role]
    _, expected = HELPER_EXPECTATIONS[role]
    assert _outcome(access.get_publication_for_user, user, scene["publication"].pk) == expected


def test_publication_helper_loads_post_practice_and_account_in_one_query(
    scene, django_assert_num_queries
):
    lead = scene["people"]["lead"]
    with django_assert_num_queries(1):
        publication = access.get_publication_for_user(lead, scene["publication"].pk)
        assert publication.post.practice == scene["practice"]
        assert publication.account == scene["account"]
    assert _outcome(access.get_publication_for_user, lead, scene["publication"].pk + 1000) == 404


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("lead", 1),
        ("strategist", 1),
        ("other_strategist", 0),
        ("staff", 0),
        ("other_staff", 0),
        ("doctor", 1),
        ("other_doctor", 0),
        ("outsider", 0),
    ],
)
def test_posts_visible_to(scene, role, expected):
    assert access.posts_visible_to(scene["people"][role]).count() == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("lead", 1),
        ("strategist", 1),
        ("other_strategist", 0),
        ("staff", 1),
        ("other_staff", 0),
        ("doctor", 0),
        ("other_doctor", 0),
        ("outsider", 0),
        ("second_staff", 0),
    ],
)
def test_tips_visible_to(scene, role, expected):
    assert access.tips_visible_to(scene["people"][role]).count() == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("lead", 1),
        ("strategist", 1),
        ("other_strategist", 0),
        ("staff", 0),
        ("doctor", 0),
        ("outsider", 0),
    ],
)
def test_consents_visible_to(scene, role, expected):
    assert access.consents_visible_to(scene["people"][role]).count() == expected


@pytest.mark.parametrize(
    ("role", "url_name", "expected"),
    [
        ("lead", "dashboard", 200),
        ("strategist", "dashboard", 200),
        ("staff", "dashboard", 403),
        ("doctor", "dashboard", 403),
        ("outsider", "dashboard", 403),
        ("doctor", "approvals", 200),
        ("staff", "approvals", 403),
        ("outsider", "approvals", 403),
        ("staff", "staff_home", 200),
        ("doctor", "staff_home", 403),
        ("outsider", "staff_home", 403),
    ],
)
def test_role_homes_are_guarded(client, scene, role, url_name, expected):
    assert _status(client, scene["people"][role], reverse(url_name)) == expected


def test_dashboard_lists_only_assigned_practices(client, scene, django_assert_num_queries):
    for n in range(5):
        factories.make_practice(f"Unassigned {n}")
    client.force_login(scene["people"]["strategist"])
    # Signing in, then one query per section (the open posts in one): 14.
    with django_assert_num_queries(14):
        response = client.get(reverse("dashboard"))
    names = [p.name for p in response.context["day"].practices]
    assert names == [scene["practice"].name]


def test_practice_page_query_count_does_not_grow_with_posts(
    client, scene, django_assert_max_num_queries
):
    for _ in range(30):
        factories.make_post(scene["practice"], targets=[scene["account"]])
    client.force_login(scene["people"]["strategist"])
    with django_assert_max_num_queries(10):
        response = client.get(reverse("practice_detail", args=[scene["practice"].slug]))
    assert response.status_code == 200
    assert len(response.context["posts"]) == 31


def test_practice_page_shows_times_in_the_practices_zone(client, scene):
    from datetime import UTC, datetime

    post = scene["post"]
    post.scheduled_at = datetime(2026, 7, 1, 15, 0, tzinfo=UTC)  # 10:00 in Chicago (CDT)
    post.save()
    client.force_login(scene["people"]["strategist"])
    page = client.get(reverse("practice_detail", args=[scene["practice"].slug])).text
    assert "Wed 1 Jul 2026, 10:00" in page
    detail = client.get(reverse("post_detail", args=[post.pk])).text
    assert "10:00 CDT" in detail


def test_dashboard_counts_do_not_multiply(client, scene):
    from posts.models import Post, Tip

    practice = scene["practice"]
    for _ in range(3):
        factories.make_tip(practice, status=Tip.Status.NEW)
    for _ in range(2):
        factories.make_post(practice, status=Post.Status.IN_REVIEW)
    client.force_login(scene["people"]["strategist"])
    row = client.get(reverse("dashboard")).context["day"].practices[0]
    # The scene's own tip and post (in review) count too.
    assert (row.new_tips, row.in_review, row.scheduled) == (4, 3, 0)


def test_disconnected_account_with_waiting_posts_needs_a_person(client, scene):
    from datetime import timedelta

    from django.utils import timezone

    from practices.models import SocialAccount

    post = factories.make_post(scene["practice"], targets=[scene["account"]])
    post.practice.approval_policy = post.practice.ApprovalPolicy.NEVER
    post.practice.save()
    post.mark_ready(by=scene["people"]["strategist"])
    post.schedule(at=timezone.now() + timedelta(hours=1))
    SocialAccount.objects.filter(pk=scene["account"].pk).update(status="disconnected")
    client.force_login(scene["people"]["strategist"])
    response = client.get(reverse("dashboard"))
    assert list(response.context["day"].accounts_needing_reconnect) == [scene["account"]]
    assert "has posts waiting to go out" in response.text


def test_doctor_sees_post_photos_but_not_tip_photos(scene):
    from posts.models import MediaAsset, PostMedia

    practice = scene["practice"]
    on_post = MediaAsset.objects.create(
        practice=practice, file="a.jpg", width=1, height=1, size_bytes=1, sha256="a" * 64
    )
    on_tip_only = MediaAsset.objects.create(
        practice=practice, file="b.jpg", width=1, height=1, size_bytes=1, sha256="b" * 64
    )
    PostMedia.objects.create(post=scene["post"], asset=on_post)
    scene["tip"].photos.add(on_tip_only)
    doctor = scene["people"]["doctor"]
    assert access.get_media_for_user(doctor, on_post.pk) == on_post
    assert _outcome(access.get_media_for_user, doctor, on_tip_only.pk) == 403
    assert _outcome(access.get_media_for_user, scene["people"]["staff"], on_tip_only.pk) == "ok"
    assert _outcome(access.get_media_for_user, scene["people"]["other_staff"], on_post.pk) == 404


# -- what a doctor sees of a post, by its status ---------------------------------
# Drafts are the agency's working space; a post reaches the practice's doctors
# when it is sent for review and stays visible to them from then on. A post
# cancelled before it reached them never does.


def _cancelled_from(status):
    def make(practice):
        post = factories.make_post(practice, status=status)
        post.cancel(reason="Not this week.")
        return post

    return make


def _cancelled_on_the_way_out(practice):
    # Every publication cancelled while publishing (an authorization revoked).
    account = factories.make_account(practice)
    post = factories.make_post(practice, status=Post.Status.PUBLISHING, targets=[account])
    Publication.objects.create(post=post, account=account, status=Publication.Status.CANCELLED)
    post.roll_up()
    return post


def _reopened_after_changes(practice):
    post = factories.make_post(practice, status=Post.Status.IN_REVIEW)
    doctor = practice.memberships.get(role="doctor").user
    post.request_changes(by=doctor, via="login", comment="A smaller photo, please.")
    post.reopen()
    return post


def _in_status(status):
    return lambda practice: factories.make_post(practice, status=status)


DOCTOR_SEES = {
    "draft": (_in_status(Post.Status.DRAFT), False),
    "in_review": (_in_status(Post.Status.IN_REVIEW), True),
    "changes_requested": (_in_status(Post.Status.CHANGES_REQUESTED), True),
    "approved": (_in_status(Post.Status.APPROVED), True),
    "scheduled": (_in_status(Post.Status.SCHEDULED), True),
    "publishing": (_in_status(Post.Status.PUBLISHING), True),
    "published": (_in_status(Post.Status.PUBLISHED), True),
    "partially_failed": (_in_status(Post.Status.PARTIALLY_FAILED), True),
    "failed": (_in_status(Post.Status.FAILED), True),
    "back_to_draft_after_changes": (_reopened_after_changes, False),
    "cancelled_as_a_draft": (_cancelled_from(Post.Status.DRAFT), False),
    "cancelled_in_review": (_cancelled_from(Post.Status.IN_REVIEW), True),
    "cancelled_after_changes_requested": (_cancelled_from(Post.Status.CHANGES_REQUESTED), True),
    "cancelled_when_scheduled": (_cancelled_from(Post.Status.SCHEDULED), True),
    "cancelled_on_the_way_out": (_cancelled_on_the_way_out, True),
}


@pytest.mark.parametrize("case", DOCTOR_SEES)
def test_what_a_doctor_sees_of_a_post(client, scene, case):
    make, shown = DOCTOR_SEES[case]
    post = make(scene["practice"])
    photo = MediaAsset.objects.create(
        practice=scene["practice"],
        file="p.jpg",
        width=1,
        height=1,
        size_bytes=1,
        sha256=f"{post.pk:064d}",
    )
    PostMedia.objects.create(post=post, asset=photo)
    people = scene["people"]
    doctor = people["doctor"]

    assert _outcome(access.get_post_for_user, doctor, post.pk) == ("ok" if shown else 404)
    assert access.posts_visible_to(doctor).filter(pk=post.pk).exists() == shown
    assert _outcome(access.get_media_for_user, doctor, photo.pk) == ("ok" if shown else 403)
    assert _status(client, doctor, reverse("post_detail", args=[post.pk])) == (
        200 if shown else 404
    )
    # The agency sees every one of them; the other practice's doctor none.
    for role in ("lead", "strategist"):
        assert _outcome(access.get_post_for_user, people[role], post.pk) == "ok"
        assert access.posts_visible_to(people[role]).filter(pk=post.pk).exists()
        assert _outcome(access.get_media_for_user, people[role], photo.pk) == "ok"
    assert _outcome(access.get_post_for_user, people["other_doctor"], post.pk) == 404
    assert not access.posts_visible_to(people["other_doctor"]).filter(pk=post.pk).exists()


def test_a_post_reaches_the_doctor_again_when_sent_back(scene):
    post = _reopened_after_changes(scene["practice"])
    doctor = scene["people"]["doctor"]
    assert _outcome(access.get_post_for_user, doctor, post.pk) == 404
    post.submit_for_review()
    assert _outcome(access.get_post_for_user, doctor, post.pk) == "ok"


def test_the_doctors_approvals_page_lists_no_draft_and_no_post_cancelled_as_one(client, scene):
    practice = scene["practice"]
    cancelled_draft = _cancelled_from(Post.Status.DRAFT)(practice)
    cancelled_in_review = _cancelled_from(Post.Status.IN_REVIEW)(practice)
    draft = factories.make_post(practice)
    client.force_login(scene["people"]["doctor"])
    response = client.get(reverse("approvals"))
    listed = {review.post.pk for review in response.context["reviews"]} | {
        p.pk for p in response.context["recent"]
    }
    assert cancelled_in_review.pk in listed and scene["post"].pk in listed
    assert cancelled_draft.pk not in listed and draft.pk not in listed


def test_a_doctor_who_is_also_staff_elsewhere_sees_only_their_own_practices_posts(scene):
    other = factories.make_practice("Elsewhere")
    doctor = scene["people"]["doctor"]
    from practices.models import Membership as M

    M.objects.create(user=doctor, practice=other, role=M.Role.STAFF)
    elsewhere = factories.make_post(other, status=Post.Status.IN_REVIEW)
    doctor = type(doctor).objects.get(pk=doctor.pk)  # roles are cached per user object
    assert not access.posts_visible_to(doctor).filter(pk=elsewhere.pk).exists()
    assert _outcome(access.get_post_for_user, doctor, elsewhere.pk) == 403
