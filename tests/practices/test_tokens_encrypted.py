from __future__ import annotations

from django.db import connection

from practices.models import SocialAccount
from tests import factories


def test_tokens_are_not_stored_in_clear(practice):
    account = factories.make_account(
        practice, access_token="EAAG-secret-access-123", refresh_token="refresh-secret-456"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM practices_socialaccount WHERE id = %s",
            [account.pk],
        )
        raw_access, raw_refresh = cursor.fetchone()
    assert "EAAG-secret-access-123" not in raw_access
    assert "refresh-secret-456" not in raw_refresh
    assert raw_access.startswith("gAAAA"), "Fernet tokens start with the version byte"
    reloaded = SocialAccount.objects.get(pk=account.pk)
    assert reloaded.access_token == "EAAG-secret-access-123"
    assert reloaded.refresh_token == "refresh-secret-456"


def test_empty_tokens_stay_empty(practice):
    account = factories.make_account(practice, access_token="", refresh_token="")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT refresh_token FROM practices_socialaccount WHERE id = %s", [account.pk]
        )
        assert cursor.fetchone()[0] == ""
