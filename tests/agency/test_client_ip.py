"""Whose address is recorded, and who may say the request came over HTTPS.

Behind the TLS proxy REMOTE_ADDR is the proxy's: X-Forwarded-For is believed
from TRUSTED_PROXIES only, and only up to the first hop that is not one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from ipaddress import ip_network

import pytest
import requests
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from core.http import client_ip
from core.models import AuditEvent
from practices.models import PatientConsent
from tests import ROOT

PROXY = "172.30.0.1"


@pytest.fixture
def trusted(settings):
    def trust(*items: str) -> None:
        settings.TRUSTED_PROXIES = [ip_network(item) for item in items]

    return trust


def _ip(remote_addr: str | None, forwarded_for: str | None = None) -> str | None:
    meta = {}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = RequestFactory().get("/", **meta)
    if remote_addr is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote_addr
    return client_ip(request)


def test_without_trusted_proxies_the_header_is_ignored(trusted):
    trusted()
    assert _ip("203.0.113.9", "198.51.100.7") == "203.0.113.9"


def test_the_address_the_trusted_proxy_saw_is_the_clients(trusted):
    trusted(PROXY)
    assert _ip(PROXY, "198.51.100.7") == "198.51.100.7"


def test_what_the_client_wrote_into_the_header_is_not_believed(trusted):
    # The client sent "X-Forwarded-For: 10.9.9.9"; the proxy appended its peer.
    trusted(PROXY)
    assert _ip(PROXY, "10.9.9.9, 198.51.100.7") == "198.51.100.7"
    assert _ip(PROXY, "127.0.0.1,198.51.100.7") == "198.51.100.7"


def test_a_header_from_an_untrusted_peer_is_ignored(trusted):
    # Someone reaching gunicorn directly, claiming to be behind the proxy.
    trusted(PROXY)
    assert _ip("203.0.113.9", f"198.51.100.7, {PROXY}") == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(trusted):
    trusted(PROXY, "10.0.0.0/8")
    assert _ip(PROXY, "10.9.9.9, 198.51.100.7, 10.1.2.3, 10.4.5.6") == "198.51.100.7"
    # Nothing but trusted hops: the furthest one is all we know.
    assert _ip(PROXY, "10.1.2.3, 10.4.5.6") == "10.1.2.3"


def test_garbage_in_the_header(trusted):
    trusted(PROXY, "10.0.0.0/8")
    assert _ip(PROXY, "") == PROXY
    assert _ip(PROXY, "unknown") == PROXY
    assert _ip(PROXY, "198.51.100.7, <script>, 10.1.2.3") == "10.1.2.3"
    assert _ip(PROXY, ",,, ") == PROXY
    assert _ip(PROXY, "999.1.1.1") == PROXY
    assert _ip(PROXY, "198.51.100.7\x00") == PROXY
    assert _ip(None, "198.51.100.7") is None
    assert _ip("not an address") is None
    assert client_ip(None) is None


def test_ipv6_clients_and_proxies(trusted):
    trusted("2001:db8:1::/64", PROXY)
    assert _ip("2001:db8:1::5", "2001:db8:ffff::9") == "2001:db8:ffff::9"
    assert _ip("2001:db8:1::5", "[2001:db8:ffff::9]:4711") == "2001:db8:ffff::9"
    assert _ip("2001:db8:1::5", "198.51.100.7:4711") == "198.51.100.7"
    assert _ip("2001:db8:1::5", "2001:DB8:FFFF:0:0:0:0:9") == "2001:db8:ffff::9"
    assert _ip("2001:db8:2::5", "198.51.100.7") == "2001:db8:2::5"  # outside the /64
    # An IPv4 peer on a dual-stack socket.
    assert _ip(f"::ffff:{PROXY}", "198.51.100.7") == "198.51.100.7"


def test_a_patients_signature_and_the_login_record_the_clients_address(
    client, practice, staff, trusted, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    trusted(PROXY)
    behind_proxy = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.4"}
    expires = (timezone.now() + timedelta(days=730)).date().isoformat()
    client.post(
        reverse("tip_link", args=[practice.tip_link_token]),
        {
            "submitter_name": "Sam Nurse",
            "submitter_email": "sam@clinic.example",
            "kind": "patient_story",
            "text": "Dana's first steps after surgery.",
            "policy_confirmed": "on",
            "features_patient": "on",
            "patient_consent": "new",
            "consent-patient_label": "Dana R.",
            "consent-signer": "patient",
            "consent-signer_name": "Dana Rivera",
            "consent-uses": ["story"],
            "consent-platforms": ["facebook"],
            "consent-expires_on": expires,
            "consent-method": "esignature",
            "consent-statements_acknowledged": "on",
            "consent-typed_signature": "Dana Rivera",
        },
        **behind_proxy,
    )
    assert PatientConsent.objects.get().signer_ip == "198.51.100.4"
    client.post(
        reverse("login"),
        {"username": "staff", "password": "correct horse battery staple"},
        **behind_proxy,
    )
    assert AuditEvent.objects.get(verb="login").ip_address == "198.51.100.4"


def test_bad_trusted_proxies_stop_start_up():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings"}
    for value in ("10.0.0.1/8", "proxy.internal", "172.30.0.1,nonsense"):
        env["TRUSTED_PROXIES"] = value
        result = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0, value
        assert "TRUSTED_PROXIES must be comma-separated IP addresses or networks" in result.stderr


# -- the scheme: gunicorn decides, believing the trusted proxies only ---------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _through_gunicorn(trusted_proxies: str | None) -> str:
    """Run gunicorn with agency/gunicorn.py's configuration; what the app sees of
    a request from 127.0.0.1 that claims HTTPS."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TRUSTED_PROXIES",)}
    env.pop("FORWARDED_ALLOW_IPS", None)
    if trusted_proxies is not None:
        env["TRUSTED_PROXIES"] = trusted_proxies
    command = [
        sys.executable,
        *("-m", "gunicorn", "-c", "python:agency.gunicorn"),
        *("--bind", f"127.0.0.1:{port}", "--workers", "1"),
        "tests.wsgi_scheme:app",
    ]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = requests.get(
                    f"http://127.0.0.1:{port}/",
                    headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"},
                    timeout=2,
                )
                return response.text
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stderr.read().decode()) from None
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_gunicorn_believes_the_scheme_from_a_trusted_proxy():
    assert _through_gunicorn("127.0.0.1") == "https 127.0.0.1"
    assert _through_gunicorn("10.0.0.0/8,127.0.0.0/8") == "https 127.0.0.1"


def test_gunicorn_ignores_the_scheme_from_anyone_else():
    assert _through_gunicorn("10.0.0.0/8") == "http 127.0.0.1"
    # Unset: nobody, not even gunicorn's own default of loopback.
    assert _through_gunicorn(None) == "http 127.0.0.1"
    assert _through_gunicorn("") == "http 127.0.0.1"


def test_django_no_longer_believes_the_header_on_its_own(client, db, settings):
    assert settings.SECURE_PROXY_SSL_HEADER is None
    request = RequestFactory().get("/", HTTP_X_FORWARDED_PROTO="https")
    assert not request.is_secure()
