"""The street index of the address search: one row per street and postcode, kept by PostgreSQL itself.

- ``layers_street_words(name)`` and ``layers_street_key(name)``: the compared forms of a street name,
  rendered from layers/search.py (``street_words_sql``; the text below is that function's output when this
  migration was written, and tests/layers/test_search.py fails when they differ). ``layers_slug(name)``:
  layers/naming.py's ``slug`` in SQL (the permalink lookup ``street_for_slug`` uses it).
- ``layers_street_index_refresh(streets, postcodes)`` recomputes the rows of the given streets from the
  addresses in one statement each (delete what has no address left, upsert the rest); statement-level
  triggers with transition tables call it after every INSERT (COPY included), UPDATE and DELETE on
  ``layers_address``, and TRUNCATE empties the index. ``layers_street_index_rebuild()`` recomputes all rows.
  A transaction-level advisory lock makes refreshes of concurrent transactions run one after the other, each
  on a fresh snapshot (READ COMMITTED), so two imports into one street cannot leave a stale count.
- ``fuzzystrmatch`` for levenshtein(): typing errors in a street name are ranked by edits.
"""

import django.contrib.gis.db.models.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
import django.db.models.functions.comparison
from django.contrib.postgres.operations import CreateExtension
from django.db import migrations, models

WORDS = r"""btrim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(lower(regexp_replace(replace(replace(normalize(name, NFKD), 'ß', 'ss'), 'ẞ', 'ss'), '[^\x01-\x7f]', '', 'g')), '([aou])e', '\1', 'g'), '[^a-z0-9]+', ' ', 'g'), 'str( |$)', 'strasse\1', 'g'), 'pl( |$)', 'platz\1', 'g'), '(^| )st( [a-z])', '\1sankt\2', 'g'), '(^| )doktor( |$)', '\1dr\2', 'g'), '(^| )professor( |$)', '\1prof\2', 'g'), ' +', ' ', 'g'))"""

SLUG = r"""btrim(regexp_replace(lower(regexp_replace(normalize(
    replace(replace(replace(replace(replace(replace(replace(replace(name,
        'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'Ä', 'Ae'), 'Ö', 'Oe'), 'Ü', 'Ue'), 'ß', 'ss'), 'ẞ', 'SS'),
    NFKD), '[^\x01-\x7f]', '', 'g')), '[^a-z0-9]+', '-', 'g'), '-')"""

FUNCTIONS = [
    f"""CREATE FUNCTION layers_street_words(name text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT {WORDS} $$""",
    """CREATE FUNCTION layers_street_key(name text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT replace(layers_street_words(name), ' ', '') $$""",
    f"""CREATE FUNCTION layers_slug(name text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT {SLUG} $$""",
]
FUNCTIONS_DROP = [
    "DROP FUNCTION layers_slug(text)",
    "DROP FUNCTION layers_street_key(text)",
    "DROP FUNCTION layers_street_words(text)",
]

# The rows of the given streets (or of all), computed from the addresses. ``district``: the district most of
# the street's addresses lie in; ``centre``: the address nearest to the centroid of all, so it lies on the
# street even where the street bends.
ROWS = """
    SELECT a.street, a.postcode, layers_street_words(a.street), layers_street_key(a.street), layers_slug(a.street),
           mode() WITHIN GROUP (ORDER BY a.district_id), count(*), sum(a.homes),
           ST_ClosestPoint(ST_Collect(a.geom), ST_Centroid(ST_Collect(a.geom)))
    FROM layers_address AS a {join}
    GROUP BY a.street, a.postcode
"""
UPSERT = """
    INSERT INTO layers_streetindex (name, postcode, words, key, slug, district_id, addresses, homes, centre)
    {rows}
    ON CONFLICT (name, postcode) DO UPDATE SET
        words = EXCLUDED.words, key = EXCLUDED.key, slug = EXCLUDED.slug, district_id = EXCLUDED.district_id,
        addresses = EXCLUDED.addresses, homes = EXCLUDED.homes, centre = EXCLUDED.centre
    WHERE (layers_streetindex.words, layers_streetindex.key, layers_streetindex.slug,
           layers_streetindex.district_id, layers_streetindex.addresses, layers_streetindex.homes,
           ST_AsBinary(layers_streetindex.centre))
          IS DISTINCT FROM
          (EXCLUDED.words, EXCLUDED.key, EXCLUDED.slug, EXCLUDED.district_id, EXCLUDED.addresses, EXCLUDED.homes,
           ST_AsBinary(EXCLUDED.centre))
"""
KEYS = "(SELECT DISTINCT k.street, k.postcode FROM unnest(streets, postcodes) AS k(street, postcode))"
LOCK = "PERFORM pg_advisory_xact_lock(hashtext('layers_streetindex'))"

