from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0002_share_requests"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="inboxitem",
            index=models.Index(
                condition=models.Q(("state__in", ["new", "needs_reply"])),
                fields=["-complaint", "-posted_at", "-id"],
                include=("practice", "deleted_at"),
                name="inbox_open_order",
            ),
        ),
    ]
