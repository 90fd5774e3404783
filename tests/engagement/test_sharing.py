"""A patient's own post: asking to share it, their e-signed authorization first (by a
link sent to them), and only then a post that relies on it, checked at publishing."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core import notifications
from engagement import sharing
from engagement.models import Reply, ShareRequest
from posts.rules import compliance
from practices.models import PatientConsent
from tests import factories
from tests.engagement.support import make_item
from tests.posts.intake.support import esigned_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def mention(practice):
    instagram = factories.make_account(practice, "instagram")
    return make_item(
        instagram,
        kind="mention",
        text="Six months after my knee surgery I ran my first 10K! Thank you @clinic",
        author_name="runner.dana",
        permalink="https://instagram.example/p/abc",
    )


def consent_fields() -> dict:
    return {
        key: value
        for key, value in esigned_consent(**{"consent-signer_email": "dana@example.org"}).items()
        if key.startswith("consent-")
    }


def test_asking_to_share_is_a_reply_the_rules_let_through(client, strategist, mention):
    client.force_login(strategist)
    client.post(reverse("inbox_ask_share", args=[mention.pk]))
    reply = Reply.objects.get()
    assert reply.text == sharing.ASK_TO_SHARE and reply.findings == []
    assert reply.status == Reply.Status.QUEUED


def test_no_post_before_the_authorization(client, strategist, mention):
    client.force_login(strategist)
    page = client.get(reverse("inbox_item", args=[mention.pk])).content.decode()
    assert "Draft a post from it" not in page and "Send the form" in page
    response = client.post(reverse("inbox_share_draft", args=[mention.pk]), follow=True)
    assert "Their authorization comes first" in response.content.decode()
    assert not mention.practice.posts.exists()


def test_the_person_signs_by_the_link_and_then_a_post_relies_on_it(
    client, strategist, mention, django_capture_on_commit_callbacks
):
    client.force_login(strategist)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("inbox_share_form", args=[mention.pk]), {"email": "dana@example.org"})
    notifications.send_due()
    [asked] = [m for m in mail.outbox if m.to == ["dana@example.org"]]
    assert "asks to share your post" in asked.subject
    path = "/" + re.search(r"https?://\S+?/(share/\S+/)", asked.body).group(1)

    client.logout()
    page = client.get(path).content.decode()
    assert "Six months after my knee surgery" in page and "May " in page
    signed = client.post(path, consent_fields())
    assert signed.status_code == 200 and "has your permission" in signed.content.decode()
    request = ShareRequest.objects.get()
    consent = request.consent
    assert consent is not None and consent.method == PatientConsent.Method.ESIGNATURE
    assert consent.patient_label == "Dana R." and consent.recorded_by is None
    # The link is spent.
    assert client.get(path).status_code == 410

    client.force_login(strategist)
    response = client.post(reverse("inbox_share_draft", args=[mention.pk]))
    post = mention.practice.posts.get()
    assert response.url == reverse("post_edit", args=[post.pk])
    assert list(post.consents.all()) == [consent] and post.features_patient
    assert set(post.patient_uses) == {"photo", "story"}
    instagram = mention.account
    post.targets.set([instagram])
    assert compliance.authorization_problems(post, platforms=["instagram"], at=timezone.now()) == []
    # Revoked: the publish gate stops the post.
    PatientConsent.objects.filter(pk=consent.pk).update(revoked_at=timezone.now())
    post.refresh_from_db()
    assert compliance.authorization_problems(post, platforms=["instagram"], at=timezone.now())


def test_a_forged_or_expired_link_is_refused(client, strategist, mention):
    assert client.get("/share/not-a-token/").status_code == 410
    client.force_login(strategist)
    request = sharing.send_form(mention, email="dana@example.org", by=strategist)
    ShareRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now())
    from django.core import signing

    token = signing.dumps(request.pk, salt=sharing.SALT, compress=True)
    client.logout()
    response = client.get(f"/share/{token}/")
    assert response.status_code == 410 and "does not work" in response.content.decode()
