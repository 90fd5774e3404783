"""The calendar feed's secret address: every existing practice gets its own token."""

import secrets

from django.db import migrations, models

import practices.models


def give_tokens(apps, schema_editor):
    Practice = apps.get_model("practices", "Practice")
    for practice in Practice.objects.filter(calendar_token__isnull=True).only("pk"):
        practice.calendar_token = secrets.token_urlsafe(24)
        practice.save(update_fields=["calendar_token"])


class Migration(migrations.Migration):
    dependencies = [("practices", "0004_practice_contact_details")]

    operations = [
        migrations.AddField(
            model_name="practice",
            name="calendar_token",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(give_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="practice",
            name="calendar_token",
            field=models.CharField(
                default=practices.models.new_tip_link_token, max_length=64, unique=True
            ),
        ),
        migrations.AddField(
            model_name="practice",
            name="calendar_rotated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
