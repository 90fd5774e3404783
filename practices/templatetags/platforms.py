"""Platform names as people read them ("LinkedIn", "Google Business Profile"), from
the one list of them (practices.models.Platform), for every page and report."""

from __future__ import annotations

from django import template

from practices.models import Platform

register = template.Library()


@register.filter
def platform_name(value: str) -> str:
    """A platform's display name; an unknown value as it is."""
    try:
        return str(Platform(value).label)
    except ValueError:
        return value
