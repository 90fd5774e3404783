from __future__ import annotations

import django_rq
import pytest
from django.contrib.admin.sites import site
from django.urls import reverse

from core.models import User
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
        "posts.mediavariant",
        "posts.post",
        "posts.publication",
        "posts.approval",
        "practices.patientconsent",
        "practices.socialaccount",
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


# -- who gets in -----------------------------------------------------------------
# The admin has no per-practice scoping, so it is the superusers' alone; RQ's
# pages (empty a queue, requeue every failed job) too.


@pytest.fixture
def staff_account(db):
    """Django's is_staff without superuser: the account the admin must not let in."""
    return factories.make_user(
        "staff_account", is_staff=True, agency_role=User.AgencyRole.STRATEGIST
    )


ADMIN_PAGES = [
    "/admin/",
    "/admin/posts/post/",
    "/admin/practices/socialaccount/",
    "/admin/agency/auditevent/",
    "/admin/rq/",
    "/admin/rq/queues/0/",
    "/admin/rq/queues/0/empty/",
    "/admin/rq/workers/0/",
    "/admin/rq/stats.json",
    "/admin/django_rq/dashboard/",
    "/admin/django_rq/dashboard/stats.json",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_a_superuser_reaches_every_admin_and_rq_page(client, superuser, redis_db, url):
    client.force_login(superuser)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_staff_who_are_not_superusers_get_no_admin_page(client, staff_account, redis_db, url):
    client.force_login(staff_account)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/?next=")


def test_staff_who_are_not_superusers_cannot_empty_a_queue(client, staff_account, redis_db):
    queue = django_rq.get_queue("default", commit_mode="auto")
    queue.enqueue("posts.jobs.delete_publication", 1)
    assert queue.count == 1
    client.force_login(staff_account)
    response = client.post("/admin/rq/queues/0/empty/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    response = client.post("/admin/django_rq/dashboard/queues/0/empty/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    assert queue.count == 1


def test_a_superuser_can_empty_a_queue(client, superuser, redis_db):
    queue = django_rq.get_queue("default", commit_mode="auto")
    queue.enqueue("posts.jobs.delete_publication", 1)
    assert queue.count == 1
    client.force_login(superuser)
    assert client.post("/admin/rq/queues/0/empty/").status_code == 302
    assert queue.count == 0


def test_the_admin_login_refuses_staff_who_are_not_superusers(client, staff_account, superuser):
    password = "correct horse battery staple"
    response = client.post(
        "/admin/login/", {"username": "staff_account", "password": password, "next": "/admin/"}
    )
    assert response.status_code == 200
    assert "for a staff account" in response.text
    assert "_auth_user_id" not in client.session
    response = client.post(
        "/admin/login/", {"username": "admin", "password": password, "next": "/admin/"}
    )
    assert response.status_code == 302 and response.url == "/admin/"


# -- what the admin cannot change ---------------------------------------------------
# Accounts change through the OAuth flow, photos and their renderings through
# the cleaning code: a POST to the admin's forms changes nothing.


def test_a_social_accounts_practice_status_and_id_cannot_be_changed(
    client, superuser, practice, other_practice
):
    from practices.models import SocialAccount

    account = factories.make_account(practice, access_token="secret-page-token")
    client.force_login(superuser)
    url = reverse("admin:practices_socialaccount_change", args=[account.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "secret-page-token" not in page.text and "access_token" not in page.text
    assert 'name="external_id"' not in page.text and 'name="practice"' not in page.text
    response = client.post(
        url,
        {
            "practice": other_practice.pk,
            "platform": "instagram",
            "status": "connected",
            "external_id": "someone-elses-page",
            "display_name": "Hijacked",
            "access_token": "attacker-token",
            "connected_at_0": "2026-01-01",
            "connected_at_1": "00:00:00",
        },
    )
    assert response.status_code == 403
    after = SocialAccount.objects.get(pk=account.pk)
    assert (after.practice, after.platform, after.status, after.external_id) == (
        practice,
        account.platform,
        account.status,
        account.external_id,
    )
    assert after.access_token == "secret-page-token"
    add = client.post(reverse("admin:practices_socialaccount_add"), {"practice": practice.pk})
    assert add.status_code == 403
    assert SocialAccount.objects.count() == 1


def test_a_photo_or_its_rendering_cannot_be_replaced_in_the_admin(
    client, superuser, practice, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from posts.media import photos as media
    from posts.models import MediaAsset, MediaVariant
    from tests import media_samples as samples

    settings.MEDIA_ROOT = str(tmp_path / "media")
    asset = media.store_photo(practice=practice, upload=samples.photo(), by=None)
    variant = media.variant_for(asset, "facebook")
    with_gps = samples.jpeg_bytes(800, 420, gps=True)
    client.force_login(superuser)
    for url, data in [
        (
            reverse("admin:posts_mediavariant_change", args=[variant.pk]),
            {"asset": asset.pk, "spec": "facebook", "width": 800, "height": 420},
        ),
        (reverse("admin:posts_mediavariant_add"), {"asset": asset.pk, "spec": "x"}),
        (
            reverse("admin:posts_mediaasset_change", args=[asset.pk]),
            {"practice": practice.pk, "alt_text": "changed"},
        ),
        (reverse("admin:posts_mediaasset_add"), {"practice": practice.pk}),
    ]:
        upload = SimpleUploadedFile("gps.jpg", with_gps, content_type="image/jpeg")
        assert client.post(url, {**data, "file": upload}).status_code == 403, url
    assert MediaVariant.objects.get(pk=variant.pk).file.name == variant.file.name
    assert MediaAsset.objects.get(pk=asset.pk).file.name == asset.file.name
    assert (MediaAsset.objects.count(), MediaVariant.objects.count()) == (1, 1)
    # Both can still be looked at.
    for name, pk in [("mediavariant", variant.pk), ("mediaasset", asset.pk)]:
        assert client.get(reverse(f"admin:posts_{name}_change", args=[pk])).status_code == 200


def test_an_authenticator_app_is_removed_in_the_admin_audited_and_never_shown(
    client, superuser, lead
):
    from core.models import AuditEvent, AuthenticatorApp

    device = AuthenticatorApp.objects.get(user=lead)
    client.force_login(superuser)
    change = client.get(reverse("admin:agency_authenticatorapp_change", args=[device.pk]))
    assert change.status_code == 200 and device.key not in change.text
    url = reverse("admin:agency_authenticatorapp_delete", args=[device.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not AuthenticatorApp.objects.filter(pk=device.pk).exists()
    removed = AuditEvent.objects.get(verb="two_factor_app_removed")
    assert removed.actor == superuser and removed.object_id == str(lead.pk)
