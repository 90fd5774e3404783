"""The test suite's database backend: Django's PostgreSQL backend, whose flush may
empty the audit log.

The audit table refuses TRUNCATE (core/migrations/0004_audit_truncate_trigger)
unless the session set `rounds.flushing_test_database` in a test database. The
flush between transactional tests (pytest-django's transactional_db and
live_server, Django's TransactionTestCase) sets it, with SET LOCAL inside the
flush's own transaction: every other statement of the suite, a test's plain
TRUNCATE included, meets the trigger as production does.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements: list[str] = super().sql_flush(style, tables, **kwargs)
        if not statements:
            return statements
        # execute_sql_flush runs these in one transaction: the setting ends with it.
        return ["SET LOCAL rounds.flushing_test_database = 'on'", *statements]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
