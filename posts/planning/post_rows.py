"""What each row of the post list shows, read as values.

The rows are plain dicts (no model object per post, one reverse per page for
their URLs); posts/post_list.html writes them, escaping every value.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from core.models import person_name
from core.row_urls import url_template
from posts.models import Post
from practices.models import Platform


def _author(post: dict[str, Any]) -> str:
    if not post["author_id"]:
        return "—"
    return person_name(
        post["author__first_name"], post["author__last_name"], post["author__username"]
    )


def post_rows(
    posts: list[dict[str, Any]], *, platforms: dict[int, list[str]]
) -> list[dict[str, Any]]:
    """The post list's rows: title and caption, practice, status, time, platforms, author.

    The posts are post_filters.LIST_FIELDS values, their platforms from platforms_of.
    Each row carries its practice's zone: its time is said on that clock.
    """
    edit_url = url_template("post_edit", "pk")
    detail_url = url_template("post_detail", "pk")
    practice_url = url_template("practice_post_list", "slug")
    statuses = dict(Post.Status.choices)
    labels = dict(Platform.choices)
    zones: dict[str, ZoneInfo] = {}
    rows = []
    for post in posts:
        pk = post["pk"]
        zone_name = post["practice__time_zone"]
        rows.append(
            {
                **post,
                "label": post["title"] or f"Post #{pk}",  # Post.__str__
                "edit_url": edit_url.format(pk=pk),
                "detail_url": detail_url.format(pk=pk),
                "practice_url": practice_url.format(slug=post["practice__slug"]),
                "status_label": statuses.get(post["status"], post["status"]),
                "zone": zones.setdefault(zone_name, ZoneInfo(zone_name)),
                "where": ", ".join(labels.get(name, name) for name in platforms.get(pk, [])),
                "author": _author(post),
            }
        )
    return rows
