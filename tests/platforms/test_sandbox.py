"""The sandbox itself: ledger, knobs, repeatable faults, pages, concurrency, start-up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from platforms import Account, PublishRequest, TransientError

REPO = Path(__file__).resolve().parents[2]


def test_ledger_filters_by_platform_and_account(sandbox, client_for, account_for):
    client_for("x").publish(account_for("x"), PublishRequest(text="On X"))
    client_for("facebook").publish(account_for("facebook"), PublishRequest(text="On page 1"))
    client_for("facebook").publish(Account("1000002", "t"), PublishRequest(text="On page 2"))

    assert len(sandbox.ledger()) == 3
    assert [e["text"] for e in sandbox.ledger("facebook")] == ["On page 1", "On page 2"]
    assert [e["text"] for e in sandbox.ledger("facebook", "1000002")] == ["On page 2"]
    entry = sandbox.ledger("x")[0]
    assert set(entry) >= {
        "platform",
        "account",
        "id",
        "text",
        "media_count",
        "created_at",
        "token",
        "permalink",
        "deleted",
        "metrics",
    }
    assert datetime.fromisoformat(entry["created_at"]).tzinfo is not None

    sandbox.reset()
    assert sandbox.ledger() == []


def test_fault_knobs_are_readable_and_validated(sandbox):
    sandbox.faults(platform="x", account="3000001", latency_ms=5, error_rates={"throttled": 0.5})
    state = requests.get(f"{sandbox.url}/_sandbox/faults", timeout=5).json()
    assert state["faults"] == [
        {"platform": "x", "account": "3000001", "latency_ms": 5, "error_rates": {"throttled": 0.5}}
    ]
    for bad in (
        {"platform": "myspace"},
        {"platform": "x", "error_rates": {"boom": 1}},
        {"platform": "x", "ambiguous_rate": 2},
        {"platform": "x", "colour": "red"},
    ):
        resp = requests.post(f"{sandbox.url}/_sandbox/faults", json=bad, timeout=5)
        assert resp.status_code == 400, bad
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5).raise_for_status()
    assert requests.get(f"{sandbox.url}/_sandbox/faults", timeout=5).json()["faults"] == []


def test_account_knobs_override_platform_knobs(sandbox, client_for, account_for):
    sandbox.faults(platform="x", error_rates={"transient": 1.0})
    sandbox.faults(platform="x", account="3000001", error_rates={"transient": 0.0})
    since = datetime.now(UTC)
    assert client_for("x").find_recent(account_for("x"), "t", since=since) is None
    with pytest.raises(TransientError):
        client_for("x").find_recent(Account("3000002", "t"), "t", since=since)


def test_seeded_faults_repeat_exactly(sandbox, client_for, account_for):
    client, account = client_for("google_business"), account_for("google_business")

    def outcomes() -> list[bool]:
        sandbox.reset(seed=7)
        sandbox.faults(platform="google_business", error_rates={"transient": 0.5})
        results = []
        for _ in range(24):
            try:
                client.find_recent(account, "x", since=datetime.now(UTC))
                results.append(True)
            except TransientError:
                results.append(False)
        return results

    first = outcomes()
    assert 0 < sum(first) < len(first)  # really random
    assert outcomes() == first


def test_feed_and_index_pages(sandbox, client_for, account_for):
    li = client_for("linkedin")
    li.publish(account_for("linkedin"), PublishRequest(text="Older <post>"))
    li.publish(account_for("linkedin"), PublishRequest(text="Newer post"))
    index = requests.get(f"{sandbox.url}/_sandbox/", timeout=5)
    assert index.status_code == 200
    assert "/_sandbox/feed/linkedin/urn:li:organization:2000001" in index.text

    feed = requests.get(
        f"{sandbox.url}/_sandbox/feed/linkedin/urn:li:organization:2000001", timeout=5
    )
    assert feed.headers["Content-Type"].startswith("text/html")
    assert "http-equiv='refresh'" in feed.text
    assert feed.text.index("Newer post") < feed.text.index("Older \\&lt;post\\&gt;")

    google = requests.get(
        f"{sandbox.url}/_sandbox/feed/google_business/accounts/4000001/locations/5000001",
        timeout=5,
    )
    assert google.status_code == 200 and "No posts yet" in google.text
    assert requests.get(f"{sandbox.url}/x_www/i/web/status/1", timeout=5).status_code == 404


def test_consent_page_refuses_bad_requests(sandbox):
    base = sandbox.url
    no_redirect = requests.get(f"{base}/google_www/o/oauth2/v2/auth?client_id=a", timeout=5)
    assert no_redirect.status_code == 400
    no_pkce = requests.get(
        f"{base}/x_www/i/oauth2/authorize",
        params={
            "client_id": "a",
            "redirect_uri": "https://app.test/cb",
            "state": "s",
            "response_type": "code",
        },
        timeout=5,
    )
    assert "error=invalid_request" in no_pkce.text and "state=s" in no_pkce.text


def test_unknown_routes_answer_404(sandbox):
    assert requests.get(f"{sandbox.url}/nowhere/at/all", timeout=5).status_code == 404
    assert requests.get(f"{sandbox.url}/x_api/2/nothing", timeout=5).status_code == 404


def test_fifty_clients_with_latency_run_concurrently(sandbox, config, account_for):
    """The one slow-ish test: 150 ms per call, 50 workers, 100 posts across three platforms."""
    from platforms import build_client

    for platform in ("facebook", "linkedin", "x"):
        sandbox.faults(platform=platform, latency_ms=150)
    platforms = ["facebook", "linkedin", "x"]

    def work(n: int) -> str:
        platform = platforms[n % 3]
        client = build_client(platform, config)
        return client.publish(
            account_for(platform), PublishRequest(text=f"Load post {n}")
        ).platform_id

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=50) as pool:
        ids = list(pool.map(work, range(100)))
    elapsed = time.monotonic() - started

    ledger = sandbox.ledger()
    assert len(ledger) == 100 and len(set(ids)) == 100
    assert {e["id"] for e in ledger} == set(ids)
    # Facebook makes two calls per post: at least 300 ms per worker, about twice
    # that per post; run one after another this would take over 20 seconds.
    assert elapsed < 5, elapsed


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen) -> requests.Response:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read() if proc.stdout else "exited")
        try:
            return requests.get(url, timeout=1)
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError(f"{url} did not come up")


def test_runs_in_the_foreground_as_a_module():
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        resp = _wait_for(f"http://127.0.0.1:{port}/_sandbox/ledger", proc)
        assert resp.json() == {"count": 0, "posts": []}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_refuses_to_run_beside_production():
    env = {**os.environ, "DJANGO_ENV": "production"}
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", str(_free_port())],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "development tool" in result.stderr
