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
