"""Finding posts: the filters of the post list, across practices or within one."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from core.models import User
from posts.models import Post, Publication
from posts.models.posts import SEARCHED
from practices.models import Platform, Practice

PER_PAGE = 50
# More words than this narrow nothing a person would notice, and each is a term to match.
MAX_WORDS = 10


class PostFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Post.Status.choices])
    platform = forms.ChoiceField(required=False, choices=[("", "Any platform"), *Platform.choices])
    author = forms.ModelChoiceField(
        required=False, queryset=User.objects.none(), empty_label="Anyone"
    )
    practice = forms.ModelChoiceField(
        required=False,
        queryset=Practice.objects.none(),
        empty_label="All practices",
    )
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, *args: Any, practices: QuerySet[Practice], one_practice: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practice"].queryset = practices.order_by("name")  # type: ignore[attr-defined]
        self.fields["author"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(posts__practice__in=practices).distinct().order_by("username")
        )
        if one_practice:
            del self.fields["practice"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end comes before the start.")
        return data


def searched(posts: QuerySet[Post], text: str) -> QuerySet[Post]:
    """The posts whose title or caption hold every word of `text`, each word as the
    start of one of theirs ("vacc" finds "vaccines"; case and punctuation aside).

    Read through the index post_search, so that a search costs what it finds.
    """
    words = [word for word in re.findall(r"\w+", text.lower()) if word][:MAX_WORDS]
    if not words:
        return posts
    query = " & ".join(f"{word}:*" for word in words)
    return posts.alias(searched=SEARCHED).filter(
        searched=SearchQuery(query, search_type="raw", config="simple")
    )


def filtered(posts: QuerySet[Post], form: PostFilterForm, *, zone: ZoneInfo) -> QuerySet[Post]:
    """The posts that match the form's filters (dates are days on `zone`'s clock)."""
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    if data.get("q"):
        posts = searched(posts, str(data["q"]))
    if data.get("status"):
        posts = posts.filter(status=data["status"])
    if data.get("platform"):
        posts = posts.filter(targets__platform=data["platform"]).distinct()
    if data.get("author"):
        posts = posts.filter(author=data["author"])
    if data.get("practice"):
        posts = posts.filter(practice=data["practice"])
    start: date | None = data.get("start")
    end: date | None = data.get("end")
    if start:
        posts = posts.filter(scheduled_at__gte=datetime.combine(start, time.min, tzinfo=zone))
    if end:
        after = datetime.combine(end, time.min, tzinfo=zone) + timedelta(days=1)
        posts = posts.filter(scheduled_at__lt=after)
    return posts


# What each row of the list shows (posts.planning.post_rows), read as values.
LIST_FIELDS = (
    "pk",
    "title",
    "caption",
    "status",
    "scheduled_at",
    "practice__name",
    "practice__slug",
    "practice__time_zone",
    "author_id",
    "author__username",
    "author__first_name",
    "author__last_name",
    "needing_attention",
)


def for_list(posts: QuerySet[Post]) -> QuerySet[Post, dict[str, Any]]:
    """What each row shows, newest first: LIST_FIELDS, with how many of the post's
    publications need a person (failed, or unsure whether they went out).

    The count is a correlated subquery, not a join with GROUP BY: PostgreSQL
    works it out for the page's rows only (after ORDER BY and LIMIT), and the
    paginator's COUNT leaves it out, so a page costs its 50 rows, not every
    post the person may see.
    """
    needing = (
        Publication.objects.filter(
            post=OuterRef("pk"),
            status__in=[Publication.Status.FAILED, Publication.Status.UNKNOWN],
        )
        .order_by()
        .values("post")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows: QuerySet[Post, dict[str, Any]] = (
        posts.annotate(needing_attention=Coalesce(Subquery(needing), 0))
        .order_by(F("scheduled_at").desc(nulls_last=True), "-created_at", "-pk")
        .values(*LIST_FIELDS)
    )
    return rows


def platforms_of(posts: list[dict[str, Any]]) -> dict[int, list[str]]:
    """Each post's target platforms: one query for a page of posts."""
    through = Post.targets.through
    found = (
        through.objects.filter(post_id__in=[post["pk"] for post in posts])
        .order_by("socialaccount_id")
        .values_list("post_id", "socialaccount__platform")
    )
    platforms: dict[int, list[str]] = {}
    for post_id, platform in found:
        platforms.setdefault(post_id, []).append(platform)
    return platforms
