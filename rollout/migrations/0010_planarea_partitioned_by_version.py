"""rollout_planarea partitioned by version (LIST on version_id), so a large accepted plan gets a table of its own.

Why: accepting a 100,000-area plan inserted every row into the one table shared by all versions, keeping its
GiST and two B-tree indexes up to date row by row (~0.9 s). Now rollout.staging.staged_areas_accept fills a
new table for a large version, builds its indexes in bulk and attaches it as the version's partition (~0.4 s).
Areas of small versions (and everything inserted through the ORM: tests, demo data, the admin) land in the
default partition ``rollout_planarea_default``. Nothing else changes for readers: Django, the selectors and
raw SQL read the parent table ``rollout_planarea`` as before.

What PostgreSQL asks of a partitioned table, and what this migration does about it:
- Unique constraints must hold the partition key: the primary key is (id, version_id) (ids still come from
  one identity sequence; Django keeps using ``id`` alone), ``planarea_unique_key`` (version_id, key) as before.
- A foreign key can only refer to such a unique constraint. rollout_availability already has the version:
  its area reference becomes the composite FOREIGN KEY (area_id, version_id) → (id, version_id), which also
  checks that an availability row's version is its area's. The many-to-many table rollout_planarea_addresses
  has no version column: its reference to the area is checked by statement-level triggers (as migration 0009
  does for the version): inserted or updated links must name an existing area, deleted or updated areas must
  not leave links behind. Like 0009's, these do not see a bare TRUNCATE of rollout_planarea.
  Django's state still describes the links' database foreign key (a field of the automatic through model);
  a later migration that alters PlanArea.id must drop these triggers first.
- Statement-level triggers (data version, 0009's version check) stay on the parent; they do not fire when a
  partition is attached, so staged_areas_accept fires them itself.
"""

import django.db.models.deletion
from django.db import migrations, models

AREA = "rollout_planarea"
LINKS = "rollout_planarea_addresses"

_TRIGGERS = [
    f"""CREATE TRIGGER {AREA}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {AREA}
        FOR EACH STATEMENT EXECUTE FUNCTION data_version_bump()""",
    f"""CREATE TRIGGER {AREA}_version_insert AFTER INSERT ON {AREA}
       REFERENCING NEW TABLE AS rollout_planarea_changed
       FOR EACH STATEMENT EXECUTE FUNCTION rollout_planarea_version_check()""",
    f"""CREATE TRIGGER {AREA}_version_update AFTER UPDATE ON {AREA}
       REFERENCING NEW TABLE AS rollout_planarea_changed
       FOR EACH STATEMENT EXECUTE FUNCTION rollout_planarea_version_check()""",
]

# Drop every foreign key that refers to rollout_planarea (Django's names carry hashes).
_DROP_REFERENCES = f"""
DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
             WHERE contype = 'f' AND confrelid = '{AREA}'::regclass LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
    END LOOP;
END $$
"""


def _rebuild(partitioned: bool) -> list[str]:
    """Statements that copy rollout_planarea into a new (partitioned or plain) table of the same name."""
    old = f"{AREA}_old"
    partition = " PARTITION BY LIST (version_id)" if partitioned else ""
    statements = [
        _DROP_REFERENCES,
        f"ALTER TABLE {AREA} RENAME TO {old}",
        f"""CREATE TABLE {AREA} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE
            INCLUDING IDENTITY){partition}""",
    ]
    if partitioned:
        statements.append(f"CREATE TABLE {AREA}_default PARTITION OF {AREA} DEFAULT")
    statements += [
        f"INSERT INTO {AREA} OVERRIDING SYSTEM VALUE SELECT * FROM {old}",
        # Ids are never reused, even those of deleted areas.
        f"""SELECT setval(pg_get_serial_sequence('{AREA}', 'id'),
                greatest((SELECT last_value FROM {AREA}_id_seq), (SELECT coalesce(max(id), 1) FROM {AREA})))""",
        # Its triggers, indexes and identity sequence go with it.
        f"DROP TABLE {old}",
        f"""DO $$ BEGIN
            EXECUTE format('ALTER SEQUENCE %s RENAME TO {AREA}_id_seq', pg_get_serial_sequence('{AREA}', 'id'));
        END $$""",
        f"ALTER TABLE {AREA} ADD CONSTRAINT {AREA}_pkey PRIMARY KEY " + ("(id, version_id)" if partitioned else "(id)"),
        f"ALTER TABLE {AREA} ADD CONSTRAINT planarea_unique_key UNIQUE (version_id, key)",
        f"CREATE INDEX {AREA}_geom_0dd6917e_id ON {AREA} USING gist (geom)",
        *_TRIGGERS,
    ]
    return statements


