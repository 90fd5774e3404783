"""Shared people and practices. The suite runs on PostgreSQL only."""

from __future__ import annotations

import pytest
from django.db import connection

from agency.models import User
from practices.models import Membership
from tests import factories

# The sandbox platforms, Redis and RQ fixtures for the publishing tests.
pytest_plugins = ["tests.publishing_support"]


@pytest.fixture(autouse=True, scope="session")
def _postgresql_only(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.exit("The suite runs on PostgreSQL: set DATABASE_URL (make test does).", 2)


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


@pytest.fixture(scope="session")
def sandbox_server():
    """The sandbox platform server on a free loopback port, for the whole run."""
    from posts.platforms.sandbox import SandboxServer

    server = SandboxServer(port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server, settings):
    """Every platform host pointed at the sandbox, with a clean ledger and no faults."""
    import requests

    requests.post(f"{sandbox_server.url}/_sandbox/reset", timeout=5).raise_for_status()
    settings.PLATFORM_HOSTS = {
        role: f"{sandbox_server.url}/{role}" for role in settings.PLATFORM_HOSTS
    }
    return sandbox_server
