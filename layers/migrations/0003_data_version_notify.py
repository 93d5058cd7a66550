"""Data versions for caches across processes: notify on every bump, and a random epoch per database.

- ``pg_notify('data_version', <table>)`` in the trigger function: PostgreSQL delivers it at commit, so
  each process's watcher (geoportal/data_version.py) knows the committed versions without a query per
  request. Notifications of one transaction with the same payload are folded into one.
- The ``(epoch)`` row: a random number fixed when the database is made. Sequence values restart in a
  re-created database; with the epoch in every key, a persistent cache (the tile files) never serves
  what it kept for the old one.
"""

from django.db import migrations

FORWARD = [
    """CREATE OR REPLACE FUNCTION data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           INSERT INTO data_version (table_name, version) VALUES (TG_TABLE_NAME, nextval('data_version_seq'))
           ON CONFLICT (table_name) DO UPDATE SET version = EXCLUDED.version;
           PERFORM pg_notify('data_version', TG_TABLE_NAME);
           RETURN NULL;
       END $$""",
    "INSERT INTO data_version (table_name, version) VALUES ('(epoch)', floor(random() * 9e15)::bigint)",
]
BACKWARD = [
    """CREATE OR REPLACE FUNCTION data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           INSERT INTO data_version (table_name, version) VALUES (TG_TABLE_NAME, nextval('data_version_seq'))
           ON CONFLICT (table_name) DO UPDATE SET version = EXCLUDED.version;
           RETURN NULL;
       END $$""",
    "DELETE FROM data_version WHERE table_name = '(epoch)'",
]


class Migration(migrations.Migration):
    dependencies = [("layers", "0002_data_version")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
