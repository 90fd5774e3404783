"""Logs without secrets: the secret parts of paths, and query strings, are redacted.

Some paths are secrets themselves: the practice's tip link (`/t/<token>/`),
the signed photo URLs the platforms fetch (`/media/s/<token>/`), the
doctors' e-mailed approval links (`/a/<token>/`), password-reset links, and
the OAuth callback (its query carries the authorization code). Query strings
can carry a patient's name (the consent registry's search). Django writes the
path of every 404, 405, 429 and CSRF failure to its request loggers ("Not
Found: /t/<token>/"), runserver writes whole request lines, gunicorn's access
log (agency/gunicorn.py) every path: all of it goes through the one rule
here, `redact`.

No Django in this module: gunicorn's configuration imports it before Django
is set up.
"""

from __future__ import annotations

import contextlib
import logging
import re

# A secret path's prefix, then its secret part (up to a query, a fragment, a
# space or a quote: paths also appear inside request lines and reprs).
SECRET_PATHS = re.compile(r"/(t|a|media/s|password-reset|connect/callback)/[^?#\s\"'<>]+")
# A query string right after a path or URL.
QUERY_STRING = re.compile(r"(?<=[\w/.-])\?[^#\s\"'<>]+")


def redact(text: str) -> str:
    """The text with every secret path part and query string replaced by [redacted]."""
    # Queries first: a redacted path part no longer looks like a path.
    text = QUERY_STRING.sub("?[redacted]", text)
    return SECRET_PATHS.sub(lambda match: f"/{match.group(1)}/[redacted]", text)


class RedactSecrets(logging.Filter):
    """Redacts a record's message, arguments and traceback text, in place.

    In settings.LOGGING on every handler, and on the loggers Django writes
    request paths to (`django.request`, `django.security.csrf`), so that a
    record is clean before any handler sees it, Django's own default ones
    (DEFAULT_LOGGING) included.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # Never break the call that logs: a message that cannot be formatted
        # is reported by the handler, as without this filter.
        with contextlib.suppress(Exception):
            self._redact(record)
        return True

    def _redact(self, record: logging.LogRecord) -> None:
        if record.args:
            # Formatted here, once, as a handler would, then redacted: a secret
            # may sit in an argument, in the format string, or only appear
            # once the two are put together ("/t/%s/"); redacting the format
            # string alone could also break its placeholders.
            record.msg, record.args = redact(record.getMessage()), ()
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.exc_info and not record.exc_text:
            # Formatted once here; formatters use this text instead of their own.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
