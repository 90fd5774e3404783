"""Production access logs carry no query strings and no secret path parts."""

from __future__ import annotations

import datetime

from gunicorn.config import Config

from agency import gunicorn as conf


class _Response:
    status = "200 OK"
    status_code = 200
    response_length = 10
    sent = 10
    headers = []


class _Request:
    headers = [("REFERER", "https://rounds.example/practices/x/consents/?q=Maria+G")]
    method = "GET"
    version = (1, 1)


def _atoms(path: str, query: str = ""):
    logger = conf.RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}" if query else path,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": "https://rounds.example/practices/x/consents/?q=Maria+G",
    }
    return logger.atoms(_Response(), _Request(), environ, datetime.timedelta(seconds=0.01))


def test_query_string_never_logged():
    atoms = _atoms("/practices/lakeside/consents/", "q=Maria+Garcia")
    line = conf.access_log_format % atoms
    assert "Maria" not in line
    assert "/practices/lakeside/consents/" in line


def test_tip_link_token_is_redacted():
    line = conf.access_log_format % _atoms("/t/s3cr3t-token-value/")
    assert "s3cr3t" not in line
    assert "/t/[redacted]" in line


def test_signed_media_and_reset_links_are_redacted():
    for path in ("/media/s/abc.def.ghi/", "/password-reset/MQ/set-password/"):
        line = conf.access_log_format % _atoms(path)
        assert "[redacted]" in line
        assert "abc.def" not in line and "MQ" not in line
