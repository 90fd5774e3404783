"""Forms of the sign-in pages (the password form is Django's AuthenticationForm)."""

from __future__ import annotations

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


def _zone_choices() -> list[tuple[str, str]]:
    from zoneinfo import available_timezones

    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return [("", "The practice's own time only"), *((zone, zone) for zone in zones)]


class TimeZoneForm(forms.Form):
    """A person's own clock, shown beside a practice's times (the post editor)."""

    time_zone = forms.ChoiceField(label="Your time zone", required=False, choices=_zone_choices)
