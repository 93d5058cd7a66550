"""When each watched table last changed, kept with its version: the Last-Modified of what is made from it.

``changed_at`` is set by the same statement-level trigger that bumps the version, to the clock at the
end of the writing statement (a write commits later, never earlier). It never goes back, even if the
server's clock does. Every process of the site reads the same time, so all of them send the same
Last-Modified for the same data, also after a restart (ogc/tiles/views.py, ogc/tiles/fast.py); before,
each process kept when it had first sent each URL.
"""

from django.db import migrations

BUMP = """CREATE OR REPLACE FUNCTION data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           INSERT INTO data_version (table_name, version{changed_column}) VALUES (TG_TABLE_NAME, nextval('data_version_seq'){changed_value})
           ON CONFLICT (table_name) DO UPDATE SET version = EXCLUDED.version{changed_update};
           PERFORM pg_notify('data_version', TG_TABLE_NAME);
           RETURN NULL;
       END $$"""

FORWARD = [
    "ALTER TABLE data_version ADD COLUMN changed_at timestamptz NOT NULL DEFAULT clock_timestamp()",
    BUMP.format(
        changed_column=", changed_at",
        changed_value=", clock_timestamp()",
        changed_update=", changed_at = greatest(data_version.changed_at, EXCLUDED.changed_at)",
    ),
]
BACKWARD = [
    BUMP.format(changed_column="", changed_value="", changed_update=""),
    "ALTER TABLE data_version DROP COLUMN changed_at",
]


class Migration(migrations.Migration):
    dependencies = [("layers", "0003_data_version_notify")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
