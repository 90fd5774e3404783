"""The intake tests' media folder, fresh rate limits and a staff member signed in."""

from __future__ import annotations

from pathlib import Path

import django_rq
import pytest
from django.utils import timezone

from core import ratelimit
from practices.models import Membership


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    connection = django_rq.get_connection("default")
    for key in connection.scan_iter(f"{ratelimit.PREFIX}*"):
        connection.delete(key)


@pytest.fixture
def staff_client(client, staff, practice):
    Membership.objects.filter(user=staff).update(policy_confirmed_at=timezone.now())
    client.force_login(staff)
    return client
