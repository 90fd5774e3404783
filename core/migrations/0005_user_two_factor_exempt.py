from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agency", "0004_audit_truncate_trigger"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="two_factor_exempt",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="A demo account that may sign in without two factors (never in production).",
            ),
        ),
    ]
