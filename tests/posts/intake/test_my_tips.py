"""My tips: what became of each, for the staff member who sent it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import MetricSnapshot, Post, Publication, Tip
from practices.models import Membership
from tests import factories
from tests.posts.intake.support import (
    STAFF_HOME,
)

# -- My tips -----------------------------------------------------------------


def test_my_tips_says_what_became_of_each(staff_client, staff, practice, strategist):
    factories.make_tip(practice, submitted_by=staff, text="Brand new one")
    declined = factories.make_tip(practice, submitted_by=staff, text="Blurry photo")
    declined.decline(reason="The photo is too dark to use.", by=strategist)
    scheduled_tip = factories.make_tip(practice, submitted_by=staff, status=Tip.Status.DRAFTED)
    factories.make_post(
        practice,
        tip=scheduled_tip,
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(days=2),
    )
    published_tip = factories.make_tip(practice, submitted_by=staff, status=Tip.Status.DRAFTED)
    account = factories.make_account(practice)
    post = factories.make_post(practice, tip=published_tip, status=Post.Status.PUBLISHED)
    publication = Publication.objects.create(
        post=post,
        account=account,
        status=Publication.Status.PUBLISHED,
        permalink="https://www.facebook.com/lakeside/posts/1",
    )
    MetricSnapshot.objects.create(
        publication=publication, reach=1000, fetched_at=timezone.now() - timedelta(days=1)
    )
    MetricSnapshot.objects.create(publication=publication, reach=4000)
    page = staff_client.get(STAFF_HOME).content.decode()
    assert "Declined: The photo is too dark to use." in page
    assert "Goes out" in page
    assert 'href="https://www.facebook.com/lakeside/posts/1"' in page
    assert "Reached <strong>4000</strong> people" in page
    assert "The agency will look at it soon." in page


def test_my_tips_query_count_does_not_grow(
    staff_client, staff, practice, django_assert_max_num_queries
):
    account = factories.make_account(practice)
    for i in range(12):
        tip = factories.make_tip(practice, submitted_by=staff, text=f"Tip {i}")
        post = factories.make_post(practice, tip=tip, status=Post.Status.PUBLISHED)
        publication = Publication.objects.create(
            post=post, account=account, status=Publication.Status.PUBLISHED
        )
        MetricSnapshot.objects.create(publication=publication, reach=i)
    # The page of tips (its count, the tips, their posts, publications and
    # photos) and the last months' tips for the figures (the same four reads).
    with django_assert_max_num_queries(13):
        response = staff_client.get(STAFF_HOME)
    assert response.content.decode().count('class="card tip-card"') == 10  # a page of them


def test_my_tips_shows_only_my_own(staff_client, practice, other_practice):
    colleague = factories.make_member(practice, Membership.Role.STAFF, "colleague")
    factories.make_tip(practice, submitted_by=colleague, text="Colleague's secret tip")
    factories.make_tip(other_practice, text="Another practice's tip")
    page = staff_client.get(STAFF_HOME).content.decode()
    assert "Colleague's secret tip" not in page and "Another practice" not in page


@pytest.mark.parametrize("who", ["strategist", "doctor", "outsider"])
def test_staff_home_is_for_staff(request, client, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(STAFF_HOME).status_code == 403
