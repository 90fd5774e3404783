"""What the clients read from any platform's HTTP answers, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from platforms._http import retry_after_header


def _answer(retry_after: str) -> requests.Response:
    resp = requests.Response()
    resp.status_code = 429
    resp.headers["Retry-After"] = retry_after
    return resp


def test_retry_after_in_seconds():
    assert retry_after_header(_answer("120")) == 120


@pytest.mark.parametrize("usegmt", [True, False], ids=["GMT", "-0000"])
def test_retry_after_as_an_http_date(usegmt):
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=90)
    # usegmt=False on a naive time writes "-0000", which parses back as naive.
    written = format_datetime(at if usegmt else at.replace(tzinfo=None), usegmt=usegmt)
    assert written.endswith("GMT" if usegmt else "-0000")
    assert retry_after_header(_answer(written)) == pytest.approx(90, abs=2)


def test_retry_after_in_the_past_or_unreadable():
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert retry_after_header(_answer(past)) == 0
    assert retry_after_header(_answer("soon")) is None
    assert retry_after_header(requests.Response()) is None
