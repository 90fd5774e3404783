"""The rows of the tip inbox and the post list, put together in Python.

See core.list_html for why; every value below goes through `escape`.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.utils.safestring import SafeString

from core.list_html import (
    day_and_time,
    escape,
    html,
    person,
    plural,
    truncate,
    url_template,
    weekday_day_time,
)
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


def _sender(tip: dict[str, Any]) -> str:
    """Tip.submitter_display from the values."""
    if tip["submitted_by_id"]:
        return person(
            tip["submitted_by__first_name"],
            tip["submitted_by__last_name"],
            tip["submitted_by__username"],
        )
    return tip["submitter_name"] or "Anonymous"


def tip_cards(
    tips: list[dict[str, Any]], *, photos: dict[int, list[int]], zone: ZoneInfo
) -> SafeString:
    """The inbox's cards: photos, kind, status, patient, sender, excerpt and what to do.

    The tips are TIP_CARD_FIELDS values, their photos from photos_of.
    """
    tip_url = url_template("tip_detail", "pk")
    thumbnail_url = url_template("media_file", "pk", "spec")
    draft_url = url_template("post_new") + "?tip={pk}"
    kinds = dict(Tip.Kind.choices)
    statuses = dict(Tip.Status.choices)
    parts = []
    for tip in tips:
        pk, status = tip["pk"], tip["status"]
        assets = photos.get(pk, [])
        thumbnails = "".join(
            f'<img src="{escape(thumbnail_url.format(pk=asset_id, spec="thumbnail"))}" '
            'alt="" loading="lazy" width="72" height="72">'
            for asset_id in assets[:3]
        )
        url = escape(tip_url.format(pk=pk))
        patient = ""
        if tip["features_patient"]:
            if tip["consent_id"]:
                patient = (
                    '<span class="badge approved">Patient: '
                    f"{escape(tip['consent__patient_label'])}</span>"
                )
            else:
                patient = '<span class="badge failed">Patient</span>'
        counted = f" · {len(assets)} photo{plural(len(assets))}" if assets else ""
        parts.append(
            '<li class="card inbox-tip">'
            f'<div class="inbox-photos">{thumbnails}</div>'
            '<div class="inbox-body"><div class="tip-card-head">'
            f'<a href="{url}"><strong>{escape(kinds.get(tip["kind"], tip["kind"]))}</strong></a> '
            f'<span class="badge {escape(status)}">{escape(statuses.get(status, status))}</span> '
            f"{patient}</div>"
            f'<div class="muted">From {escape(_sender(tip))}'
            f"{' (tip link)' if tip['via_link'] else ''} · "
            f"{day_and_time(tip['created_at'], zone)}{counted}</div>"
        )
        if tip["text"]:
            parts.append(f'<p class="excerpt">{escape(truncate(tip["text"], 220))}</p>')
        if status == Tip.Status.DECLINED:
            parts.append(
                f'<p class="outcome declined">Declined: {escape(tip["decline_reason"])}</p>'
            )
        if status == Tip.Status.NEW:
            parts.append(
                '<div class="inbox-actions">'
                f'<a class="button primary" href="{escape(draft_url.format(pk=pk))}">'
                "Draft a post from this tip</a> "
                f'<a class="button" href="{url}#decline">Decline…</a></div>'
            )
        parts.append("</div></li>")
    return html(parts)


def _author(post: dict[str, Any]) -> str:
    if not post["author_id"]:
        return "—"
    return person(post["author__first_name"], post["author__last_name"], post["author__username"])


def post_rows(
    posts: list[dict[str, Any]], *, platforms: dict[int, list[str]], all_practices: bool
) -> SafeString:
    """The post list's rows: title and caption, practice, status, time, platforms, author.

    The posts are post_filters.LIST_FIELDS values, their platforms from platforms_of.
    Each time is on its practice's clock.
    """
    edit_url = url_template("post_edit", "pk")
    detail_url = url_template("post_detail", "pk")
    practice_url = url_template("practice_post_list", "slug")
    statuses = dict(Post.Status.choices)
    labels = dict(Platform.choices)
    zones: dict[str, ZoneInfo] = {}
    parts = []
    for post in posts:
        pk, status = post["pk"], post["status"]
        title = post["title"] or f"Post #{pk}"  # Post.__str__
        attention = ""
        if needing := post["needing_attention"]:
            attention = (
                f'<br><a class="error" href="{escape(detail_url.format(pk=pk))}">'
                f"{needing} publication{plural(needing)} {'needs' if needing == 1 else 'need'}"
                " a person: see why, retry or reconnect</a>"
            )
        practice = ""
        if all_practices:
            url = practice_url.format(slug=post["practice__slug"])
            practice = (
                f'<td data-label="Practice"><a href="{escape(url)}">'
                f"{escape(post['practice__name'])}</a></td>"
            )
        when = "—"
        if post["scheduled_at"]:
            zone = zones.setdefault(
                post["practice__time_zone"], ZoneInfo(post["practice__time_zone"])
            )
            when = escape(weekday_day_time(post["scheduled_at"], zone))
        where = ", ".join(labels.get(name, name) for name in platforms.get(pk, [])) or "—"
        parts.append(
            f'<tr><td data-label="Post"><a href="{escape(edit_url.format(pk=pk))}">'
            f'{escape(title)}</a><br><span class="muted">{escape(truncate(post["caption"], 90))}'
            f"</span>{attention}</td>{practice}"
            f'<td data-label="Status"><span class="badge {escape(status)}">'
            f"{escape(statuses.get(status, status))}</span></td>"
            f'<td data-label="When">{when}</td>'
            f'<td data-label="Where">{escape(where)}</td>'
            f'<td data-label="Author">{escape(_author(post))}</td></tr>'
        )
    return html(parts)
