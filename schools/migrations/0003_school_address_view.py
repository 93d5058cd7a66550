"""The view schools_schooladdress (schools.models.SchoolAddress), and change counters on the aggregates.

The view finds each school's registered address in SQL: same postcode, street ("Str." read as "Straße") and
house number (within a range such as "21-25"; a letter suffix must match), else the nearest address within
20 m of the school's point. Both lookups use the address table's indexes (postcode and street; GiST), so the
view costs two index lookups per school whatever the size of the address register.

Change counters (layers/migrations/0002_data_version.py): the derived tables and the connection records get the
statement triggers, so the OGC collections, tiles and counts over them are cached exactly like the others
(ogc/response_cache.py, ogc/tiles). The view's own counter is bumped by any write to the two tables it reads
(addresses and schools), through ``data_version_bump_as(name)``, the bump function with the name as argument.
The measurements themselves get none: nothing reads them that is cached.
"""

from django.db import migrations

VIEW = r"""
CREATE VIEW schools_schooladdress AS
WITH parsed AS (
    SELECT s.id, s.postcode, s.geom,
           regexp_replace(
               regexp_replace(btrim(substring(s.street FROM '^(.*?)\s+\d')), '([Ss])tr\.$', '\1traße'),
               '([Ss])trasse$', '\1traße'
           ) AS street_name,
           substring(s.street FROM '\s(\d{1,6})')::integer AS first_number,
           COALESCE(substring(s.street FROM '\s\d{1,6}\s*-\s*(\d{1,6})'),
                    substring(s.street FROM '\s(\d{1,6})'))::integer AS last_number,
           lower(substring(s.street FROM '\s\d{1,6}\s?([A-Za-z])\s*$')) AS suffix
    FROM schools_school s
)
SELECT p.id AS school_id, m.address_id, m.match, m.distance_m
FROM parsed p
CROSS JOIN LATERAL (
    SELECT c.address_id, c.match, c.distance_m FROM (
        (SELECT a.id AS address_id, 'address'::varchar(8) AS match, ST_Distance(a.geom, p.geom) AS distance_m,
                0 AS preference
         FROM layers_address a
         WHERE a.postcode = p.postcode AND a.street = p.street_name
           AND a.house_number BETWEEN p.first_number AND p.last_number
           AND (p.suffix IS NULL OR a.house_number_suffix = p.suffix)
         ORDER BY a.house_number, a.house_number_suffix
         LIMIT 1)
        UNION ALL
        (SELECT a.id, 'nearby'::varchar(8), ST_Distance(a.geom, p.geom), 1
         FROM layers_address a
         WHERE ST_DWithin(a.geom, p.geom, 20)
         ORDER BY a.geom <-> p.geom
         LIMIT 1)
    ) c
    ORDER BY c.preference
    LIMIT 1
) m
"""

TABLES = (
    "schools_measurementaggregate",
    "schools_measuredsummary",
    "schools_schoolconnection",
    "schools_schoolconnectionchange",
)
VIEW_INPUTS = ("layers_address", "schools_school")
BUMP_AS = """CREATE FUNCTION data_version_bump_as() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO data_version (table_name, version, changed_at)
        VALUES (TG_ARGV[0], nextval('data_version_seq'), clock_timestamp())
        ON CONFLICT (table_name) DO UPDATE
        SET version = EXCLUDED.version, changed_at = greatest(data_version.changed_at, EXCLUDED.changed_at);
        PERFORM pg_notify('data_version', TG_ARGV[0]);
        RETURN NULL;
    END $$"""

FORWARD = (
    [
        VIEW,
        BUMP_AS,
        "INSERT INTO data_version (table_name, version) VALUES ('schools_schooladdress', nextval('data_version_seq'))",
    ]
    + [f"INSERT INTO data_version (table_name, version) VALUES ('{t}', nextval('data_version_seq'))" for t in TABLES]
    + [
        f"""CREATE TRIGGER {t}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t}
        FOR EACH STATEMENT EXECUTE FUNCTION data_version_bump()"""
        for t in TABLES
    ]
    + [
        f"""CREATE TRIGGER {t}_schooladdress_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t}
        FOR EACH STATEMENT EXECUTE FUNCTION data_version_bump_as('schools_schooladdress')"""
        for t in VIEW_INPUTS
    ]
)
BACKWARD = (
    [f"DROP TRIGGER {t}_schooladdress_version ON {t}" for t in VIEW_INPUTS]
    + [f"DROP TRIGGER {t}_data_version ON {t}" for t in TABLES]
    + [f"DELETE FROM data_version WHERE table_name = '{t}'" for t in (*TABLES, "schools_schooladdress")]
    + ["DROP FUNCTION data_version_bump_as()", "DROP VIEW schools_schooladdress"]
)


class Migration(migrations.Migration):
    dependencies = [("schools", "0002_connectivity"), ("layers", "0004_data_version_changed_at")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