MAINTENANCE = [
    f"""CREATE FUNCTION layers_street_index_refresh(streets text[], postcodes text[]) RETURNS void
        LANGUAGE plpgsql AS $$
        BEGIN
            IF coalesce(cardinality(streets), 0) = 0 THEN
                RETURN;
            END IF;
            {LOCK};
            DELETE FROM layers_streetindex AS s USING {KEYS} AS k
            WHERE s.name = k.street AND s.postcode = k.postcode
              AND NOT EXISTS (SELECT 1 FROM layers_address AS a WHERE a.street = k.street AND a.postcode = k.postcode);
            {UPSERT.format(rows=ROWS.format(join=f"JOIN {KEYS} AS k ON a.street = k.street AND a.postcode = k.postcode"))};
        END $$""",
    f"""CREATE FUNCTION layers_street_index_rebuild() RETURNS void
        LANGUAGE plpgsql AS $$
        BEGIN
            {LOCK};
            DELETE FROM layers_streetindex AS s
            WHERE NOT EXISTS (SELECT 1 FROM layers_address AS a WHERE a.street = s.name AND a.postcode = s.postcode);
            {UPSERT.format(rows=ROWS.format(join=""))};
        END $$""",
    # One function per kind of statement: transition tables are named by the trigger that passes them.
    """CREATE FUNCTION layers_address_street_index_changed() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           PERFORM layers_street_index_refresh(array_agg(street), array_agg(postcode))
           FROM (SELECT DISTINCT street, postcode FROM changed) AS k;
           RETURN NULL;
       END $$""",
    """CREATE FUNCTION layers_address_street_index_updated() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           PERFORM layers_street_index_refresh(array_agg(street), array_agg(postcode))
           FROM (SELECT street, postcode FROM old_rows UNION SELECT street, postcode FROM new_rows) AS k;
           RETURN NULL;
       END $$""",
    """CREATE FUNCTION layers_address_street_index_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           DELETE FROM layers_streetindex;
           RETURN NULL;
       END $$""",
    """CREATE TRIGGER layers_address_street_index_insert AFTER INSERT ON layers_address
       REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION layers_address_street_index_changed()""",
    """CREATE TRIGGER layers_address_street_index_delete AFTER DELETE ON layers_address
       REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION layers_address_street_index_changed()""",
    """CREATE TRIGGER layers_address_street_index_update AFTER UPDATE ON layers_address
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION layers_address_street_index_updated()""",
    """CREATE TRIGGER layers_address_street_index_truncate AFTER TRUNCATE ON layers_address
       FOR EACH STATEMENT EXECUTE FUNCTION layers_address_street_index_truncated()""",
    # The addresses already stored: derived rows, computed in the database (no data in this file).
    "SELECT layers_street_index_rebuild()",
]
MAINTENANCE_DROP = [
    "DROP TRIGGER layers_address_street_index_truncate ON layers_address",
    "DROP TRIGGER layers_address_street_index_update ON layers_address",
    "DROP TRIGGER layers_address_street_index_delete ON layers_address",
    "DROP TRIGGER layers_address_street_index_insert ON layers_address",
    "DROP FUNCTION layers_address_street_index_truncated()",
    "DROP FUNCTION layers_address_street_index_updated()",
    "DROP FUNCTION layers_address_street_index_changed()",
    "DROP FUNCTION layers_street_index_rebuild()",
    "DROP FUNCTION layers_street_index_refresh(text[], text[])",
]


class Migration(migrations.Migration):
    dependencies = [("layers", "0006_street_water")]

    operations = [
        CreateExtension("fuzzystrmatch"),
        migrations.RunSQL(FUNCTIONS, FUNCTIONS_DROP),
        migrations.CreateModel(
            name="StreetIndex",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, verbose_name="street")),
                ("postcode", models.CharField(max_length=5, verbose_name="postcode")),
                ("words", models.TextField(verbose_name="compared words")),
                ("key", models.TextField(verbose_name="compared key")),
                ("slug", models.TextField(verbose_name="slug")),
                ("addresses", models.PositiveIntegerField(verbose_name="addresses")),
                ("homes", models.PositiveIntegerField(verbose_name="homes")),
                ("centre", django.contrib.gis.db.models.fields.PointField(srid=25832, verbose_name="centre")),
                (
                    "district",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="layers.district",
                        verbose_name="district",
                    ),
                ),
            ],
            options={
                "verbose_name": "street index entry",
                "verbose_name_plural": "street index",
                "ordering": ["name", "postcode"],
                "indexes": [
                    models.Index(fields=["postcode", "slug"], name="streetindex_slug"),
                    models.Index(
                        django.db.models.functions.comparison.Collate("key", "C"), name="streetindex_key_prefix"
                    ),
                    models.Index(
                        django.db.models.functions.comparison.Collate("words", "C"), name="streetindex_words_prefix"
                    ),
                    django.contrib.postgres.indexes.GinIndex(
                        fields=["key"], name="streetindex_key_trgm", opclasses=["gin_trgm_ops"]
                    ),
                    django.contrib.postgres.indexes.GistIndex(
                        fields=["words"], name="streetindex_words_trgm", opclasses=["gist_trgm_ops(siglen=256)"]
                    ),
                ],
                "constraints": [models.UniqueConstraint(fields=("name", "postcode"), name="streetindex_unique_street")],
            },
        ),
        migrations.RunSQL(MAINTENANCE, MAINTENANCE_DROP),
    ]
