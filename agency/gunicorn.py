"""gunicorn settings: access logs without query strings or secret path parts.

Query strings can carry a patient's name (the consent registry's search) and
some paths are secrets themselves (the practice's tip link, signed media and
approval links, password reset links), so none of that reaches a log line.
Used as `gunicorn -c python:agency.gunicorn agency.wsgi:application`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

SECRET_PATHS = re.compile(r"^/(t|media/s|approve|password-reset|connect/callback)/[^?]*")


def redact(path: str) -> str:
    return SECRET_PATHS.sub(lambda match: f"/{match.group(1)}/[redacted]", path)


# gunicorn has no types, so Logger is Any: an error only under strict's
# disallow_subclassing_any, hence unused-ignore for the configurations without it.
class RedactingLogger(Logger):  # type: ignore[misc, unused-ignore]
    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        # Strings mostly; a few are numbers or None (gunicorn's mix of log atoms).
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        path = redact(atoms["U"])
        atoms["U"] = path
        atoms["r"] = f"{atoms['m']} {path} {atoms['H']}"
        atoms["q"] = ""
        atoms["f"] = "-"  # the referer holds the previous page's query string
        return atoms


logger_class = RedactingLogger
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms'
bind = "0.0.0.0:8000"
workers = 3
timeout = 60
