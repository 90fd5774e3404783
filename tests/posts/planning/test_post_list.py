"""The post list: across the practices a person may see, or one; search, filters, pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Post, Publication
from tests import factories

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [post["title"] for post in response.context["page"]]


@pytest.fixture
def listed(practice, other_practice, strategist):
    fb = factories.make_account(practice, "facebook")
    x = factories.make_account(practice, "x")
    other = factories.make_account(other_practice, "facebook")
    soon = timezone.now() + timedelta(days=1)
    return {
        "flu": factories.make_post(
            practice, title="Flu", caption="Flu shots are in", targets=[fb], author=strategist
        ),
        "ivf": factories.make_post(
            practice,
            title="IVF",
            caption="Our IVF lab turns ten",
            targets=[x],
            status=Post.Status.SCHEDULED,
            scheduled_at=soon,
        ),
        "secret": factories.make_post(
            other_practice, title="Other", caption="Flu shots elsewhere", targets=[other]
        ),
    }


def test_a_strategist_finds_only_their_practices_posts(client, strategist, listed):
    client.force_login(strategist)
    response = client.get("/posts/")
    assert sorted(titles(response)) == ["Flu", "IVF"]
    assert response.context["page"].paginator.count == 2
    assert sorted(titles(client.get("/posts/", {"q": "flu"}))) == ["Flu"]
    other = listed["secret"].practice
    assert client.get(f"/practices/{other.slug}/posts/").status_code == 404
    # Another practice is not a choice of the filter: refused, and nothing of it shown.
    response = client.get("/posts/", {"practice": other.pk})
    assert "practice" in response.context["form"].errors
    assert "Other" not in titles(response)


def test_the_search_finds_every_word_as_the_start_of_one(client, strategist, practice):
    factories.make_post(practice, title="Vaccines", caption="Flu-shot clinic, Tuesday at 9:30.")
    factories.make_post(practice, title="Team", caption="Meet Dr. O'Neil, our new nurse.")
    client.force_login(strategist)

    def found(q: str) -> list[str]:
        response = client.get("/posts/", {"q": q})
        assert response.status_code == 200
        return sorted(titles(response))

    assert found("vacc") == ["Vaccines"]  # the start of a word
    assert found("FLU shot") == ["Vaccines"]  # case and punctuation aside
    assert found("tues flu") == ["Vaccines"]  # every word, in any order
    assert found("o'neil") == ["Team"]
    assert found("nurse tuesday") == []  # every word, not any
    assert found("ccine") == []  # inside a word: not a start
    # What a search query's own syntax would mean is read as words, or nothing.
    assert found("flu:* | !clinic") == ["Vaccines"]
    assert found("&|!():*") == ["Team", "Vaccines"]


def test_filters(client, strategist, listed, practice):
    client.force_login(strategist)
    assert titles(client.get("/posts/", {"status": "scheduled"})) == ["IVF"]
    assert titles(client.get("/posts/", {"platform": "x"})) == ["IVF"]
    assert titles(client.get("/posts/", {"author": strategist.pk})) == ["Flu"]
    assert titles(client.get("/posts/", {"q": "ivf ten"})) == ["IVF"]
    tomorrow = timezone.localdate(listed["ivf"].scheduled_at, practice.zone)
    day = {"start": tomorrow.isoformat(), "end": tomorrow.isoformat()}
    assert titles(client.get(f"/practices/{practice.slug}/posts/", day)) == ["IVF"]
    before = {"end": (tomorrow - timedelta(days=2)).isoformat()}
    assert titles(client.get(f"/practices/{practice.slug}/posts/", before)) == []
    bad = client.get("/posts/", {"start": "2027-02-02", "end": "2027-01-01"})
    assert "The end comes before the start." in bad.content.decode()


def test_pages_of_fifty(client, strategist, practice):
    for i in range(51):
        factories.make_post(practice, title=f"Post {i:02d}")
    client.force_login(strategist)
    first = client.get(f"/practices/{practice.slug}/posts/")
    assert len(titles(first)) == 50
    assert "page=2" in first.content.decode()
    second = client.get(f"/practices/{practice.slug}/posts/", {"page": 2})
    assert len(titles(second)) == 1
    assert client.get("/posts/", {"page": "nonsense"}).status_code == 200


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_keeps_a_fixed_number_of_queries(
    client, strategist, practice, django_assert_num_queries, count
):
    accounts = [factories.make_account(practice, p) for p in ("facebook", "x")]
    for i in range(count):
        factories.make_post(practice, title=f"Post {i}", targets=accounts, author=strategist)
    client.force_login(strategist)
    client.get("/posts/")
    # Signing in, the person's practices, the filters' choices, the count,
    # the page and its targets: the same at any size.
    with django_assert_num_queries(9):
        client.get("/posts/")


def test_a_post_needing_a_person_says_so_and_links_to_its_page(
    client, strategist, practice, listed
):
    post = listed["ivf"]
    Publication.objects.create(
        post=post,
        account=post.targets.get(),
        status=Publication.Status.FAILED,
        last_error_message="X: the token expired.",
    )
    client.force_login(strategist)
    page = client.get("/posts/").content.decode()
    assert f'href="{post.get_absolute_url()}">1 publication needs a person' in page


def test_staff_and_doctors_have_no_post_list(client, staff, doctor, practice):
    for person in (staff, doctor):
        client.force_login(person)
        assert client.get("/posts/").status_code == 403
        assert client.get(f"/practices/{practice.slug}/posts/").status_code == 403


def test_the_dashboard_table_keeps_its_labels_on_a_phone(client, strategist, practice):
    client.force_login(strategist)
    page = client.get("/dashboard/").content.decode()
    for label in ("Practice", "Specialty", "New tips", "In review", "Scheduled"):
        assert f'data-label="{label}"' in page


def test_the_accounts_page_comes_in_pages(client, strategist, practice):
    for n in range(55):
        factories.make_account(practice, "facebook", display_name=f"Page {n:02d}")
    factories.make_account(practice, "x", status="needs_reconnect", display_name="Broken")
    client.force_login(strategist)
    first = client.get("/accounts/")
    assert first.context["page"].paginator.count == 56
    assert len(first.context["rows"]) == 50
    only = client.get("/accounts/", {"status": "needs_reconnect"})
    assert [account["display_name"] for account in only.context["page"]] == ["Broken"]
