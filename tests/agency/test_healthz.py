from __future__ import annotations

import copy

from django.conf import settings


def test_healthy(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_redis_down_is_503_naming_redis(client, db, settings_override=None):
    queues = copy.deepcopy(settings.RQ_QUEUES)
    queues["default"]["URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    from django.test import override_settings

    with override_settings(RQ_QUEUES=queues):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["redis"].startswith("unreachable")


def test_a_probe_by_ip_address_is_answered_and_nothing_else_is(client, db, settings):
    # A load balancer asks the container by its address, which ALLOWED_HOSTS
    # does not list; /healthz answers it, every other path still refuses it.
    settings.ALLOWED_HOSTS = ["rounds.example.com"]
    response = client.get("/healthz", HTTP_HOST="10.0.3.17:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert client.get("/login/", HTTP_HOST="10.0.3.17:8000").status_code == 400


def test_a_probe_over_plain_http_is_not_redirected(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/login/").status_code == 301


def test_only_reading_is_answered(client, db):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert client.head("/healthz").status_code == 200
