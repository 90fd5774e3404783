"""A post met by a proxy's bare 429s, HTML 502/503 pages and an emptied answer still goes out
exactly once, on every platform, and nobody is asked to do anything."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from posts.media import photos as media
from posts.models import Publication
from practices.models import SocialAccount
from tests.publishing_support import ALL_PLATFORMS, make_due, scheduled_post, sent_mail

Status = Publication.Status

# One bare answer per attempt, in this order; the emptied answer comes last
# because it is the one that follows a created post.
ROUNDS = ["429", "429_retry_after_date", "502_html", "503_html", "429_retry_after", "empty_200"]


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (90, 140, 200)).save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile("clinic.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_bare_answers_end_published_exactly_once(
    transactional_db, live_server, world, sandbox, run_due, settings, platform
):
    # With a photo, as real posts are: Instagram and Google fetch it from our
    # signed URL, so the web server runs.
    settings.SITE_URL = live_server.url
    asset = media.store_photo(practice=world["practice"], upload=_photo(), by=world["author"])
    post = scheduled_post(world, [platform], photos=[asset])
    publication = post.publications.get()
    seen: set[str] = set()
    for kind in ROUNDS:
        sandbox.clear_faults()
        sandbox.faults(platform=platform, bare_rates={kind: 1.0}, retry_after_s=30)
        make_due(post)
        # A throttled account waits: let it go again at once, as time would.
        SocialAccount.objects.filter(pk=publication.account_id).update(throttled_until=None)
        run_due()
        publication.refresh_from_db()
        assert publication.status != Status.FAILED, (kind, publication.last_error_message)
        assert "<" not in publication.last_error_message
        seen.add(publication.last_error_kind)
        if publication.status == Status.PUBLISHED:
            break

    sandbox.clear_faults()
    for _ in range(3):  # reading back first, then (if nothing is there) publishing
        if publication.status == Status.PUBLISHED:
            break
        make_due(post)
        SocialAccount.objects.filter(pk=publication.account_id).update(throttled_until=None)
        run_due()
        publication.refresh_from_db()

    assert publication.status == Status.PUBLISHED
    assert len(sandbox.ledger(platform)) == 1
    assert publication.platform_post_id == sandbox.ledger(platform)[0]["id"]
    assert {Publication.ErrorKind.THROTTLED, Publication.ErrorKind.AMBIGUOUS} <= seen or (
        # Instagram's first call only builds a container: a 5xx there is plainly transient.
        platform == "instagram" and Publication.ErrorKind.THROTTLED in seen
    )
    assert sent_mail() == []  # nothing for a person to do
