"""The secret tip link: staff without an account, its limits, rotating it."""

from __future__ import annotations

import django_rq
import pytest
from django.urls import reverse

from core import ratelimit
from core.models import AuditEvent
from posts.models import Tip
from tests import factories
from tests import media_samples as samples
from tests.posts.intake.support import (
    LINK_TIP,
    SUCCESS,
    counts,
    esigned_consent,
    files,
    link,
)


def test_the_link_works_without_an_account(client, practice):
    page = client.get(link(practice))
    assert page.status_code == 200
    assert practice.name in page.content.decode()
    assert 'name="submitter_email"' in page.content.decode()
    response = client.post(link(practice), LINK_TIP | {"photos": [samples.photo()]}, follow=True)
    assert SUCCESS in response.content.decode()
    tip = Tip.objects.get()
    assert tip.via_link and tip.submitted_by is None and tip.practice == practice
    assert (tip.submitter_name, tip.submitter_email) == ("Sam Nurse", "sam@clinic.example")
    assert tip.photos.count() == 1


def test_the_link_asks_for_name_email_and_the_policy_each_time(client, practice):
    response = client.post(link(practice), {"kind": "team", "text": "Hi"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("This field is required.") == 2
    assert "Please confirm that you have read the social media policy." in page
    assert Tip.objects.count() == 0


def test_the_link_does_not_show_patients_on_file(client, practice):
    factories.make_consent(practice)
    page = client.get(link(practice)).content.decode()
    assert "Maria G. (until" not in page and 'name="consent"' not in page
    assert 'value="existing"' not in page


def test_the_link_cannot_use_a_consent_on_file(client, practice):
    consent = factories.make_consent(practice)
    response = client.post(
        link(practice),
        LINK_TIP | {"features_patient": "on", "patient_consent": "existing", "consent": consent.pk},
    )
    assert response.status_code == 200
    assert Tip.objects.count() == 0


def test_a_new_consent_through_the_link(client, practice):
    client.post(link(practice), LINK_TIP | esigned_consent(), REMOTE_ADDR="198.51.100.4")
    tip = Tip.objects.get()
    assert tip.consent.recorded_by is None
    assert tip.consent.recorded_by_label == "Sam Nurse via the tip link"
    assert tip.consent.signer_ip == "198.51.100.4"


def test_the_link_reaches_only_its_own_practice(client, practice, other_practice):
    client.post(link(other_practice), LINK_TIP)
    assert Tip.objects.get().practice == other_practice


def test_a_rotated_link_stops_working(client, strategist, practice):
    old = link(practice)
    client.force_login(strategist)
    response = client.post(reverse("tip_link_rotate", args=[practice.slug]))
    assert response.status_code == 302
    client.logout()
    assert client.get(old).status_code == 404
    assert client.post(old, LINK_TIP).status_code == 404
    practice.refresh_from_db()
    assert client.get(link(practice)).status_code == 200
    assert AuditEvent.objects.filter(verb="tip_link_rotated").exists()
    assert Tip.objects.count() == 0


def test_an_unknown_link_is_404(client, db):
    assert client.get(reverse("tip_link", args=["not-a-token"])).status_code == 404


@pytest.mark.parametrize("who", ["staff", "doctor", "other_strategist"])
def test_only_the_agency_rotates_the_link(request, client, practice, who):
    token = practice.tip_link_token
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("tip_link_rotate", args=[practice.slug]))
    assert response.status_code in (403, 404)
    practice.refresh_from_db()
    assert practice.tip_link_token == token


def test_the_link_is_rate_limited_per_email(client, practice, settings):
    settings.TIP_LINK_LIMIT_PER_EMAIL = 2
    for _ in range(2):
        assert client.post(link(practice), LINK_TIP).status_code == 302
    response = client.post(link(practice), LINK_TIP)
    assert response.status_code == 429
    assert "Too many tips" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert Tip.objects.count() == 2
    # Another address still gets through.
    other = LINK_TIP | {"submitter_email": "kim@clinic.example"}
    assert client.post(link(practice), other).status_code == 302


def test_the_link_is_rate_limited_per_link(client, practice, other_practice, settings):
    settings.TIP_LINK_LIMIT_PER_LINK = 3
    for i in range(3):
        data = LINK_TIP | {"submitter_email": f"n{i}@clinic.example"}
        assert client.post(link(practice), data).status_code == 302
    assert client.post(link(practice), LINK_TIP).status_code == 429
    # Another practice's link is counted on its own.
    assert client.post(link(other_practice), LINK_TIP).status_code == 302


def test_the_email_limit_counts_an_address_however_it_is_typed(client, practice, settings):
    # The form stores the address trimmed; the limit counts it trimmed and case-folded.
    settings.TIP_LINK_LIMIT_PER_EMAIL = 2
    assert client.post(link(practice), LINK_TIP).status_code == 302
    spaced = LINK_TIP | {"submitter_email": "  SAM@Clinic.Example "}
    assert client.post(link(practice), spaced).status_code == 302
    assert (
        client.post(
            link(practice), LINK_TIP | {"submitter_email": " sam@clinic.example"}
        ).status_code
        == 429
    )
    assert Tip.objects.count() == 2
    assert set(Tip.objects.values_list("submitter_email", flat=True)) == {
        "sam@clinic.example",
        "SAM@Clinic.Example",
    }


def test_an_ipv6_network_is_one_address_for_the_link(client, practice, settings):
    settings.TIP_LINK_LIMIT_PER_ADDRESS = 2

    def send(n: int, address: str) -> int:
        data = LINK_TIP | {"submitter_email": f"n{n}@clinic.example"}
        return client.post(link(practice), data, REMOTE_ADDR=address).status_code

    assert send(1, "2001:db8:7:7::1") == 302
    assert send(2, "2001:db8:7:7::2") == 302
    assert send(3, "2001:db8:7:7:abcd::3") == 429  # the same /64
    assert send(4, "2001:db8:7:8::1") == 302  # another network


def test_one_client_address_cannot_use_up_the_link(client, practice, other_practice, settings):
    settings.TIP_LINK_LIMIT_PER_ADDRESS = 2
    settings.TIP_LINK_LIMIT_PER_LINK = 3

    def send(n: int, address: str, to=practice) -> int:
        data = LINK_TIP | {"submitter_email": f"n{n}@clinic.example"}
        return client.post(link(to), data, REMOTE_ADDR=address).status_code

    assert [send(n, "203.0.113.5") for n in range(4)] == [302, 302, 429, 429]
    # The refused attempts did not count against the link: others still get in.
    assert send(5, "198.51.100.8") == 302
    assert send(6, "198.51.100.9") == 429  # and now the link's own limit holds
    # Another practice's link is its own budget, from the same address too.
    assert send(7, "203.0.113.5", to=other_practice) == 302
    assert Tip.objects.filter(practice=practice).count() == 3


def test_behind_the_proxy_each_client_address_is_counted(client, practice, settings):
    from ipaddress import ip_network

    settings.TRUSTED_PROXIES = [ip_network("172.30.0.1")]
    settings.TIP_LINK_LIMIT_PER_ADDRESS = 1

    def send(n: int, forwarded_for: str) -> int:
        data = LINK_TIP | {"submitter_email": f"n{n}@clinic.example"}
        return client.post(
            link(practice), data, REMOTE_ADDR="172.30.0.1", HTTP_X_FORWARDED_FOR=forwarded_for
        ).status_code

    assert send(1, "198.51.100.1") == 302
    assert send(2, "198.51.100.2") == 302
    assert send(3, "198.51.100.1") == 429
    # A forged header does not buy a new budget: the proxy's entry is the one read.
    assert send(4, "192.0.2.77, 198.51.100.1") == 429


def test_the_link_refuses_tips_while_attempts_cannot_be_counted(
    client, practice, settings, media_root
):
    # Redis is down (nothing listens there): no tip goes in uncounted.
    settings.RATELIMIT_REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.post(
        link(practice), LINK_TIP | esigned_consent() | {"photos": [samples.photo()]}
    )
    assert response.status_code == 503
    page = response.content.decode()
    assert "Your tip was not sent and nothing was saved" in page
    assert response["Retry-After"] == "60"
    assert counts() == (0, 0, 0) and files(media_root) == set()
    # The form itself still opens.
    assert client.get(link(practice)).status_code == 200


def test_rate_limit_counts_expire(practice):
    verdict = ratelimit.hit("test", "value", limit=1, window=1)
    assert verdict.allowed and verdict.retry_after == 1
    key = next(django_rq.get_connection("default").scan_iter(f"{ratelimit.PREFIX}test:*"))
    assert django_rq.get_connection("default").ttl(key) == 1
