"""The sandbox's numbers grow as a post ages, and Instagram's insights can lag: the
clients report what the platform says at each moment, and nothing it has not said."""

from __future__ import annotations

import pytest

from platforms import MediaItem, PublishRequest


@pytest.fixture
def publish(client_for, account_for, photo_url):
    def post(platform: str, text: str):
        client = client_for(platform)
        account = account_for(platform, f"{platform}-token")
        media = (
            (MediaItem(url=photo_url(), data=None, alt_text=""),) if platform == "instagram" else ()
        )
        result = client.publish(account, PublishRequest(text=text, media=media))
        return lambda: client.metrics(account, result.platform_id)

    return post


def truth(sandbox, platform: str) -> dict:
    return sandbox.ledger(platform)[-1]["metrics"]


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
def test_numbers_grow_with_the_posts_age_and_match_the_platform(
    publish, sandbox, advance_clock, platform
):
    read = publish(platform, "Our patient graduated from physical therapy today!")
    first = read()
    assert first.reach == truth(sandbox, platform)["reach"]
    advance_clock(36 * 3600)
    later = read()
    assert later.reach == truth(sandbox, platform)["reach"]
    assert later.reach > first.reach and later.likes >= first.likes
    advance_clock(30 * 24 * 3600)
    final = read()
    assert final.reach >= later.reach


def test_instagram_insights_lag_and_stay_missing_until_reported(publish, sandbox, advance_clock):
    sandbox.faults(platform="instagram", insights_lag_hours=48)
    read = publish("instagram", "Meet the team behind your visit.")
    early = read()
    # Reach, views and saves are not reported yet: missing, not zero.
    assert (early.reach, early.impressions, early.saves) == (None, None, None)
    assert early.likes is not None and early.comments is not None
    advance_clock(47 * 3600)
    assert read().reach is None
    advance_clock(2 * 3600)
    reported = read()
    assert reported.reach is not None and reported.reach == truth(sandbox, "instagram")["reach"]


def test_a_story_reaches_further_than_a_notice_on_average(publish, sandbox):
    stories = [publish("facebook", f"Our patient graduated today! #{n}") for n in range(12)]
    notices = [publish("facebook", f"We are closed Monday. #{n}") for n in range(12)]
    story_reach = sum(read().reach for read in stories)
    notice_reach = sum(read().reach for read in notices)
    assert story_reach > notice_reach


def test_each_platforms_account_figures_as_the_platform_gives_them(
    client_for, account_for, sandbox, advance_clock
):

    from platforms import AccountMetrics

    first = {}
    for platform in ("facebook", "instagram", "linkedin", "x"):
        client = client_for(platform)
        token = f"{platform}-token"
        if platform == "x":
            token = sandbox.tokens("x", "3000001")["access_token"]
        figures = client.account_metrics(account_for(platform, token))
        assert figures.followers is not None and figures.followers > 0, platform
        first[platform] = (client, token, figures)
    # Facebook and Instagram give a daily reach too; LinkedIn and X do not.
    assert first["facebook"][2].reach is not None and first["instagram"][2].reach is not None
    assert first["linkedin"][2].reach is None and first["x"][2].reach is None
    # Google Business Profile has no followers: nothing is asked.
    assert (
        client_for("google_business").account_metrics(account_for("google_business"))
        == AccountMetrics()
    )
    # A month later every account has grown.
    advance_clock(30 * 24 * 3600)
    for platform, (client, token, figures) in first.items():
        later = client.account_metrics(account_for(platform, token))
        assert later.followers > figures.followers, platform


def test_google_and_linkedin_answer_for_many_posts_in_one_call(
    client_for, account_for, sandbox, photo_url
):
    from platforms import PublishRequest

    routes = {
        "google_business": "reportInsights",
        "linkedin": "organizationalEntityShareStatistics",
    }
    for platform, count, calls in (("google_business", 120, 2), ("linkedin", 25, 2)):
        client = client_for(platform)
        account = account_for(platform, f"{platform}-token")
        media = (MediaItem(url=photo_url(), data=None, alt_text=""),)
        ids = [
            client.publish(
                account,
                PublishRequest(
                    text=f"Flu shots, week {n}",
                    media=media if platform == "google_business" else (),
                ),
            ).platform_id
            for n in range(count)
        ]
        before = sandbox.calls(routes[platform])
        found = client.metrics_many(account, ids)
        assert set(found) == set(ids), platform
        assert sandbox.calls(routes[platform]) - before == calls, platform
