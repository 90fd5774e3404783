"""Shared people, practices and the sandbox platforms. The suite runs on PostgreSQL only."""

from __future__ import annotations

import io
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import django_rq
import pytest
from django.db import connection
from PIL import Image

from core import ratelimit
from core.models import User
from practices.models import Membership
from tests import factories
from tests.signin_support import SignInClient

# The sandbox platforms, Redis and RQ fixtures for the publishing tests; the media
# storage fixture that runs a media test on the folder and on an S3 bucket.
pytest_plugins = ["tests.publishing_support", "tests.media_storage"]


def pytest_sessionfinish(session):
    """Remove the run's media folder once, when the whole run is over.

    Under pytest-xdist every worker shares it (the controller made it, see
    tests/settings.py): a worker that runs out of tests early must not take
    it from one still running (the chaos test's worker processes read their
    photos from it), so only the controller, or a run without workers, removes it.
    """
    if hasattr(session.config, "workerinput"):
        return
    from django.conf import settings

    if os.path.basename(settings.MEDIA_ROOT).startswith("rounds-media-"):
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True, scope="session")
def _postgresql_only(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.exit("The suite runs on PostgreSQL: set DATABASE_URL (make test does).", 2)


@pytest.fixture
def client():
    """pytest-django's client, signing agency people in with both factors (see above)."""
    return SignInClient()


@pytest.fixture(autouse=True)
def _fresh_sign_in_limits():
    """Failed logins, reset requests and requests for a new approval link counted
    by an earlier test (all from 127.0.0.1, in this worker's Redis database) do
    not lock this one out."""
    connection = django_rq.get_connection("default")
    for name in ("login-", "reset-", "link-"):
        for key in connection.scan_iter(f"{ratelimit.PREFIX}{name}*"):
            connection.delete(key)


@pytest.fixture
def practice(db):
    return factories.make_practice(
        "Lakeside Fertility", specialty="fertility", time_zone="America/Chicago"
    )


@pytest.fixture
def other_practice(db):
    return factories.make_practice(
        "Harbor Dermatology", specialty="dermatology", time_zone="America/Los_Angeles"
    )


@pytest.fixture
def lead(db):
    return factories.make_user("lead", agency_role=User.AgencyRole.LEAD)


@pytest.fixture
def strategist(practice):
    return factories.make_strategist(practice, username="strategist")


@pytest.fixture
def other_strategist(other_practice):
    return factories.make_strategist(other_practice, username="other_strategist")


@pytest.fixture
def staff(practice):
    return factories.make_member(practice, Membership.Role.STAFF, "staff")


@pytest.fixture
def other_staff(other_practice):
    return factories.make_member(other_practice, Membership.Role.STAFF, "other_staff")


@pytest.fixture
def doctor(practice):
    return factories.make_member(practice, Membership.Role.DOCTOR, "doctor")


@pytest.fixture
def other_doctor(other_practice):
    return factories.make_member(other_practice, Membership.Role.DOCTOR, "other_doctor")


@pytest.fixture
def outsider(db):
    return factories.make_user("outsider")


# -- the sandbox platforms ------------------------------------------------------
# One sandbox server and one photo server for the whole run. `sandbox` is the
# sandbox's own endpoints (ledger, fault knobs, tokens), emptied for each test,
# with every platform host pointed at it.


@pytest.fixture(scope="session")
def sandbox_server():
    """The sandbox platform server on a free loopback port, for the whole run."""
    from sandbox import SandboxServer

    server = SandboxServer(port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server, settings):
    """The sandbox, emptied (no posts, no faults, seed 1), every platform host pointed at it."""
    from practices.platform_clients import client_for
    from tests.publishing_support import SandboxAPI, point_at_sandbox

    point_at_sandbox(settings, sandbox_server.url)
    api = SandboxAPI(sandbox_server.url)
    api.reset(seed=1)
    yield api
    client_for.cache_clear()


class _PhotoHandler(BaseHTTPRequestHandler):
    """A square JPEG at /square.jpg, as a public URL Instagram and Google can fetch."""

    protocol_version = "HTTP/1.1"
    body = b""

    def do_GET(self) -> None:
        found = self.path.split("?")[0] == "/square.jpg"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(self.body) if found else 0))
        self.end_headers()
        if found:
            self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def photo_server():
    """A photo server on loopback, for the whole run: its base URL (it serves /square.jpg)."""
    buffer = io.BytesIO()
    Image.new("RGB", (1080, 1080), (40, 120, 180)).save(buffer, "JPEG")
    _PhotoHandler.body = buffer.getvalue()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PhotoHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()
