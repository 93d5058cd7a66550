"""PlanSubmission.own_table: a large plan is staged in a table of its own that becomes its version's partition.

rollout.staging COPYs a large plan's validated features into ``rollout_planarea_s<submission id>`` (shaped like a
partition of rollout_planarea) instead of the shared staging table; accepting it attaches that table as the
version's partition, so the rows are written once instead of twice. The trigger below drops such a table with
its submission (Django's cascade only knows the shared staging table); an accepted submission's table has
become its version's partition under another name and is not touched.
"""

from django.db import migrations, models

FORWARD = [
    """
    CREATE FUNCTION rollout_plansubmission_own_table_drop() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        EXECUTE format('DROP TABLE IF EXISTS %I', 'rollout_planarea_s' || OLD.id);
        RETURN NULL;
    END $$
    """,
    """CREATE TRIGGER rollout_plansubmission_own_table_drop AFTER DELETE ON rollout_plansubmission
       FOR EACH ROW WHEN (OLD.own_table) EXECUTE FUNCTION rollout_plansubmission_own_table_drop()""",
]
BACKWARD = [
    "DROP TRIGGER rollout_plansubmission_own_table_drop ON rollout_plansubmission",
    "DROP FUNCTION rollout_plansubmission_own_table_drop()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0010_planarea_partitioned_by_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="plansubmission",
            name="own_table",
            field=models.BooleanField(default=False, verbose_name="staged in a table of its own"),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
