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
