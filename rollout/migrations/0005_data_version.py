"""Change counters (layers/migrations/0002_data_version.py) on the rollout tables the OGC collections read.

With them the public rollout collections (rollout-areas, availability, district-statistics) are
cached exactly like the layer collections (ogc/response_cache.py, numberMatched in ogc/providers.py):
any write, through a service, the admin or raw SQL, gives a new version.
"""

from django.db import migrations

TABLES = (
    "rollout_provider",
    "rollout_planversion",
    "rollout_planarea",
    "rollout_planarea_addresses",
    "rollout_availability",
)

FORWARD = [
    f"INSERT INTO data_version (table_name, version) VALUES ('{t}', nextval('data_version_seq'))" for t in TABLES
] + [
    f"""CREATE TRIGGER {t}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t}
    FOR EACH STATEMENT EXECUTE FUNCTION data_version_bump()"""
    for t in TABLES
]
BACKWARD = [f"DROP TRIGGER {t}_data_version ON {t}" for t in TABLES] + [
    f"DELETE FROM data_version WHERE table_name = '{t}'" for t in TABLES
]


class Migration(migrations.Migration):
    dependencies = [("rollout", "0004_provider_tokens"), ("layers", "0002_data_version")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
