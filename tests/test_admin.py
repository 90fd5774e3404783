from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse

from tests import factories


@pytest.fixture
def superuser(db):
    user = factories.make_user("admin", is_staff=True, is_superuser=True)
    return user


@pytest.mark.parametrize("model", list(site._registry), ids=lambda m: m._meta.label)
def test_every_changelist_renders(client, superuser, practice, model):
    factories.make_post(practice, targets=[factories.make_account(practice)])
    client.force_login(superuser)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "x"}).status_code == 200


def test_consent_cannot_be_deleted_in_admin(client, superuser, practice):
    consent = factories.make_consent(practice)
    client.force_login(superuser)
    url = reverse("admin:practices_patientconsent_delete", args=[consent.pk])
    assert client.get(url).status_code == 403


def test_consent_views_in_admin_are_audited(client, superuser, practice):
    from core.models import AuditEvent

    consent = factories.make_consent(practice)
    client.force_login(superuser)
    client.get(reverse("admin:practices_patientconsent_changelist"))
    listed = AuditEvent.objects.get(verb="consent_list_viewed")
    assert listed.detail["consents"] == [consent.pk]
    client.get(reverse("admin:practices_patientconsent_change", args=[consent.pk]))
    viewed = AuditEvent.objects.get(verb="consent_viewed")
    assert viewed.object_id == str(consent.pk) and viewed.actor == superuser


@pytest.mark.parametrize(
    "model",
    [
        "posts.tip",
        "posts.mediaasset",
        "posts.post",
        "posts.publication",
        "posts.approval",
        "practices.patientconsent",
        "agency.auditevent",
    ],
)
def test_records_bound_by_workflow_are_read_only(superuser, model):
    from django.apps import apps
    from django.test import RequestFactory

    model_admin = site._registry[apps.get_model(model)]
    request = RequestFactory().get("/")
    request.user = superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
