"""The photo tests use no database."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def _postgresql_only():
    """Overrides the suite's session check: these tests use no database, so
    they run (fast) without a PostgreSQL server."""
