"""PlanSubmission.staged_dropped_at: when a file that was not accepted had its staged features dropped."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0011_submission_own_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="plansubmission",
            name="staged_dropped_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="staged features dropped"),
        ),
    ]
