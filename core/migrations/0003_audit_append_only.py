"""On PostgreSQL, refuse UPDATE and DELETE of audit events from any client.

The ORM already refuses (AuditEventQuerySet); this trigger holds even for a
raw SQL session, so the audit trail stays append-only as HIPAA expects.
SQLite (the laptop quick start only) has no such trigger.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION agency_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agency_auditevent_append_only
    BEFORE UPDATE OR DELETE ON agency_auditevent
    FOR EACH ROW EXECUTE FUNCTION agency_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS agency_auditevent_append_only ON agency_auditevent;
DROP FUNCTION IF EXISTS agency_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("agency", "0002_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
