"""Wall-clock times in a practice's zone across daylight saving (core.local_time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core import local_time

CHICAGO = ZoneInfo("America/Chicago")


def test_an_ordinary_time():
    moment = local_time.to_moment(date(2027, 6, 1), time(9, 30), CHICAGO)
    assert moment.astimezone(UTC) == datetime(2027, 6, 1, 14, 30, tzinfo=UTC)


def test_a_time_in_the_spring_gap_does_not_exist():
    # 14 March 2027: Chicago's clocks go from 02:00 CST to 03:00 CDT.
    with pytest.raises(local_time.NonexistentTime, match="does not exist on March 14, 2027"):
        local_time.to_moment(date(2027, 3, 14), time(2, 30), CHICAGO)
    after = local_time.to_moment(date(2027, 3, 14), time(3, 0), CHICAGO)
    assert after.astimezone(UTC) == datetime(2027, 3, 14, 8, 0, tzinfo=UTC)


def test_a_time_in_the_autumn_overlap_needs_a_choice():
    # 7 November 2027: 01:00–02:00 happens twice (CDT, then CST).
    with pytest.raises(local_time.AmbiguousTime, match="happens twice") as raised:
        local_time.to_moment(date(2027, 11, 7), time(1, 30), CHICAGO)
    first, second = raised.value.choices
    assert "CDT" in str(raised.value) and "CST" in str(raised.value)
    assert first.replace(tzinfo=None) == second.replace(tzinfo=None)  # the same wall time
    assert (second.astimezone(UTC) - first.astimezone(UTC)).total_seconds() == 3600
    earlier = local_time.to_moment(date(2027, 11, 7), time(1, 30), CHICAGO, which="earlier")
    later = local_time.to_moment(date(2027, 11, 7), time(1, 30), CHICAGO, which="later")
    assert earlier.astimezone(UTC) == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)
    assert later.astimezone(UTC) == datetime(2027, 11, 7, 7, 30, tzinfo=UTC)
