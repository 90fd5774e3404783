"""The application log never holds a secret path part: tip links, signed photo URLs.

Django writes the path of every 404, 405, 429 and CSRF failure to its request
loggers; the records captured here are the real ones, through settings.LOGGING.
"""

from __future__ import annotations

import logging

import django_rq
import pytest
from django.test import Client
from django.urls import reverse

from core import ratelimit
from core.logging import redact
from posts.media import photos as media
from tests import factories
from tests import media_samples as samples

TIP = {
    "submitter_name": "Sam Nurse",
    "submitter_email": "sam@clinic.example",
    "kind": "team",
    "text": "Sam's tenth year with us.",
    "policy_confirmed": "on",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    connection = django_rq.get_connection("default")
    for key in connection.scan_iter(f"{ratelimit.PREFIX}*"):
        connection.delete(key)


@pytest.fixture
def tip_link(practice):
    return reverse("tip_link", args=[practice.tip_link_token])


def assert_logged_without(caplog, secret: str, expected: str) -> None:
    """A request log record says `expected`, and no record or line holds the secret."""
    records = [
        r for r in caplog.records if r.name.startswith(("django.request", "django.security"))
    ]
    messages = [r.getMessage() for r in records]
    assert any(expected in message for message in messages), messages
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in (record.exc_text or "")
    assert secret not in caplog.text


def test_a_404_on_an_old_tip_link_is_logged_without_its_token(client, caplog, db):
    with caplog.at_level(logging.WARNING):
        assert client.get("/t/rotated-away-Secret-Token/").status_code == 404
    assert_logged_without(caplog, "rotated-away-Secret-Token", "Not Found: /t/[redacted]")


def test_a_405_on_the_tip_link_is_logged_without_its_token(client, caplog, practice, tip_link):
    with caplog.at_level(logging.WARNING):
        assert client.put(tip_link).status_code == 405
    assert_logged_without(
        caplog, practice.tip_link_token, "Method Not Allowed (PUT): /t/[redacted]"
    )


def test_a_429_on_the_tip_link_is_logged_without_its_token(
    client, caplog, practice, tip_link, settings
):
    settings.TIP_LINK_LIMIT_PER_LINK = 1
    assert client.post(tip_link, TIP).status_code == 302
    with caplog.at_level(logging.WARNING):
        assert client.post(tip_link, TIP).status_code == 429
    assert_logged_without(caplog, practice.tip_link_token, "Too Many Requests: /t/[redacted]")


def test_a_csrf_failure_on_the_tip_link_is_logged_without_its_token(caplog, practice, tip_link):
    client = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.WARNING):
        assert client.post(tip_link, TIP).status_code == 403
    assert_logged_without(
        caplog, practice.tip_link_token, "Forbidden (CSRF cookie not set.): /t/[redacted]"
    )


def test_a_refused_signed_photo_url_is_logged_without_its_token(client, caplog, practice):
    asset = media.store_photo(practice=practice, upload=samples.photo(), by=None)
    url = media.signed_variant_url(asset=asset, spec="facebook")
    token = url.split("/")[-2]
    with caplog.at_level(logging.WARNING):
        # Used by no post: gone; and the same token tampered with: not found.
        assert client.get(reverse("media_signed", args=[token])).status_code == 410
        assert client.get(reverse("media_signed", args=[token + "x"])).status_code == 404
    assert_logged_without(caplog, token.split(":")[-1], "Gone: /media/s/[redacted]")
    assert "Not Found: /media/s/[redacted]" in caplog.text


def test_a_404_on_a_reset_link_is_logged_without_its_token(client, caplog, db):
    user = factories.make_user("someone")
    with caplog.at_level(logging.WARNING):
        response = client.post(f"/password-reset/{user.pk}/Reset-Token-Value/set-password/x/")
    assert response.status_code == 404
    assert_logged_without(caplog, "Reset-Token-Value", "Not Found: /password-reset/[redacted]")


def test_runservers_request_lines_go_through_the_same_filter():
    # make run's access log: Django's "django.server" logger, through its
    # handler as settings.LOGGING configures it.
    handler = next(
        h for h in logging.getLogger("django.server").handlers if type(h) is logging.StreamHandler
    )
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /t/Secret-Token/?name=Maria+Garcia HTTP/1.1", "200", "512"),
        None,
    )
    assert handler.filter(record)
    assert record.getMessage() == '"GET /t/[redacted]?[redacted] HTTP/1.1" 200 512'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/t/abc/", "/t/[redacted]"),
        ("Not Found: /media/s/12.facebook:1vX:sig/", "Not Found: /media/s/[redacted]"),
        ("/password-reset/MQ/set-password/", "/password-reset/[redacted]"),
        ("/password-reset/", "/password-reset/"),
        ("/practices/lakeside/consents/?q=Maria", "/practices/lakeside/consents/?[redacted]"),
        (
            "GET https://rounds.example/connect/callback/x/?code=abc&state=def",
            "GET https://rounds.example/connect/callback/[redacted]?[redacted]",
        ),
        ("/practices/lakeside/tips/", "/practices/lakeside/tips/"),
        ("Is this fine? Yes.", "Is this fine? Yes."),
    ],
)
def test_the_redaction_rule(text, expected):
    assert redact(text) == expected


def test_an_object_whose_text_holds_a_path_is_redacted_too(caplog):
    from django.test import RequestFactory

    request = RequestFactory().get("/t/Object-Token/")
    with caplog.at_level(logging.WARNING):
        logging.getLogger("django.request").warning("Odd request %r (%d)", request, 3)
    assert "Object-Token" not in caplog.text
    assert "<WSGIRequest: GET '/t/[redacted]'> (3)" in caplog.text


def test_a_secret_made_of_the_format_and_its_argument_is_redacted(caplog):
    import logging

    from core.logging import RedactSecrets

    logger = logging.getLogger("rounds.test.redaction")
    logger.addFilter(RedactSecrets())
    with caplog.at_level(logging.INFO, logger="rounds.test.redaction"):
        logger.info("link /t/%s/ and search /consents/?%s", "Tok3nSecret", "q=Maria")
    (record,) = caplog.records
    assert "Tok3nSecret" not in record.getMessage()
    assert "Maria" not in record.getMessage()


def test_a_doctors_approval_link_is_logged_without_its_token(client, caplog, db):
    with caplog.at_level(logging.WARNING):
        assert client.put("/a/Approval-Secret-Token/").status_code == 405
        assert client.get("/a/Approval-Secret-Token/photos/1/thumbnail/x/").status_code == 404
    assert_logged_without(
        caplog, "Approval-Secret-Token", "Method Not Allowed (PUT): /a/[redacted]"
    )
