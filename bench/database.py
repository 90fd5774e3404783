"""A benchmark's own PostgreSQL database, dropped and made again for each run."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def recreate_database(base_url: str, name: str) -> str:
    """The URL of a fresh, empty database `name` on the server of `base_url`."""
    import psycopg

    parts = urlsplit(base_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}"))
