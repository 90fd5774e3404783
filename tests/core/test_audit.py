from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory

from core.models import AuditEvent


@pytest.fixture
def event(practice, strategist):
    return AuditEvent.record("post_approved", actor=strategist, practice=practice, obj=practice)


def test_save_of_existing_event_is_refused(event):
    event.verb = "something_else"
    with pytest.raises(PermissionError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).verb == "post_approved"


def test_delete_is_refused(event):
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_is_refused(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(verb="tampered")


def test_raw_sql_update_and_delete_are_refused_by_the_database(event):
    for statement in (
        "UPDATE agency_auditevent SET verb = 'tampered' WHERE id = %s",
        "DELETE FROM agency_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).verb == "post_approved"


def test_admin_is_read_only(event, lead):
    model_admin = site._registry[AuditEvent]
    request = RequestFactory().get("/")
    request.user = lead
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)


def test_login_is_audited(client, strategist):
    client.post("/login/", {"username": "strategist", "password": "correct horse battery staple"})
    assert AuditEvent.objects.filter(verb="login", actor=strategist).count() == 1
    client.logout()
    client.post("/login/", {"username": "strategist", "password": "wrong"})
    failed = AuditEvent.objects.get(verb="login_failed")
    assert failed.actor_label == "strategist"
    assert "wrong" not in str(failed.detail)


# -- TRUNCATE ------------------------------------------------------------------------
# No row trigger fires for TRUNCATE: the audit table has a statement trigger
# of its own (core/migrations/0004_audit_truncate_trigger.py).

TRUNCATES = [
    "TRUNCATE agency_auditevent",
    "TRUNCATE TABLE agency_auditevent RESTART IDENTITY CASCADE",
    "TRUNCATE ONLY agency_auditevent",
    # Emptying a table the audit log points at takes the log with it.
    "TRUNCATE practices_practice CASCADE",
]


# transactional_db: each statement in a session of its own, as in production
# (inside the test's transaction, PostgreSQL refuses any TRUNCATE of a table
# with foreign-key checks still pending, before a trigger is asked).


@pytest.mark.parametrize("statement", TRUNCATES)
def test_truncate_is_refused_by_the_database(transactional_db, event, statement):
    with (
        pytest.raises(DatabaseError, match="append-only: TRUNCATE of agency_auditevent"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_manage_py_flush_cannot_empty_the_audit_log(transactional_db, event):
    # What `manage.py flush` runs, with Django's own PostgreSQL backend (the
    # production one): refused as a whole, nothing is emptied.
    from django.core.management.color import no_style
    from django.db.backends.postgresql.operations import DatabaseOperations

    statements = DatabaseOperations(connection).sql_flush(
        no_style(), connection.introspection.django_table_names(), reset_sequences=True
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        DatabaseOperations(connection).execute_sql_flush(statements)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_test_suites_flush_still_empties_every_table(transactional_db, practice, strategist):
    # The flush between transactional tests (tests/db/base.py) is the one way through.
    from django.core.management import call_command

    AuditEvent.record("post_approved", actor=strategist, practice=practice, obj=practice)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0


def test_the_flush_setting_opens_no_database_but_a_test_one(db):
    """In a database not named test_*, as production's, the setting changes nothing."""
    import importlib
    import uuid

    import psycopg

    migration = importlib.import_module("core.migrations.0004_audit_truncate_trigger")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["dbname"] = "postgres"
    scratch = f"rounds_truncate_check_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{scratch}"')
    try:
        with psycopg.connect(**{**params, "dbname": scratch}, autocommit=True) as production:
            production.execute("CREATE TABLE agency_auditevent (id int)")
            production.execute(migration.CREATE)
            production.execute("INSERT INTO agency_auditevent VALUES (1)")
            production.execute("SET rounds.flushing_test_database = 'on'")
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                production.execute("TRUNCATE agency_auditevent")
            count = production.execute("SELECT count(*) FROM agency_auditevent").fetchone()
            assert count == (1,)
    finally:
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
