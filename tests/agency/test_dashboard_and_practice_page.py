"""The strategist's dashboard and practice page: only their own practices, counts that add
up, times in the practice's zone, and a cost that does not grow with the posts."""

from __future__ import annotations

from django.urls import reverse

from tests import factories


def test_dashboard_lists_only_assigned_practices(client, scene, django_assert_num_queries):
    for n in range(5):
        factories.make_practice(f"Unassigned {n}")
    client.force_login(scene["people"]["strategist"])
    # Signing in, then one query per section (the open posts in one): 14.
    with django_assert_num_queries(15):
        response = client.get(reverse("dashboard"))
    names = [p.name for p in response.context["day"].practices]
    assert names == [scene["practice"].name]


def test_practice_page_query_count_does_not_grow_with_posts(
    client, scene, django_assert_max_num_queries
):
    for _ in range(30):
        factories.make_post(scene["practice"], targets=[scene["account"]])
    client.force_login(scene["people"]["strategist"])
    # 10, and one for the setup checklist.
    with django_assert_max_num_queries(11):
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
