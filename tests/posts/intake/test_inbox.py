"""The tip inbox: who opens it, filters, declining, drafting a post from a tip."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent
from posts.models import MediaAsset, Tip
from tests import factories
from tests import media_samples as samples
from tests.posts.intake.support import (
    STAFF_HOME,
    inbox,
)
from tests.signin_support import SignInClient


def test_inbox_lists_filters_and_counts_queries(
    client, strategist, staff, practice, other_practice, django_assert_max_num_queries
):
    for i in range(8):
        tip = factories.make_tip(
            practice,
            submitted_by=staff,
            kind=Tip.Kind.EVENT if i % 2 else Tip.Kind.TEAM,
            text=f"Inbox tip {i}",
        )
        tip.photos.add(
            MediaAsset.objects.create(
                practice=practice,
                file=f"media/x{i}.jpg",
                width=1,
                height=1,
                size_bytes=1,
                sha256=f"{i:064d}",
            ),
            through_defaults={"position": 0},
        )
    factories.make_tip(other_practice, text="Not this practice")
    client.force_login(strategist)
    with django_assert_max_num_queries(10):
        page = client.get(inbox(practice)).content.decode()
    assert page.count("inbox-tip") == 8 and "Not this practice" not in page
    assert "Draft a post from this tip" in page
    assert practice.tip_link_token in page
    events = client.get(inbox(practice), {"kind": "event"}).content.decode()
    assert events.count("inbox-tip") == 4
    assert (
        client.get(inbox(practice), {"status": "declined"}).content.decode().count("inbox-tip") == 0
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("lead", 200),
        ("strategist", 200),
        ("other_strategist", 404),
        ("staff", 403),
        ("doctor", 403),
        ("other_staff", 404),
        ("outsider", 404),
    ],
)
def test_who_opens_the_inbox(request, client, practice, who, expected):
    client.force_login(request.getfixturevalue(who))
    assert client.get(inbox(practice)).status_code == expected


def test_decline_with_a_reason(client, strategist, staff, practice):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(strategist)
    response = client.post(
        reverse("tip_decline", args=[tip.pk]), {"reason": "We posted this last week."}
    )
    assert response.status_code == 302
    tip.refresh_from_db()
    assert tip.status == Tip.Status.DECLINED and tip.declined_by == strategist
    assert AuditEvent.objects.filter(verb="tip_declined", object_id=str(tip.pk)).exists()


def test_decline_needs_a_reason(client, strategist, staff, practice):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(strategist)
    response = client.post(reverse("tip_decline", args=[tip.pk]), {"reason": ""}, follow=True)
    assert "Please say why" in response.content.decode()
    tip.refresh_from_db()
    assert tip.status == Tip.Status.NEW


@pytest.mark.parametrize(("who", "expected"), [("staff", 403), ("other_strategist", 404)])
def test_only_the_agency_declines(request, client, staff, practice, who, expected):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("tip_decline", args=[tip.pk]), {"reason": "no"})
    assert response.status_code == expected
    tip.refresh_from_db()
    assert tip.status == Tip.Status.NEW


def test_draft_a_post_link_reaches_a_real_page(client, strategist, staff, practice):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(strategist)
    response = client.get(reverse("post_new"), {"tip": tip.pk})
    assert response.status_code == 200
    # The editor, starting from the tip's story.
    assert 'id="editor"' in response.content.decode()
    assert tip.text in response.content.decode()


@pytest.mark.parametrize(("who", "expected"), [("staff", 403), ("other_strategist", 404)])
def test_draft_a_post_page_checks_access(request, client, staff, practice, who, expected):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("post_new"), {"tip": tip.pk}).status_code == expected


def test_tip_detail_for_the_strategist_has_photos_focal_point_and_actions(
    strategist, staff_client, practice
):
    staff_client.post(STAFF_HOME, {"kind": "team", "text": "Hi", "photos": [samples.photo()]})
    tip = Tip.objects.get()
    client = SignInClient()
    client.force_login(strategist)
    page = client.get(tip.get_absolute_url()).content.decode()
    assert 'class="focal-form"' in page and 'name="x"' in page
    assert "Draft a post from this tip" in page and 'id="decline"' in page
    staff_page = staff_client.get(tip.get_absolute_url()).content.decode()
    assert "focal-form" not in staff_page and "Decline" not in staff_page


def test_other_practice_staff_cannot_see_a_tip(client, other_staff, staff, practice):
    tip = factories.make_tip(practice, submitted_by=staff)
    client.force_login(other_staff)
    assert client.get(tip.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("value", ["²", "abc", "-1", "1e3", ""])
def test_post_new_with_a_strange_tip_id_is_not_an_error(client, strategist, value):
    client.force_login(strategist)
    response = client.get(reverse("post_new"), {"tip": value})
    assert response.status_code == 200


def test_the_tips_of_every_practice_in_one_inbox_new_first(
    client, strategist, practice, other_practice, staff
):
    old_new = factories.make_tip(practice, submitted_by=staff, text="An older new tip")
    declined = factories.make_tip(practice, submitted_by=staff, text="A declined one")
    Tip.objects.filter(pk=declined.pk).update(status=Tip.Status.DECLINED)
    factories.make_tip(other_practice, text="Not this strategist's practice")
    fresh = factories.make_tip(practice, submitted_by=staff, text="The newest new tip")
    client.force_login(strategist)
    page = client.get(reverse("tip_inbox_all")).text
    assert f'<a href="{reverse("tip_inbox_all")}">Tips</a>' in page  # in the navigation
    order = [page.index(t.text) for t in (fresh, old_new, declined)]
    assert order == sorted(order)  # new ones first, newest first, then the rest
    assert "Not this strategist's practice" not in page
    assert f"{practice.name} · From" in page
    # Filtered to one practice, and to a kind or status.
    declined_only = client.get(reverse("tip_inbox_all"), {"status": "declined"}).text
    assert "A declined one" in declined_only and "The newest new tip" not in declined_only
    # A practice not theirs is no choice: the filter is refused and nothing of it shown.
    refused = client.get(reverse("tip_inbox_all"), {"practice": other_practice.pk}).text
    assert "Not this strategist's practice" not in refused


def test_the_inbox_across_practices_is_the_agencys(client, staff, doctor):
    for person in (staff, doctor):
        client.force_login(person)
        assert client.get(reverse("tip_inbox_all")).status_code == 403
