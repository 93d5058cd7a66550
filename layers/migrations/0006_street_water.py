"""Streets and water bodies: the context layers of the maps (layers.models.Street, Water).

Both tables get change counters like every table the OGC API and tiles read (0002_data_version), so
their collections and tiles are cached exactly. Water holds MultiPolygons or MultiLineStrings only:
a check in the database, since a generic geometry column would take points too.
"""

import django.contrib.gis.db.models.fields
import django.db.models.deletion
from django.db import migrations, models

TABLES = ("layers_street", "layers_water")

FORWARD = (
    [f"INSERT INTO data_version (table_name, version) VALUES ('{t}', nextval('data_version_seq'))" for t in TABLES]
    + [
        f"""CREATE TRIGGER {t}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t}
        FOR EACH STATEMENT EXECUTE FUNCTION data_version_bump()"""
        for t in TABLES
    ]
    + [
        "ALTER TABLE layers_water ADD CONSTRAINT water_polygons_or_lines "
        "CHECK (GeometryType(geom) IN ('MULTIPOLYGON', 'MULTILINESTRING'))"
    ]
)
BACKWARD = (
    ["ALTER TABLE layers_water DROP CONSTRAINT water_polygons_or_lines"]
    + [f"DROP TRIGGER {t}_data_version ON {t}" for t in TABLES]
    + [f"DELETE FROM data_version WHERE table_name = '{t}'" for t in TABLES]
)


class Migration(migrations.Migration):
    dependencies = [
        ("layers", "0005_tile_recipe"),
    ]

    operations = [
        migrations.CreateModel(
            name="Water",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(blank=True, default="", max_length=200, verbose_name="name")),
                (
                    "kind",
                    models.CharField(
                        choices=[("river", "River"), ("lake", "Lake"), ("canal", "Canal"), ("other", "Other water")],
                        default="other",
                        max_length=16,
                        verbose_name="kind",
                    ),
                ),
                ("geom", django.contrib.gis.db.models.fields.GeometryField(srid=25832, verbose_name="shape")),
                ("source", models.CharField(blank=True, max_length=300, verbose_name="source")),
                ("is_demo", models.BooleanField(default=False, verbose_name="demo data")),
            ],
            options={
                "verbose_name": "water body",
                "verbose_name_plural": "water bodies",
                "ordering": ["kind", "name"],
            },
        ),
        migrations.CreateModel(
            name="Street",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                ("postcode", models.CharField(blank=True, default="", max_length=5, verbose_name="postcode")),
                ("geom", django.contrib.gis.db.models.fields.MultiLineStringField(srid=25832, verbose_name="course")),
                ("source", models.CharField(blank=True, max_length=300, verbose_name="source")),
                ("is_demo", models.BooleanField(default=False, verbose_name="demo data")),
                (
                    "district",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="streets",
                        to="layers.district",
                        verbose_name="district",
                    ),
                ),
            ],
            options={
                "verbose_name": "street",
                "verbose_name_plural": "streets",
                "ordering": ["name", "postcode"],
                "indexes": [models.Index(fields=["postcode", "name"], name="street_postcode_name")],
                "constraints": [
                    models.UniqueConstraint(fields=("name", "postcode"), name="street_unique_name_postcode")
                ],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
