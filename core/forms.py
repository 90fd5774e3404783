"""Forms of the sign-in pages (the password form is Django's AuthenticationForm)."""

from __future__ import annotations

from typing import Any

from django import forms


class CodeForm(forms.Form):
    """A code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={
                # The browser offers the code a phone just received, and the
                # keyboard stays plain: recovery codes have letters too.
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class AppCodeForm(CodeForm):
    """A code from the app being set up: six digits."""

    code = forms.CharField(
        label="Code from the app",
        max_length=12,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


# The zones most of the agency's practices and people are in, first, by the names
# people use for them.
COMMON_ZONES = [
    ("America/New_York", "Eastern time (New York)"),
    ("America/Chicago", "Central time (Chicago)"),
    ("America/Denver", "Mountain time (Denver)"),
    ("America/Phoenix", "Arizona (Phoenix, no daylight saving)"),
    ("America/Los_Angeles", "Pacific time (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
]


def zone_choices() -> list[Any]:
    """The common zones first, then every zone grouped by region, each by its city."""
    from zoneinfo import available_timezones

    regions: dict[str, list[tuple[str, str]]] = {}
    for zone in sorted(available_timezones()):
        region, _, place = zone.partition("/")
        if not place or region == "Etc":
            continue
        regions.setdefault(region, []).append((zone, place.replace("_", " ").replace("/", ", ")))
    return [
        ("", "The practice's own time only"),
        ("Common", COMMON_ZONES),
        *sorted(regions.items()),
    ]


class TimeZoneForm(forms.Form):
    """A person's own clock, shown beside a practice's times (the post editor)."""

    time_zone = forms.ChoiceField(label="Your time zone", required=False, choices=zone_choices)