FORWARD = [
    *_rebuild(partitioned=True),
    f"""ALTER TABLE rollout_availability ADD CONSTRAINT availability_area_of_version
        FOREIGN KEY (area_id, version_id) REFERENCES {AREA} (id, version_id) DEFERRABLE INITIALLY DEFERRED""",
    f"""
    CREATE FUNCTION rollout_planarea_addresses_area_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT FROM rollout_planarea_addresses_changed n
                   WHERE NOT EXISTS (SELECT FROM {AREA} a WHERE a.id = n.planarea_id)) THEN
            RAISE foreign_key_violation
                USING MESSAGE = '{LINKS}.planarea_id refers to a plan area that does not exist';
        END IF;
        RETURN NULL;
    END $$
    """,
    f"""CREATE TRIGGER {LINKS}_area_insert AFTER INSERT ON {LINKS}
       REFERENCING NEW TABLE AS rollout_planarea_addresses_changed
       FOR EACH STATEMENT EXECUTE FUNCTION rollout_planarea_addresses_area_check()""",
    f"""CREATE TRIGGER {LINKS}_area_update AFTER UPDATE ON {LINKS}
       REFERENCING NEW TABLE AS rollout_planarea_addresses_changed
       FOR EACH STATEMENT EXECUTE FUNCTION rollout_planarea_addresses_area_check()""",
    f"""
    CREATE FUNCTION rollout_planarea_links_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT FROM rollout_planarea_gone o JOIN {LINKS} t ON t.planarea_id = o.id
                   WHERE NOT EXISTS (SELECT FROM {AREA} a WHERE a.id = o.id)) THEN
            RAISE foreign_key_violation
                USING MESSAGE = 'a plan area that still has address links cannot be deleted (delete its links first)';
        END IF;
        RETURN NULL;
    END $$
    """,
    f"""CREATE TRIGGER {AREA}_links_delete AFTER DELETE ON {AREA}
       REFERENCING OLD TABLE AS rollout_planarea_gone
       FOR EACH STATEMENT EXECUTE FUNCTION rollout_planarea_links_check()""",
    f"""CREATE TRIGGER {AREA}_links_update AFTER UPDATE ON {AREA}
       REFERENCING OLD TABLE AS rollout_planarea_gone
       FOR EACH STATEMENT EXECUTE FUNCTION rollout_planarea_links_check()""",
]

BACKWARD = [
    f"DROP TRIGGER {LINKS}_area_update ON {LINKS}",
    f"DROP TRIGGER {LINKS}_area_insert ON {LINKS}",
    "DROP FUNCTION rollout_planarea_addresses_area_check()",
    # The links triggers and the composite foreign key go with the partitioned table.
    *_rebuild(partitioned=False),
    "DROP FUNCTION rollout_planarea_links_check()",
    f"""ALTER TABLE rollout_availability ADD CONSTRAINT rollout_availability_area_id_37a3e430_fk_rollout_planarea_id
        FOREIGN KEY (area_id) REFERENCES {AREA} (id) DEFERRABLE INITIALLY DEFERRED""",
    f"""ALTER TABLE {LINKS} ADD CONSTRAINT rollout_planarea_add_planarea_id_50c75a34_fk_rollout_p
        FOREIGN KEY (planarea_id) REFERENCES {AREA} (id) DEFERRABLE INITIALLY DEFERRED""",
]


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0009_planarea_version_check_per_statement"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            # The composite foreign key above replaces the one Django made for Availability.area.
            state_operations=[
                migrations.AlterField(
                    model_name="availability",
                    name="area",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="rollout.planarea",
                    ),
                ),
            ],
        ),
    ]
