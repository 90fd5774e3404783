"""Clients, accounts and photos for the platform client tests.

The sandbox itself comes from tests/conftest.py: `sandbox_server`, one for the
whole run, and `sandbox`, its own endpoints (ledger, fault knobs, tokens),
emptied for each test. These tests use no database: the clients and the
sandbox know nothing of Django.
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from PIL import Image

from platforms import Account, ClientConfig, MediaItem, PublishRequest, build_client
from platforms.base import HOST_ROLES

ACCOUNTS = {
    "facebook": "1000001",
    "instagram": "17841400000000001",
    "linkedin": "urn:li:organization:2000001",
    "x": "3000001",
    "google_business": "accounts/4000001/locations/5000001",
}


@pytest.fixture(autouse=True, scope="session")
def _postgresql_only():
    """Overrides the suite-wide database check: nothing here touches a database."""


def _image(size: tuple[int, int], fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 180)).save(buffer, fmt)
    return buffer.getvalue()


PHOTOS = {
    "/square.jpg": ("image/jpeg", _image((1080, 1080), "JPEG")),
    "/portrait.jpg": ("image/jpeg", _image((1080, 1350), "JPEG")),
    "/banner.jpg": ("image/jpeg", _image((1500, 400), "JPEG")),  # too wide for Instagram
    "/square.png": ("image/png", _image((800, 800), "PNG")),
}


class _PhotoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        found = PHOTOS.get(self.path.split("?")[0])
        if found is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        content_type, body = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def photo_server():
    """Public-URL stand-in for our signed media URLs (Instagram and Google fetch these)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PhotoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def advance_clock(sandbox):
    """Move the sandbox's clock forward by some seconds (token lifetimes, expiry)."""

    def advance(seconds: float) -> None:
        resp = requests.post(
            f"{sandbox.url}/_sandbox/clock", json={"advance_s": seconds}, timeout=5
        )
        resp.raise_for_status()

    return advance


@pytest.fixture
def config(sandbox_server) -> ClientConfig:
    now = datetime.now(UTC)
    return ClientConfig(
        hosts={role: f"{sandbox_server.url}/{role}" for role in HOST_ROLES},
        graph_version="v25.0",
        # The current month is always an active LinkedIn version.
        linkedin_version=f"{now.year}{now.month:02d}",
        connect_timeout=2.0,
        read_timeout=5.0,
        client_id="rounds-test",
        client_secret="sandbox-secret",
        poll_interval=0.01,
        poll_attempts=5,
    )


@pytest.fixture
def client_for(config):
    return lambda platform: build_client(platform, config)


@pytest.fixture
def account_for():
    return lambda platform, token="test-token": Account(ACCOUNTS[platform], token)


@pytest.fixture
def photo_url(photo_server):
    return lambda name="square.jpg": f"{photo_server}/{name}"


@pytest.fixture
def photo_bytes():
    return lambda name="square.jpg": PHOTOS[f"/{name}"][1]


@pytest.fixture
def approve():
    """Open an authorize URL like a browser: the consent page, then its redirect's query."""
    import html
    import re
    from urllib.parse import parse_qs, urlsplit

    def follow(url: str) -> dict[str, str]:
        page = requests.get(url, timeout=5)
        assert page.status_code == 200, page.text
        match = re.search(r"id='continue' href='([^']+)'", page.text)
        assert match, page.text
        target = html.unescape(match.group(1))
        return {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()} | {"_target": target}

    return follow


@pytest.fixture
def publish_request(photo_url):
    """A post each platform can take: Instagram cannot post text alone."""

    def make(platform: str, text: str = "Fault test post") -> PublishRequest:
        if platform == "instagram":
            return PublishRequest(text=text, media=(MediaItem(photo_url(), None),))
        return PublishRequest(text=text)

    return make
