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
