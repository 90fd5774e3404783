"""The Instagram client: containers, polling, resuming, quota and delete capability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from platforms import (
    AmbiguousOutcome,
    ContentRejected,
    DeleteUnsupported,
    MediaItem,
    PublishRequest,
    ReconnectNeeded,
    ThrottledError,
    TokenSet,
    TransientError,
)
from platforms.graph import GraphError

IG = "17841400000000001"


@pytest.fixture
def ig(client_for):
    return client_for("instagram")


@pytest.fixture
def user(account_for):
    return account_for("instagram", "ig-token")


@pytest.fixture
def photo(photo_url):
    return lambda name="square.jpg", alt="": MediaItem(url=photo_url(name), data=None, alt_text=alt)


def test_publish_one_photo_through_a_container(ig, user, sandbox, photo):
    saved: list[dict] = []
    result = ig.publish(
        user,
        PublishRequest(text="Meet Dr. Ortiz", media=(photo(alt="Dr. Ortiz"),)),
        on_progress=saved.append,
    )
    [entry] = sandbox.ledger("instagram", IG)
    assert entry["id"] == result.platform_id
    assert (entry["text"], entry["media_count"]) == ("Meet Dr. Ortiz", 1)
    assert result.permalink == entry["permalink"] and "/instagram_www/p/" in result.permalink
    # The container id was handed over as soon as it existed.
    assert saved and saved[0]["container_id"]


def test_publish_a_carousel_is_one_post(ig, user, sandbox, photo):
    ig.publish(user, PublishRequest(text="Tour", media=(photo(), photo("portrait.jpg"), photo())))
    [entry] = sandbox.ledger("instagram")
    assert entry["media_count"] == 3


def test_text_only_and_too_many_photos_are_refused_before_calling(ig, user, sandbox, photo):
    with pytest.raises(ContentRejected, match="at least one image"):
        ig.publish(user, PublishRequest(text="No photo"))
    with pytest.raises(ContentRejected, match="at most 10"):
        ig.publish(user, PublishRequest(text="Many", media=tuple(photo() for _ in range(11))))
    assert sandbox.ledger() == []


def test_instagram_checks_the_photo_it_downloads(ig, user, sandbox, photo):
    with pytest.raises(ContentRejected) as wide:
        ig.publish(user, PublishRequest(text="Wide", media=(photo("banner.jpg"),)))
    assert "aspect ratio" in wide.value.message
    assert wide.value.platform_code == "36003/2207009"

    with pytest.raises(ContentRejected) as png:
        ig.publish(user, PublishRequest(text="PNG", media=(photo("square.png"),)))
    assert "Only JPEG" in png.value.message

    with pytest.raises(ContentRejected) as missing:
        ig.publish(user, PublishRequest(text="404", media=(photo("nothing-here.jpg"),)))
    assert "could not be fetched" in missing.value.message
    assert sandbox.ledger() == []


def test_waits_while_the_container_is_in_progress(ig, user, sandbox, photo):
    sandbox.faults(platform="instagram", ig_in_progress_polls=3)
    result = ig.publish(user, PublishRequest(text="Patience", media=(photo(),)))
    assert [e["id"] for e in sandbox.ledger("instagram")] == [result.platform_id]


def test_still_in_progress_gives_up_then_resumes_the_same_container(ig, user, sandbox, photo):
    sandbox.faults(platform="instagram", ig_in_progress_polls=8)
    saved: list[dict] = []
    request = PublishRequest(text="Slow photo", media=(photo(),))
    with pytest.raises(TransientError, match="still processing"):
        ig.publish(user, request, on_progress=saved.append)
    assert sandbox.ledger() == []

    state = saved[-1]
    resumed: list[dict] = []
    result = ig.publish(
        user,
        PublishRequest(text="Slow photo", media=request.media, state=state),
        on_progress=resumed.append,
    )
    assert resumed == []  # no second container was built
    assert [e["id"] for e in sandbox.ledger("instagram")] == [result.platform_id]


def test_publishing_before_finished_is_refused_with_9007(ig, user, sandbox, photo_url):
    sandbox.faults(platform="instagram", ig_in_progress_polls=2)
    base = f"{sandbox.url}/instagram_graph/v25.0"
    auth = {"Authorization": "Bearer ig-token"}
    container = requests.post(
        f"{base}/{IG}/media",
        data={"image_url": photo_url(), "caption": "Early"},
        headers=auth,
        timeout=5,
    ).json()["id"]
    early = requests.post(
        f"{base}/{IG}/media_publish", data={"creation_id": container}, headers=auth, timeout=5
    )
    assert early.status_code == 400
    error = early.json()["error"]
    assert (error["code"], error["error_subcode"]) == (9007, 2207027)
    # The client reads that as "not ready yet": retry, not a rejection.
    assert isinstance(ig.graph.classify(GraphError(early, error), create=True), TransientError)
    assert sandbox.ledger() == []


def test_a_resumed_publish_never_republishes_a_published_container(ig, user, sandbox, photo):
    sandbox.faults(platform="instagram", ambiguous_rate=1.0, ambiguous_mode="5xx")
    saved: list[dict] = []
    request = PublishRequest(text="Exactly once", media=(photo(),))
    with pytest.raises(AmbiguousOutcome):
        ig.publish(user, request, on_progress=saved.append)
    [entry] = sandbox.ledger("instagram")

    sandbox.faults(platform="instagram", ambiguous_rate=0.0)
    result = ig.publish(
        user, PublishRequest(text="Exactly once", media=request.media, state=saved[-1])
    )
    assert result.platform_id == entry["id"]
    assert len(sandbox.ledger("instagram")) == 1


def test_republishing_a_published_container_does_post_twice(ig, user, sandbox, photo):
    # The hazard the client avoids is real in the sandbox, so the test above can fail.
    saved: list[dict] = []
    ig.publish(user, PublishRequest(text="Twice", media=(photo(),)), on_progress=saved.append)
    requests.post(
        f"{sandbox.url}/instagram_graph/v25.0/{IG}/media_publish",
        data={"creation_id": saved[-1]["container_id"]},
        headers={"Authorization": "Bearer ig-token"},
        timeout=5,
    ).raise_for_status()
    assert len(sandbox.ledger("instagram")) == 2


def test_an_expired_container_is_rebuilt(ig, user, sandbox, photo, advance_clock):
    sandbox.faults(platform="instagram", ig_in_progress_polls=50)
    saved: list[dict] = []
    request = PublishRequest(text="Next day", media=(photo(),))
    with pytest.raises(TransientError):
        ig.publish(user, request, on_progress=saved.append)
    old = saved[-1]["container_id"]

    sandbox.faults(platform="instagram", ig_in_progress_polls=0)
    advance_clock(25 * 3600)
    rebuilt: list[dict] = []
    ig.publish(
        user,
        PublishRequest(text="Next day", media=request.media, state=saved[-1]),
        on_progress=rebuilt.append,
    )
    assert rebuilt[-1]["container_id"] not in (None, old)
    assert len(sandbox.ledger("instagram")) == 1


def test_over_the_daily_quota_is_throttled(ig, user, sandbox, photo):
    sandbox.faults(platform="instagram", quota=49)
    ig.publish(user, PublishRequest(text="The 50th", media=(photo(),)))
    limit = requests.get(
        f"{sandbox.url}/instagram_graph/v25.0/{IG}/content_publishing_limit",
        params={"fields": "quota_usage,config"},
        headers={"Authorization": "Bearer ig-token"},
        timeout=5,
    ).json()["data"][0]
    assert limit == {"quota_usage": 50, "config": {"quota_total": 50, "quota_duration": 86400}}

    with pytest.raises(ThrottledError) as caught:
        ig.publish(user, PublishRequest(text="The 51st", media=(photo(),)))
    assert caught.value.platform_code == "9/2207042"
    assert "50 posts" in caught.value.message
    assert len(sandbox.ledger("instagram")) == 1


def test_read_back_find_recent_and_metrics(ig, user, sandbox, photo):
    since = datetime.now(UTC) - timedelta(seconds=5)
    result = ig.publish(user, PublishRequest(text="Caption here", media=(photo(),)))
    remote = ig.read_back(user, result.platform_id)
    assert (remote.text, remote.permalink) == ("Caption here", result.permalink)
    assert ig.find_recent(user, "Caption here", since=since).platform_id == result.platform_id
    assert ig.find_recent(user, "Other caption", since=since) is None
    assert ig.read_back(user, "17899999999999999") is None

    truth = sandbox.ledger("instagram")[0]["metrics"]
    metrics = ig.metrics(user, result.platform_id)
    assert (metrics.reach, metrics.impressions, metrics.saves, metrics.likes) == (
        truth["reach"],
        truth["impressions"],
        truth["saves"],
        truth["likes"],
    )
    assert (metrics.comments, metrics.shares, metrics.clicks) == (
        truth["comments"],
        truth["shares"],
        None,
    )


def test_delete_when_allowed(ig, user, sandbox, photo):
    result = ig.publish(user, PublishRequest(text="Remove me", media=(photo(),)))
    ig.delete(user, result.platform_id)
    assert sandbox.ledger("instagram")[0]["deleted"] is True
    ig.delete(user, result.platform_id)  # already gone


def test_delete_switched_off_says_remove_by_hand(ig, user, sandbox, photo):
    sandbox.faults(platform="instagram", account=IG, delete_enabled=False)
    result = ig.publish(user, PublishRequest(text="Stuck", media=(photo(),)))
    with pytest.raises(DeleteUnsupported) as caught:
        ig.delete(user, result.platform_id)
    assert "by hand" in caught.value.message
    assert sandbox.ledger("instagram")[0]["deleted"] is False


def test_login_round_trip_and_refresh(ig, sandbox, approve, advance_clock):
    url = ig.authorize_url(
        redirect_uri="https://app.test/cb", state="ig-state", code_challenge=None
    )
    assert url.startswith(ig.config.hosts["instagram_www"] + "/oauth/authorize?")
    back = approve(url)
    assert back["state"] == "ig-state"
    tokens = ig.exchange_code(
        code=back["code"], redirect_uri="https://app.test/cb", code_verifier=None
    )
    assert tokens.expires_at - datetime.now(UTC) > timedelta(days=59)
    assert "instagram_business_content_publish" in tokens.scopes

    [target] = ig.list_targets(tokens)
    assert (target.external_id, target.name) == (IG, "@maplestreetfp")

    advance_clock(30 * 24 * 3600)
    fresh = ig.refresh(tokens)
    assert fresh.access_token != tokens.access_token
    assert fresh.scopes == tokens.scopes

    advance_clock(61 * 24 * 3600)  # past the refreshed token's 60 days
    with pytest.raises(ReconnectNeeded):
        ig.refresh(fresh)


def test_a_bad_code_needs_a_new_connection(ig, sandbox):
    with pytest.raises(ReconnectNeeded, match="Invalid authorization code"):
        ig.exchange_code(code="nope", redirect_uri="https://app.test/cb", code_verifier=None)


def test_refreshing_a_made_up_token_works_and_revocation_stops_it(ig, sandbox):
    tokens = TokenSet(access_token="IG-made-up")
    assert ig.refresh(tokens).access_token.startswith("IGAAL")
    sandbox.revoke("IG-made-up")
    with pytest.raises(ReconnectNeeded):
        ig.refresh(tokens)


def test_a_container_that_fails_processing_is_rejected(ig, user, sandbox, photo):
    sandbox.faults(platform="instagram", ig_container_error=2207001)
    with pytest.raises(ContentRejected) as caught:
        ig.publish(user, PublishRequest(text="Broken", media=(photo(),)))
    assert "2207001" in caught.value.message
    assert caught.value.platform_code == "2207001"
    assert sandbox.ledger() == []


def test_facebook_login_page_lookup_names_the_instagram_account(sandbox):
    resp = requests.get(
        f"{sandbox.url}/graph/v25.0/1000001",
        params={"fields": "instagram_business_account"},
        headers={"Authorization": "Bearer page-token"},
        timeout=5,
    )
    assert resp.json() == {"id": "1000001", "instagram_business_account": {"id": IG}}
