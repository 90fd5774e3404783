"""Wall-clock times in a practice's zone, daylight saving included.

A person types a date and a time as the practice's clock shows them. Twice a
year that is not one moment: in spring an hour does not exist (02:30 on the
day clocks go forward), in autumn an hour happens twice (01:30 on the day
they go back). Both are refused with a message that says so, and the
ambiguous one can be settled by saying which of the two is meant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


class LocalTimeError(ValueError):
    pass


class NonexistentTime(LocalTimeError):
    pass


class AmbiguousTime(LocalTimeError):
    def __init__(self, message: str, choices: tuple[datetime, datetime]) -> None:
        super().__init__(message)
        self.choices = choices


def describe(moment: datetime) -> str:
    """`9:30 AM EDT`: the wall time with the zone's abbreviation."""
    return moment.strftime("%I:%M %p %Z").lstrip("0")


def to_moment(day: date, clock: time, zone: ZoneInfo, *, which: str = "") -> datetime:
    """The aware moment a wall-clock date and time in `zone` means.

    `which`: "earlier" or "later", for a time that happens twice.
    """
    first = datetime.combine(day, clock, tzinfo=zone)
    second = first.replace(fold=1)
    first_utc, second_utc = first.astimezone(UTC), second.astimezone(UTC)
    if first_utc == second_utc:
        return first
    # fold=0 and fold=1 differ: the time is in a gap or an overlap. In a gap,
    # the wall time does not survive the round trip through UTC.
    if first_utc.astimezone(zone).replace(tzinfo=None) != first.replace(tzinfo=None):
        raise NonexistentTime(
            f"{clock:%H:%M} does not exist on {day:%B %-d, %Y} in {zone.key}: the clocks "
            "go forward that night. Choose a time outside the skipped hour."
        )
    earlier, later = sorted((first_utc, second_utc))
    if which == "earlier":
        return earlier.astimezone(zone)
    if which == "later":
        return later.astimezone(zone)
    a, b = earlier.astimezone(zone), later.astimezone(zone)
    raise AmbiguousTime(
        f"{clock:%H:%M} happens twice on {day:%B %-d, %Y} in {zone.key}: the clocks go back "
        f"that night. Say which one: the first ({describe(a)}) or the second ({describe(b)}).",
        (a, b),
    )


def validate_zone(value: str) -> None:
    """A model field validator: an IANA zone name, or blank."""
    from zoneinfo import available_timezones

    from django.core.exceptions import ValidationError

    if value and value not in available_timezones():
        raise ValidationError(f"{value} is not a time zone name (like America/Chicago).")
