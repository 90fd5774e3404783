"""On PostgreSQL, refuse TRUNCATE of the audit log too.

0003's trigger refuses UPDATE and DELETE row by row; TRUNCATE fires no row
trigger and would empty the table in one statement (`manage.py flush` does
exactly that to every table). This statement trigger refuses it.

One exception, for the test suite only: Django's test runner and pytest-django
empty every table with TRUNCATE between transactional tests. A TRUNCATE is let
through when both hold:

- the session set `rounds.flushing_test_database` to on, which only the test
  database backend (tests/db/base.py) does, inside its flush transaction
  (SET LOCAL); nothing in the product sets it; and
- the database is a test database: Django names those `test_<name>`.

Setting a custom variable needs no privilege, so the first alone would stop
mistakes, not intent; the second means that in a production database
(`rounds`) no setting lets a TRUNCATE through. What remains is what the table's
owner can always do (drop the trigger, rename the database): deliberate DDL,
not a statement that slips into code or a shell. SQLite (the laptop quick
start only) has no triggers of this kind.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION agency_auditevent_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('rounds.flushing_test_database', true) = 'on'
       AND current_database() LIKE 'test\_%' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: TRUNCATE of % refused', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agency_auditevent_no_truncate
    BEFORE TRUNCATE ON agency_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION agency_auditevent_no_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS agency_auditevent_no_truncate ON agency_auditevent;
DROP FUNCTION IF EXISTS agency_auditevent_no_truncate();
"""


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL on PostgreSQL; nothing on SQLite, whose quick start has no such triggers."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("agency", "0003_audit_append_only")]

    operations = [PostgreSQLOnly(CREATE, DROP)]
