"""The rows of long lists, their HTML put together in Python.

A list page of 30 to 50 rows spent most of its server time in the template
language: a few microseconds for every variable, tag and filter, a dozen of
them per row, several times the page's own SQL. So the rows of the long lists
(the calendar's chips, posts, tips, accounts, authorizations) are built with
f-strings by a function beside their view, and the template keeps the page
around them. Every value in those functions goes through `escape` (the
standard library's, quotes included); each list has a test with hostile
values.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

__all__ = [
    "day",
    "day_and_time",
    "escape",
    "html",
    "person",
    "plural",
    "truncate",
    "url_template",
    "weekday_day_time",
]


def url_template(name: str, *fields: str) -> str:
    """The URL `name` as a format string, a {field} for each of its arguments.

    One reverse per page instead of one per row:
    url_template("post_edit", "pk").format(pk=post.pk).
    """
    # Digits fit every converter (int, slug, str); no real argument is this long.
    stand_ins = [f"9876543210{n}" for n in range(len(fields))]
    url = reverse(name, args=stand_ins)
    for stand_in, field in zip(stand_ins, fields, strict=True):
        url = url.replace(stand_in, "{" + field + "}")
    return url


# The date filter's formats, with strftime as the rest of the code writes
# dates (the product speaks English; nothing sets a locale).


def day(moment: datetime, zone: tzinfo | None = None) -> str:
    """`3 Mar 2027`, the date filter's "j M Y": in `zone`, or the page's current zone."""
    local = timezone.localtime(moment, zone)
    return f"{local.day} {local:%b %Y}"


def day_and_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """`3 Mar 2027 09:30`, the date filter's "j M Y H:i"."""
    local = timezone.localtime(moment, zone)
    return f"{local.day} {local:%b %Y %H:%M}"


def weekday_day_time(moment: datetime, zone: tzinfo) -> str:
    """`Wed 3 Mar 2027, 09:30 EST`, the date filter's "D j M Y, H:i T", in `zone`."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def person(first_name: str, last_name: str, username: str) -> str:
    """A person as User.__str__ says them (the full name, or the username), from values."""
    return f"{first_name} {last_name}".strip() or username


def truncate(text: str, length: int) -> str:
    """As the `truncatechars` filter cuts text: at most `length` characters, "…" when cut."""
    return text if len(text) <= length else text[: length - 1] + "…"


def plural(count: int, suffix: str = "s") -> str:
    return "" if count == 1 else suffix


def html(parts: list[str]) -> SafeString:
    """Rows put together from escaped values, for a template to place as they are."""
    return mark_safe("".join(parts))  # noqa: S308 (each caller escapes every value)
