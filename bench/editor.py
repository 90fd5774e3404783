"""How fast the post editor's live checks answer, on the demo data.

    python scripts/services.py -- python bench/editor.py

Sets up its own database (rounds_bench_editor, dropped and made again) with
`manage.py demo_data`, signs in as the demo strategist and, for the demo post
with the most targets and photos, posts the editor's form to the checks
partial (previews, counters, publishability, compliance) as htmx does while a
strategist types, changing the caption each time. In-process through Django's
test client on real PostgreSQL: the figure is the server's time per refresh,
without the browser or the network. Also times the editor page itself.
Prints plain name=value lines:

- checks_p50_ms, checks_p95_ms: one refresh of the previews and checks
- page_p50_ms: the whole editor page

(Their query counts are asserted in tests/posts/authoring/.)

Target: a refresh well under 100 ms.

Environment: BENCH_ROUNDS (200).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import django_on_fresh_database  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))
DB_NAME = "rounds_bench_editor"


def main() -> int:
    django_on_fresh_database(DB_NAME)
    import io

    from django.core.management import call_command
    from django.test import Client

    from core.models import User
    from posts.content import content_of
    from posts.models import Post

    call_command("demo_data", stdout=io.StringIO())
    strategist = User.objects.get(username="sam")
    post = max(
        Post.objects.filter(practice__assignments__strategist=strategist),
        key=lambda p: (p.targets.count(), p.postmedia_set.count()),
    )
    content = content_of(post)
    data: dict[str, object] = {
        "post": post.pk,
        "practice": post.practice.slug,
        "caption": content.caption,
        "targets": [account.pk for account in content.targets],
        "photos": [asset.pk for asset in content.photos],
        "photo_platforms_shown": "1",
        "version": post.version,
    }
    for i, asset in enumerate(content.photos):
        data[f"position_{asset.pk}"] = str(i + 1)
        data[f"alt_{asset.pk}"] = asset.alt_text
        data[f"to_{asset.pk}"] = [account.platform for account in content.targets]

    client = Client()
    client.force_login(strategist)
    print(f"post_targets={len(content.targets)}")
    print(f"post_photos={len(content.photos)}")
    client.post("/posts/checks/", data)  # warm: templates, the session
    timings = []
    for i in range(ROUNDS):
        data["caption"] = f"{content.caption} {i}"  # as if typing
        started = time.perf_counter()
        response = client.post("/posts/checks/", data)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    pages = []
    for _ in range(max(ROUNDS // 10, 5)):
        started = time.perf_counter()
        response = client.get(f"/posts/{post.pk}/edit/")
        pages.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    timings.sort()
    print(f"rounds={ROUNDS}")
    print(f"checks_p50_ms={statistics.median(timings):.1f}")
    print(f"checks_p95_ms={timings[int(len(timings) * 0.95) - 1]:.1f}")
    print(f"page_p50_ms={statistics.median(pages):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
