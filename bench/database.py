"""A benchmark's own PostgreSQL database, dropped and made again for each run (or, to
measure a change without building the data again, the one a previous run left)."""

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


def database_url(base_url: str, name: str) -> str:
    """The URL of the existing database `name` on the server of `base_url`."""
    return urlunsplit(urlsplit(base_url)._replace(path=f"/{name}"))


def django_on_fresh_database(name: str, *, reuse: bool = False) -> None:
    """Point Django at a fresh database `name` (beside DATABASE_URL's), migrated;
    with `reuse`, at the one already there, migrated."""
    import os

    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise SystemExit("DATABASE_URL must point at PostgreSQL (scripts/services.py sets it)")
    os.environ["DATABASE_URL"] = (
        database_url(base, name) if reuse else recreate_database(base, name)
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
