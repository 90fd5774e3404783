"""What the editor tests share: the form's fields (blank, or as a saved post fills
them), a time a few days ahead, and an approved post with photos."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from posts.content import content_of
from posts.models import PostMedia
from tests import factories


def form_data(practice, *, caption="Flu shots are in: walk in any weekday.", targets=(), **extra):
    data = {"practice": practice.slug, "caption": caption, "photo_platforms_shown": "1"}
    data["targets"] = [account.pk for account in targets]
    data.update(extra)
    return data


def later(days=3, hour=10):
    """A local date and time a few days ahead, as the form takes them."""
    day = timezone.localdate() + timedelta(days=days)
    return {"date": day.isoformat(), "time": f"{hour:02d}:00"}


def approved_post(practice, doctor, accounts, photos, *, schedule=False):
    post = factories.make_post(
        practice,
        targets=[accounts["facebook"], accounts["x"]],
        overrides={"x": "Short for X."},
    )
    for position, asset in enumerate(photos[:2]):
        PostMedia.objects.create(post=post, asset=asset, position=position)
    post.submit_for_review()
    post.approve(by=doctor, via="login")
    if schedule:
        post.schedule(at=timezone.now() + timedelta(days=2))
    return post


def editor_data(post, **changes):
    content = content_of(post)
    data = form_data(post.practice, caption=content.caption, targets=content.targets)
    data["version"] = post.version
    data["photos"] = [asset.pk for asset in content.photos]
    for i, asset in enumerate(content.photos):
        data[f"position_{asset.pk}"] = str(i + 1)
        data[f"alt_{asset.pk}"] = content.alt_texts.get(asset.pk, "")
        data[f"to_{asset.pk}"] = [
            a.platform
            for a in content.targets
            if a.platform not in content.photo_choices
            or asset.pk in content.photo_choices[a.platform]
        ]
    for platform, text in content.overrides.items():
        data[f"override_{platform}"] = text
    if post.scheduled_at:
        local = post.practice.local(post.scheduled_at)
        data["date"] = local.date().isoformat()
        data["time"] = local.strftime("%H:%M")
    data.update(changes)
    return data
