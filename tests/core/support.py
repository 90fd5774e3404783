"""What the backup tests share: connections of their own to the test database's server."""

from __future__ import annotations

import psycopg
from django.db import connection


def connect(database: str, *, autocommit: bool = False) -> psycopg.Connection:
    """A connection of our own to `database` on the test database's server."""
    params = connection.settings_dict
    return psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname=database,
        autocommit=autocommit,
    )
