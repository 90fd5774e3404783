"""The inbox pages: who sees which practice's conversation, the filters, the order (bad
reviews first), sorting things out, and the same number of queries at any size."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engagement.models import InboxItem
from tests import factories
from tests.engagement.support import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def google(practice):
    return factories.make_account(practice, "google_business")


@pytest.fixture
def facebook(practice):
    return factories.make_account(practice, "facebook")


def test_staff_and_other_practices_never_see_an_inbox(
    client, practice, other_practice, staff, other_doctor, other_strategist, google
):
    item = make_item(google, kind="review", text="Great care", rating=5)
    for person in (staff, other_doctor, other_strategist):
        client.force_login(person)
        assert client.get(reverse("inbox_item", args=[item.pk])).status_code in (403, 404)
        page = client.get(reverse("inbox"))
        assert "Great care" not in page.content.decode()
        inbox = client.get(reverse("practice_inbox", args=[practice.slug]))
        assert inbox.status_code in (403, 404)


def test_the_practice_doctor_reads_but_does_not_reply(client, doctor, google):
    item = make_item(google, kind="review", text="Kind nurses", rating=4)
    client.force_login(doctor)
    page = client.get(reverse("inbox_item", args=[item.pk])).content.decode()
    assert "Kind nurses" in page and "Send reply" not in page
    response = client.post(reverse("inbox_reply", args=[item.pk]), {"text": "Thanks!"})
    assert response.status_code == 403
    assert not item.replies.exists()


def test_bad_reviews_and_complaints_come_first_and_filters_work(
    client, strategist, practice, google, facebook
):
    make_item(facebook, text="Congratulations to the team!")
    make_item(google, kind="review", text="Fine.", rating=4)
    bad = make_item(google, kind="review", text="Waited two hours.", rating=1)
    client.force_login(strategist)
    page = client.get(reverse("practice_inbox", args=[practice.slug])).content.decode()
    assert page.index("Waited two hours.") < page.index("Congratulations to the team!")
    assert "1 bad review or complaint waiting" in page
    only_reviews = client.get(
        reverse("practice_inbox", args=[practice.slug]), {"kind": "review", "rating": "bad"}
    ).content.decode()
    assert "Waited two hours." in only_reviews and "Fine." not in only_reviews
    facebook_only = client.get(reverse("inbox"), {"platform": "facebook"}).content.decode()
    assert "Congratulations" in facebook_only and "Waited" not in facebook_only
    InboxItem.objects.filter(pk=bad.pk).update(state=InboxItem.State.DONE)
    done = client.get(reverse("inbox"), {"state": "done"}).content.decode()
    assert "Waited two hours." in done and "Fine." not in done


def test_mark_and_assign(client, strategist, google):
    item = make_item(google, kind="review", text="Nice", rating=5)
    client.force_login(strategist)
    client.post(reverse("inbox_state", args=[item.pk]), {"state": "done"})
    client.post(reverse("inbox_assign", args=[item.pk]), {"assignee": strategist.pk})
    item.refresh_from_db()
    assert item.state == InboxItem.State.DONE and item.assigned_to == strategist
    mine = client.get(reverse("inbox"), {"mine": "on", "state": "all"}).content.decode()
    assert "Nice" in mine


def test_an_outsider_cannot_be_assigned(client, strategist, other_strategist, google):
    item = make_item(google, kind="review", text="Nice", rating=5)
    client.force_login(strategist)
    client.post(reverse("inbox_assign", args=[item.pk]), {"assignee": other_strategist.pk})
    item.refresh_from_db()
    assert item.assigned_to is None


def test_a_deleted_comment_is_not_shown_as_standing(client, strategist, facebook):
    from django.utils import timezone

    item = make_item(facebook, text="Rude receptionist", deleted_at=timezone.now())
    client.force_login(strategist)
    page = client.get(reverse("inbox_item", args=[item.pk])).content.decode()
    assert "Deleted on Facebook" in page and "Send reply" not in page


def test_hostile_text_is_shown_as_text(client, strategist, facebook):
    item = make_item(facebook, text="<script>alert(1)</script> مرحبا 👩‍⚕️")
    client.force_login(strategist)
    page = client.get(reverse("inbox_item", args=[item.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; مرحبا 👩‍⚕️" in page


@pytest.mark.parametrize("size", [10, 120])
def test_the_inbox_costs_the_same_queries_at_any_size(
    client, strategist, practice, google, facebook, size, django_assert_max_num_queries
):
    for n in range(size):
        make_item(
            facebook if n % 2 else google,
            kind="comment" if n % 2 else "review",
            text=f"Item {n}",
            rating=None if n % 2 else 1 + n % 5,
        )
    client.force_login(strategist)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("inbox")).status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(reverse("practice_inbox", args=[practice.slug])).status_code == 200


def test_the_dashboard_says_when_a_bad_review_or_a_failed_reply_waits(
    client, strategist, practice, google
):
    from engagement.models import Reply

    client.force_login(strategist)
    page = client.get(reverse("dashboard")).content.decode()
    assert "bad review" not in page
    bad = make_item(google, kind="review", text="Rude.", rating=1)
    Reply.objects.create(item=bad, text="Thanks", content_hash="x", status=Reply.Status.FAILED)
    page = client.get(reverse("dashboard")).content.decode()
    assert "1 bad review or complaint waiting for an answer." in page
    assert "1 reply could not be sent." in page
    assert reverse("inbox") in page
