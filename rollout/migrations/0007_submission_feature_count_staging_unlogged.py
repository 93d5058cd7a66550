"""PlanSubmission.feature_count; the staging table unlogged; pending submissions' JSON features staged.

Submissions received before the staging table kept their validated features only as JSON
(PlanSubmission.features); those still waiting for a decision are copied into the staging table
so they can be accepted as before.
"""

from django.db import migrations, models

AREA_COLUMNS = (
    ("key", "key", "text"),
    ("name", "name", "text"),
    ("stage", "stage", "text"),
    ("technology", "technology", "text"),
    ("max_down_mbits", "max_down_mbits", "integer"),
    ("max_up_mbits", "max_up_mbits", "integer"),
    ("expected_date", "expected_date", "date"),
    ("expected_precision", "expected_precision", "text"),
    ("quota_percent", "quota_percent", "smallint"),
    ("quota_deadline", "quota_deadline_date", "date"),
    ("cancel_reason", "cancel_reason", "text"),
    ("funding", "funding", "text"),
    ("subsidy_programme", "subsidy_programme", "text"),
    ("connection_fee_eur", "connection_fee_eur", "numeric"),
    ("target_group", "target_group", "text"),
)
BLANK_DEFAULT = {"name", "expected_precision", "cancel_reason", "subsidy_programme"}
columns = ", ".join(c for c, _, _ in AREA_COLUMNS)
values = ", ".join(
    f"COALESCE(f.value->>'{k}', '')" if c in BLANK_DEFAULT else f"(f.value->>'{k}')::{t}" for c, k, t in AREA_COLUMNS
)
STAGE_PENDING = f"""
    UPDATE rollout_plansubmission SET feature_count = jsonb_array_length(features)
    WHERE jsonb_typeof(features) = 'array';
    INSERT INTO rollout_planareastaging (submission_id, position, row, geom, addresses, {columns})
    SELECT s.id, f.n - 1, (f.value->>'row')::integer, ST_Multi(ST_GeomFromEWKT(f.value->>'geom')),
        CASE WHEN jsonb_typeof(f.value->'addresses') = 'array'
            THEN ARRAY(SELECT jsonb_array_elements_text(f.value->'addresses')::integer) END,
        {values}
    FROM rollout_plansubmission s CROSS JOIN LATERAL jsonb_array_elements(s.features) WITH ORDINALITY AS f(value, n)
    WHERE s.state = 'received' AND jsonb_typeof(s.features) = 'array';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0006_plan_area_staging"),
    ]

    operations = [
        migrations.AddField(
            model_name="plansubmission",
            name="feature_count",
            field=models.PositiveIntegerField(default=0, verbose_name="validated features"),
        ),
        migrations.RunSQL(
            "ALTER TABLE rollout_planareastaging SET UNLOGGED",
            reverse_sql="ALTER TABLE rollout_planareastaging SET LOGGED",
        ),
        migrations.RunSQL(STAGE_PENDING, reverse_sql="DELETE FROM rollout_planareastaging"),
    ]
