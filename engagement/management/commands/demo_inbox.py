"""The demo's inbox for the first practice (demo_data calls this).

With the sandbox platforms running (make run: SANDBOX_URL), the inbox is what
the sandbox has produced, fetched now by the same sync the workers run every
few minutes. Without them (the tests' demo), a few comments, a mention and
Google reviews are written as rows, among them a one-star review to answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from engagement import sync
from engagement.complaints import is_complaint
from engagement.models import InboxItem, SavedReply
from posts.models import Publication
from practices.models import Practice, SocialAccount

# (platform, kind, stars, who, text, hours ago)
ITEMS = [
    (
        "google_business",
        "review",
        1,
        "Pat Q.",
        "Waited two hours for my appointment and the front desk was rude.",
        3,
    ),
    ("google_business", "review", 5, "Sam R.", "Kind nurses and a spotless office.", 30),
    ("google_business", "review", 4, "Alex M.", "", 50),
    ("facebook", "comment", None, "Jordan K.", "Congratulations to the whole team!", 6),
    ("instagram", "comment", None, "jo.runs", "Do you take new patients in January? 😊", 9),
    ("x", "mention", None, "@healthwatch", "Nice to see @LakesideFertility at the fair!", 20),
]


class Command(BaseCommand):
    help = "Adds the demo's inbox (comments, a mention, reviews) to the first practice."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo data is for laptops and demos, never production")
        practice = Practice.objects.order_by("pk").first()
        if practice is None or InboxItem.objects.filter(practice=practice).exists():
            self.stdout.write("Demo inbox already present (or no practice).")
            return
        if settings.SANDBOX_URL:
            found = 0
            for connected in SocialAccount.objects.filter(practice=practice):
                found += len(sync.sync_account(connected).new)
            self.stdout.write(f"Demo inbox fetched from the sandbox: {found} items.")
            return
        now = timezone.now()
        accounts = {a.platform: a for a in SocialAccount.objects.filter(practice=practice)}
        with transaction.atomic():
            for n, (platform, kind, stars, who, text, hours) in enumerate(ITEMS):
                if platform not in accounts:
                    continue
                account = accounts[platform]
                publication = (
                    Publication.objects.filter(account=account, status=Publication.Status.PUBLISHED)
                    .order_by("-published_at")
                    .first()
                    if kind == "comment"
                    else None
                )
                InboxItem.objects.create(
                    practice=practice,
                    account=account,
                    kind=kind,
                    external_id=f"demo-{platform}-{n}",
                    publication=publication,
                    post_external_id=publication.platform_post_id if publication else "",
                    author_name=who,
                    text=text,
                    rating=stars,
                    posted_at=now - timedelta(hours=hours),
                    complaint=is_complaint(text, rating=stars),
                )
            SavedReply.objects.create(
                practice=practice,
                title="Thanks for the kind words",
                text="Thank you for the kind words! We'll share them with the team.",
            )
        self.stdout.write("Demo inbox loaded.")
