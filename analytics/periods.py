"""The stretch of days a report covers: a month, a quarter, or a range a person chose,
each named in its URL ("2026-11", "2026-Q4", "2026-10-15..2026-11-20").

Days are the practice's own. A period that has not begun has no report; one
under way is reported so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

MONTH = "month"
QUARTER = "quarter"
RANGE = "range"
# A range longer than this is a job for several reports (or the CSV).
LONGEST_RANGE_DAYS = 366
EARLIEST = date(2000, 1, 1)


class BadPeriod(ValueError):
    """Not a period we report on; the message says why, for the person who chose it."""


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # its first day
    last: date  # its last day (included)

    @classmethod
    def month(cls, first: date) -> Period:
        first = first.replace(day=1)
        return cls(MONTH, first, _add_months(first, 1) - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, number: int) -> Period:
        first = date(year, 3 * (number - 1) + 1, 1)
        return cls(QUARTER, first, _add_months(first, 3) - timedelta(days=1))

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        if last < first:
            raise BadPeriod("The range ends before it starts.")
        if (last - first).days + 1 > LONGEST_RANGE_DAYS:
            raise BadPeriod(f"A range can be at most {LONGEST_RANGE_DAYS} days long.")
        if first < EARLIEST:
            raise BadPeriod(f"Reports begin in {EARLIEST.year}.")
        return cls(RANGE, first, last)

    @property
    def slug(self) -> str:
        """Its name in a URL."""
        if self.kind == MONTH:
            return f"{self.first:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.first.year}-Q{self.number}"
        return f"{self.first:%Y-%m-%d}..{self.last:%Y-%m-%d}"

    @property
    def number(self) -> int:
        """A quarter's number (1 to 4)."""
        return (self.first.month - 1) // 3 + 1

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return f"{self.first:%b %Y}"
        if self.kind == QUARTER:
            return f"Q{self.number} {self.first.year}"
        if self.first.year == self.last.year:
            return f"{self.first:%-d %b} – {self.last:%-d %b %Y}"
        return f"{self.first:%-d %b %Y} – {self.last:%-d %b %Y}"

    @property
    def months(self) -> list[date]:
        """The first days of the months it touches."""
        found, month = [], self.first.replace(day=1)
        while month <= self.last:
            found.append(month)
            month = _add_months(month, 1)
        return found

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1

    def before(self) -> Period:
        """The period just before it, of its kind: the month, the quarter, or as many
        days."""
        if self.kind == MONTH:
            return Period.month(_add_months(self.first, -1))
        if self.kind == QUARTER:
            first = _add_months(self.first, -3)
            return Period.quarter(first.year, (first.month - 1) // 3 + 1)
        return Period(
            RANGE, self.first - timedelta(days=self.length), self.first - timedelta(days=1)
        )

    def after(self) -> Period:
        if self.kind == MONTH:
            return Period.month(_add_months(self.first, 1))
        if self.kind == QUARTER:
            first = _add_months(self.first, 3)
            return Period.quarter(first.year, (first.month - 1) // 3 + 1)
        return Period(RANGE, self.last + timedelta(days=1), self.last + timedelta(days=self.length))

    def under_way(self, today: date) -> bool:
        return self.first <= today <= self.last

    def through(self, today: date) -> date:
        """Its last day that has come (today, for a period under way)."""
        return min(self.last, today)


def parse(value: str) -> Period:
    """The period a URL names; BadPeriod if it names none."""
    try:
        if ".." in value:
            first, _, last = value.partition("..")
            return Period.days(date.fromisoformat(first), date.fromisoformat(last))
        year_text, _, rest = value.partition("-")
        year = int(year_text)
        if rest.upper().startswith("Q") and rest[1:] in ("1", "2", "3", "4"):
            period = Period.quarter(year, int(rest[1:]))
        elif len(rest) == 2 and rest.isdigit():
            period = Period.month(date(year, int(rest), 1))
        else:
            raise BadPeriod(f"{value!r} is no month, quarter or range.")
    except ValueError as exc:
        if isinstance(exc, BadPeriod):
            raise
        raise BadPeriod(f"{value!r} is no month, quarter or range.") from None
    if period.first < EARLIEST:
        raise BadPeriod(f"Reports begin in {EARLIEST.year}.")
    return period
