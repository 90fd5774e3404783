"""The sandbox platforms and a photo server on loopback, for the platform client tests.

These tests use no database: the clients and the sandbox know nothing of Django.
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from PIL import Image

from posts.platforms import Account, ClientConfig, build_client
from posts.platforms.base import HOST_ROLES
from posts.platforms.sandbox import SandboxServer

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


@pytest.fixture(scope="session")
def platform_sandbox():
    server = SandboxServer(port=0, seed=1).start()
    yield server
    server.stop()


class Sandbox:
    """The sandbox's own endpoints, as a test drives them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def _post(self, path: str, body: dict) -> dict:
        resp = self.http.post(f"{self.url}/_sandbox/{path}", json=body, timeout=5)
        resp.raise_for_status()
        return resp.json()

    def reset(self, seed: int = 1) -> None:
        self._post("reset", {"seed": seed})

    def faults(self, **knobs) -> dict:
        return self._post("faults", knobs)

    def ledger(self, platform: str | None = None, account: str | None = None) -> list[dict]:
        params = {k: v for k, v in {"platform": platform, "account": account}.items() if v}
        resp = self.http.get(f"{self.url}/_sandbox/ledger", params=params, timeout=5)
        resp.raise_for_status()
        return resp.json()["posts"]

    def advance_clock(self, seconds: float) -> None:
        self._post("clock", {"advance_s": seconds})

    def revoke(self, token: str) -> None:
        self._post("revoke", {"token": token})


@pytest.fixture
def sandbox(platform_sandbox):
    """The sandbox, emptied before each test: no posts, no faults, seed 1."""
    api = Sandbox(platform_sandbox.url)
    api.reset()
    return api


@pytest.fixture
def config(platform_sandbox) -> ClientConfig:
    now = datetime.now(UTC)
    return ClientConfig(
        hosts={role: f"{platform_sandbox.url}/{role}" for role in HOST_ROLES},
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


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge), as a connect flow makes them."""
    import base64
    import hashlib
    import secrets

    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
