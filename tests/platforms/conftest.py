"""Clients, accounts and photos for the platform client tests.

The sandbox itself comes from tests/conftest.py: `sandbox_server`, one for the
whole run, and `sandbox`, its own endpoints (ledger, fault knobs, tokens),
emptied for each test. These tests use no database: the clients and the
sandbox know nothing of Django.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

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


def _clip(width: int, height: int, seconds: float) -> bytes:
    """A clean H.264/AAC MP4 (the moov atom first), as the product's cleaning makes them."""
    with tempfile.TemporaryDirectory(prefix="platform-clip-") as folder:
        target = Path(folder) / "clip.mp4"
        subprocess.run(
            [
                *("ffmpeg", "-v", "error", "-y", "-f", "lavfi"),
                *("-i", f"testsrc=size={width}x{height}:rate=30"),
                *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"),
                *("-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast"),
                *("-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart"),
                str(target),
            ],
            check=True,
            capture_output=True,
        )
        return target.read_bytes()


# Videos served and handed to clients: a 9:16 clip (Reels), a 16:9 one (too wide
# for a Reel), made once per run.
VIDEOS: dict[str, tuple[int, int, float]] = {
    "/vertical.mp4": (360, 640, 4.0),
    "/wide.mp4": (640, 360, 4.0),
}
_made_videos: dict[str, bytes] = {}


def video_bytes(name: str = "vertical.mp4") -> bytes:
    key = f"/{name}"
    if key not in _made_videos:
        _made_videos[key] = _clip(*VIDEOS[key])
    return _made_videos[key]


class _PhotoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        found = PHOTOS.get(path)
        if found is None and path in VIDEOS:
            found = ("video/mp4", video_bytes(path.lstrip("/")))
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
def video_item(photo_server, tmp_path):
    """A cleaned video as the publishing worker hands it to a client: a file on disk to
    read parts from, its public URL for the platforms that fetch, and a cover."""

    def make(name: str = "vertical.mp4") -> MediaItem:
        path = tmp_path / name
        path.write_bytes(video_bytes(name))
        width, height, seconds = VIDEOS[f"/{name}"]
        return MediaItem(
            url=f"{photo_server}/{name}",
            content_type="video/mp4",
            open=lambda: path.open("rb"),
            size=path.stat().st_size,
            duration=seconds,
            width=width,
            height=height,
            cover_url=f"{photo_server}/portrait.jpg",
        )

    return make


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


# -- the engagement inbox: comments, mentions, reviews ----------------------------------


@pytest.fixture
def engagement_for(config):
    """The client of a platform, typed as the engagement inbox uses it."""
    from platforms import build_engagement_client

    return lambda platform: build_engagement_client(platform, config)


class ConversationAPI:
    """The sandbox's conversation endpoints: inject, edit, delete, and what is shown."""

    def __init__(self, url: str) -> None:
        self.url = f"{url}/_sandbox"
        self.http = requests.Session()

    def quiet(self) -> None:
        """No conversation of the sandbox's own: only what a test injects."""
        self.http.post(
            f"{self.url}/faults", json={"conversation_rate": 0}, timeout=5
        ).raise_for_status()

    def inject(self, platform: str, kind: str, **fields) -> list[dict]:
        resp = self.http.post(
            f"{self.url}/conversations",
            json={"platform": platform, "kind": kind, **fields},
            timeout=60,
        )
        assert resp.status_code == 200, resp.text
        return resp.json().get("items") or [{"id": i} for i in resp.json()["ids"]]

    def edit(self, platform: str, item_id: str, **fields) -> dict:
        resp = self.http.post(
            f"{self.url}/conversations/{platform}/{quote(item_id, safe='')}",
            json=fields,
            timeout=5,
        )
        assert resp.status_code == 200, resp.text
        return resp.json()

    def delete(self, platform: str, item_id: str) -> None:
        resp = self.http.delete(
            f"{self.url}/conversations/{platform}/{quote(item_id, safe='')}", timeout=5
        )
        assert resp.status_code == 200, resp.text

    def shown(self, platform: str, **query) -> list[dict]:
        resp = self.http.get(
            f"{self.url}/conversations", params={"platform": platform, **query}, timeout=30
        )
        assert resp.status_code == 200, resp.text
        return resp.json()["items"]

    def deliveries(self) -> list[dict]:
        return self.http.get(f"{self.url}/webhooks", timeout=5).json()["deliveries"]


@pytest.fixture
def conversation(sandbox) -> ConversationAPI:
    return ConversationAPI(sandbox.url)


# Text people really send, which the inbox must store and show exactly: markup and
# script, SQL-ish quotes, right-to-left scripts and overrides, emoji sequences joined by
# zero-width joiners, and very long text.
LONG_TEXT = ("My whole story, line after line: waited, asked, waited again. " * 80)[:5_000]
HOSTILE_TEXTS = {
    "script": "<script>alert('x')</script> & <img src=x onerror=alert(1)>",
    "sql": "Robert'); DROP TABLE comments;-- \" OR 1=1 -- \\ back\\slash",
    "entities": "&amp; &lt;b&gt; is not <b> — keep both",
    "rtl": "شكراً للطبيب \u202eevil\u202c תודה רבה",
    "emoji": "👩\u200d⚕️👨\u200d👩\u200d👧\u200d👦 ❤️\u200d🔥 zero\u200bwidth\ufeff",
    "long": LONG_TEXT,
}
