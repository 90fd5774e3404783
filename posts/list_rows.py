"""What each card of the tip inbox and each row of the post list shows, read as values.

The rows are plain dicts (no model object per row, one reverse per page for
their URLs); the templates write the HTML (posts/tip_inbox.html,
posts/post_list.html), escaping every value.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from core.row_urls import url_template
from posts.models import Post, Tip, TipPhoto
from practices.models import Platform

# What each card shows (tip_cards), read as values: a page of model objects
# with their sender and authorization cost more than its SQL.
TIP_CARD_FIELDS = (
    "pk",
    "kind",
    "status",
    "text",
    "created_at",
    "features_patient",
    "via_link",
    "submitter_name",
    "decline_reason",
    "submitted_by_id",
    "submitted_by__username",
    "submitted_by__first_name",
    "submitted_by__last_name",
    "consent_id",
    "consent__patient_label",
)


def photos_of(tips: list[dict[str, Any]]) -> dict[int, list[int]]:
    """Each tip's photos (their asset ids), in order: one query for a page of tips."""
    photos: dict[int, list[int]] = {}
    found = (
        TipPhoto.objects.filter(tip_id__in=[tip["pk"] for tip in tips])
        .order_by("tip_id", "position")
        .values_list("tip_id", "asset_id")
    )
    for tip_id, asset_id in found:
        photos.setdefault(tip_id, []).append(asset_id)
    return photos


def person(first_name: str, last_name: str, username: str) -> str:
    """A person as User.__str__ says them (the full name, or the username), from values."""
    return f"{first_name} {last_name}".strip() or username


def _sender(tip: dict[str, Any]) -> str:
    """Tip.submitter_display from the values."""
    if tip["submitted_by_id"]:
        return person(
            tip["submitted_by__first_name"],
            tip["submitted_by__last_name"],
            tip["submitted_by__username"],
        )
    return tip["submitter_name"] or "Anonymous"


def tip_cards(tips: list[dict[str, Any]], *, photos: dict[int, list[int]]) -> list[dict[str, Any]]:
    """The inbox's cards: photos, kind, status, patient, sender, and where its links go.

    The tips are TIP_CARD_FIELDS values, their photos from photos_of.
    """
    tip_url = url_template("tip_detail", "pk")
    thumbnail_url = url_template("media_file", "pk", "spec")
    draft_url = url_template("post_new") + "?tip={pk}"
    kinds = dict(Tip.Kind.choices)
    statuses = dict(Tip.Status.choices)
    cards = []
    for tip in tips:
        assets = photos.get(tip["pk"], [])
        cards.append(
            {
                **tip,
                "url": tip_url.format(pk=tip["pk"]),
                "draft_url": draft_url.format(pk=tip["pk"])
                if tip["status"] == Tip.Status.NEW
                else "",
                "thumbnails": [
                    thumbnail_url.format(pk=asset_id, spec="thumbnail") for asset_id in assets[:3]
                ],
                "photo_count": len(assets),
                "kind_label": kinds.get(tip["kind"], tip["kind"]),
                "status_label": statuses.get(tip["status"], tip["status"]),
                "declined": tip["status"] == Tip.Status.DECLINED,
                "sender": _sender(tip),
            }
        )
    return cards


def _author(post: dict[str, Any]) -> str:
    if not post["author_id"]:
        return "—"
    return person(post["author__first_name"], post["author__last_name"], post["author__username"])


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
