"""Where a cancelled post was cancelled from: whether the practice's doctors saw it.

Posts cancelled before this migration are known only by what they left: one
with publications had been scheduled, so its doctors saw it. The others stay
empty, shown to the agency only (the cautious reading of an unknown past).
"""

from django.db import migrations, models


def backfill(apps, schema_editor):
    Post = apps.get_model("posts", "Post")
    Publication = apps.get_model("posts", "Publication")
    Post.objects.filter(status="cancelled", pk__in=Publication.objects.values("post_id")).update(
        cancelled_from="scheduled"
    )


class Migration(migrations.Migration):
    dependencies = [("posts", "0005_ordering_without_joins")]

    operations = [
        migrations.AddField(
            model_name="post",
            name="cancelled_from",
            field=models.CharField(
                blank=True,
                choices=[
                    ("draft", "Draft"),
                    ("in_review", "In review"),
                    ("changes_requested", "Changes requested"),
                    ("approved", "Approved"),
                    ("scheduled", "Scheduled"),
                    ("publishing", "Publishing"),
                    ("published", "Published"),
                    ("partially_failed", "Partially failed"),
                    ("failed", "Failed"),
                    ("cancelled", "Cancelled"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
