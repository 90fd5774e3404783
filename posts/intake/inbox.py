"""What each card of the tip inbox shows, read as values.

The cards are plain dicts (no model object per tip, one reverse per page for
their URLs); posts/tip_inbox.html writes them, escaping every value.
"""

from __future__ import annotations

from typing import Any

from core.models import person_name
from core.row_urls import url_template
from posts.models import MediaAsset, Tip, TipPhoto

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
    "practice__name",
)


def photos_of(tips: list[dict[str, Any]]) -> dict[int, list[tuple[int, bool]]]:
    """Each tip's photos and videos, in order: (asset id, whether it has a picture to show)
    (a video still being prepared, or that failed, has no cover yet). One query for a
    page of tips."""
    photos: dict[int, list[tuple[int, bool]]] = {}
    found = (
        TipPhoto.objects.filter(tip_id__in=[tip["pk"] for tip in tips])
        .order_by("tip_id", "position")
        .values_list("tip_id", "asset_id", "asset__kind", "asset__poster_id")
    )
    for tip_id, asset_id, kind, poster_id in found:
        pictured = kind != MediaAsset.Kind.VIDEO or poster_id is not None
        photos.setdefault(tip_id, []).append((asset_id, pictured))
    return photos


def _sender(tip: dict[str, Any]) -> str:
    """Tip.submitter_display from the values."""
    if tip["submitted_by_id"]:
        return person_name(
            tip["submitted_by__first_name"],
            tip["submitted_by__last_name"],
            tip["submitted_by__username"],
        )
    return tip["submitter_name"] or "Anonymous"


def tip_cards(
    tips: list[dict[str, Any]], *, photos: dict[int, list[tuple[int, bool]]]
) -> list[dict[str, Any]]:
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
                    thumbnail_url.format(pk=asset_id, spec="thumbnail")
                    for asset_id, pictured in assets[:3]
                    if pictured
                ],
                "photo_count": len(assets),
                "kind_label": kinds.get(tip["kind"], tip["kind"]),
                "status_label": statuses.get(tip["status"], tip["status"]),
                "declined": tip["status"] == Tip.Status.DECLINED,
                "sender": _sender(tip),
            }
        )
    return cards
