"""gunicorn settings: a refused configuration said once, a graceful stop, and
access logs without query strings or secret path parts.

Query strings can carry a patient's name (the consent registry's search) and
some paths are secrets themselves (the practice's tip link, signed media and
approval links, password reset links), so none of that reaches a log line.
Used as `gunicorn -c python:agency.gunicorn agency.wsgi:application`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from agency import env
from agency.startup import settings_or_exit

# The one rule for secret paths, shared with the application's log filter.
from core.logging import RedactSecrets, redact

# A configuration production refuses is said here, once, by the master: not
# as a traceback from every worker followed by HaltServer.
settings_or_exit()


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

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # gunicorn's error log names the request too ("Error handling request
        # GET /t/<token>/?..."), after a worker timeout or an error mid-response.
        redacting = RedactSecrets()
        self.error_log.addFilter(redacting)
        for handler in self.error_log.handlers:
            handler.addFilter(redacting)


logger_class = RedactingLogger
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms'
bind = "0.0.0.0:8000"
# Who may set the scheme (X-Forwarded-Proto, so request.is_secure()): the TLS
# proxies of TRUSTED_PROXIES, addresses or networks (gunicorn takes both), the
# same list core.http.client_ip believes about the client. Empty: nobody, so a
# request is https only if it reached gunicorn over TLS.
forwarded_allow_ips = ",".join(str(network) for network in env.networks("TRUSTED_PROXIES", []))
workers = 3
timeout = 60
# On SIGTERM (`docker stop`) requests under way get this long to finish; the
# compose file's stop_grace_period for web is longer, or Docker kills first.
graceful_timeout = 30
