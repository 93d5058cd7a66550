"""The validated features of a received submission, kept in a staging table until the submission is decided.

``features_stage`` COPYs them into PlanAreaStaging (COPY text built by column from
rollout.features.PlanFeatures); rollout.diff.staged_diff compares them with the current version in SQL;
``staged_areas_accept`` moves them into PlanArea and its address links with two INSERT … SELECT
statements; ``features_staged`` reads them back as feature dicts (geometry as EWKT in EPSG:25832) for
the pages of large files.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import psycopg
from django.db import connection

from layers.models import SRID
from rollout.features import PlanFeatures
from rollout.models import PlanArea, PlanAreaStaging, PlanSubmission

# (staging/area column, feature key) of the attributes copied from a validated feature.
COLUMNS = (
    ("key", "key"),
    ("name", "name"),
    ("stage", "stage"),
    ("technology", "technology"),
    ("max_down_mbits", "max_down_mbits"),
    ("max_up_mbits", "max_up_mbits"),
    ("expected_date", "expected_date"),
    ("expected_precision", "expected_precision"),
    ("quota_percent", "quota_percent"),
    ("quota_deadline", "quota_deadline_date"),
    ("cancel_reason", "cancel_reason"),
    ("funding", "funding"),
    ("subsidy_programme", "subsidy_programme"),
    ("connection_fee_eur", "connection_fee_eur"),
    ("target_group", "target_group"),
)
# NOT NULL text columns whose feature value may be missing.
_BLANK_DEFAULT = frozenset({"name", "expected_precision", "cancel_reason", "subsidy_programme"})
_STAGING = PlanAreaStaging._meta.db_table


def features_stage(*, submission: PlanSubmission, features: PlanFeatures) -> None:
    """COPY the validated ``features`` into the staging table, in their order (within the caller's transaction).

    The COPY text is built by column: each attribute combination is formatted once, and a row is one
    join of its per-feature fields with its combination's text.
    """
    names = ", ".join(c for c, _ in COLUMNS[2:])
    sql = f"COPY {_STAGING} (submission_id, position, row, geom, addresses, key, name, {names}) FROM STDIN"
    combinations = np.array([_attributes_text(a) for a in features.attributes] or [""], dtype=object)
    size = len(features)
    columns = (
        itertools.repeat(str(submission.pk), size),
        map(str, range(size)),
        _nullable(features.rows, str),
        _nullable(features.geoms),
        _nullable(features.addresses, lambda a: "{" + ",".join(map(str, a)) + "}"),
        _escaped(features.keys),
        _escaped(features.names),
        combinations[features.codes].tolist(),
    )
    lines = map("\t".join, zip(*columns, strict=True))
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor, cursor.copy(sql) as copy:
        while chunk := list(itertools.islice(lines, _COPY_CHUNK)):
            copy.write("\n".join(chunk) + "\n")


_COPY_CHUNK = 20000  # rows per write
# COPY's text format: backslash escapes for these characters, \N for NULL.
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _nullable(values: list, text: Callable[[Any], str] | None = None) -> Iterable[str]:
    """COPY text of a column: ``text(value)`` (the value itself when ``text`` is None), \\N for None."""
    if None not in values:
        return values if text is None else map(text, values)
    if values.count(None) == len(values):
        return itertools.repeat("\\N", len(values))
    return ("\\N" if v is None else v if text is None else text(v) for v in values)


def _escaped(values: list[str]) -> list[str]:
    joined = "".join(values)
    if any(c in joined for c in "\\\t\n\r"):
        return [v.translate(_ESCAPE) for v in values]
    return values


def _attributes_text(attributes: dict) -> str:
    """One attribute combination as the tab-separated COPY fields of COLUMNS[2:]."""
    fields = []
    for column, key in COLUMNS[2:]:
        value = attributes.get(key)
        if value is None:
            fields.append("" if column in _BLANK_DEFAULT else "\\N")
        else:
            fields.append(str(value).translate(_ESCAPE))
    return "\t".join(fields)


def features_staged(*, submission: PlanSubmission, keys: Iterable[str] | None = None) -> list[dict]:
    """The submission's staged features in their order (only those with ``keys`` when given)."""
    rows = PlanAreaStaging.objects.filter(submission=submission).order_by("position")
    if keys is not None:
        rows = rows.filter(key__in=list(keys))
    features = []
    for area in rows:
        feature = {"row": area.row, "key": area.key}
        for column, key in COLUMNS[1:]:
            value = getattr(area, column)
            if column in {"expected_date", "quota_deadline"} and value is not None:
                value = value.isoformat()
            elif column == "connection_fee_eur" and value is not None:
                value = str(value)
            feature[key] = value
        if area.geom is not None:
            feature["geom"] = f"SRID={SRID};{area.geom.wkt}"
        if area.addresses is not None:
            feature["addresses"] = list(area.addresses)
        features.append(feature)
    return features


def feature_last_key(*, submission: PlanSubmission) -> str | None:
    """The key of the submission's last validated feature (a created area comes last in an edit's plan)."""
    if submission.features:
        return submission.features[-1]["key"]
    rows = PlanAreaStaging.objects.filter(submission=submission).order_by("-position")
    return rows.values_list("key", flat=True).first()


def diff_keys(diff: dict) -> set[str]:
    """The keys a submission's diff names as added or changed (the features its pages show)."""
    return (
        set(diff.get("added", []))
        | {c["key"] for c in diff.get("date_moved", [])}
        | {c["key"] for c in diff.get("stage_changed", [])}
        | set(diff.get("geometry_changed", []))
        | set(diff.get("addresses_added", {}))
        | set(diff.get("addresses_removed", {}))
    )


# A version with at least this many staged areas gets a partition of its own (see staged_areas_accept); smaller
# ones go into the default partition, which every ATTACH scans once (it holds only small versions' areas).
PARTITION_MIN_AREAS = 5000


def staged_areas_accept(*, submission: PlanSubmission, version_id: int) -> int:
    """Insert the submission's staged rows as the version's areas and address links.

    rollout_planarea is partitioned by version (migration 0010). A large plan's rows go into a new table
    whose indexes are then built in bulk, and the table is attached as the version's partition: inserting
    them into an indexed table updated its GiST and B-tree indexes row by row, twice as slow. Until it is
    attached (in this transaction) the table is no part of rollout_planarea, so nobody reads it and a
    rollback leaves nothing behind. Smaller plans are inserted with one INSERT … SELECT. Returns the number
    of areas inserted.
    """
    area, through = PlanArea._meta.db_table, PlanArea.addresses.through._meta.db_table
    columns = ", ".join(c for c, _ in COLUMNS)
    # The staged rows come in file order (ids follow it: the sequence is read after the sort).
    staged = f"SELECT %s, geom, {columns} FROM {_STAGING} WHERE submission_id = %s ORDER BY position"
    with connection.cursor() as cursor:
        # The sort of 100,000 rows with their geometries fits in memory with this (for this transaction
        # only; the default 4 MB spilled ~25 MB to disk).
        cursor.execute("SET LOCAL work_mem = '128MB'")
        if submission.feature_count >= PARTITION_MIN_AREAS:
            inserted = _partition_fill(cursor, version_id=version_id, staged=staged, submission_id=submission.pk)
        else:
            cursor.execute(f"INSERT INTO {area} (version_id, geom, {columns}) {staged}", [version_id, submission.pk])
            inserted = cursor.rowcount
        # Only address-list areas have links; the CTE keeps the planner from joining all new areas first
        # (their statistics are not there yet right after the INSERT above).
        cursor.execute(
            f"""WITH linked AS MATERIALIZED (
                    SELECT key, addresses FROM {_STAGING} WHERE submission_id = %s AND addresses IS NOT NULL)
                INSERT INTO {through} (planarea_id, address_id)
                SELECT DISTINCT ar.id, a.address_id
                FROM linked l JOIN {area} ar ON ar.version_id = %s AND ar.key = l.key
                CROSS JOIN LATERAL unnest(l.addresses) AS a(address_id)""",
            [submission.pk, version_id],
        )
    return inserted


def _partition_fill(cursor, *, version_id: int, staged: str, submission_id: int) -> int:
    """Fill a new table with the staged rows, index it in bulk and attach it as ``version_id``'s partition."""
    area = PlanArea._meta.db_table
    table = f"{area}_v{int(version_id)}"
    columns = ", ".join(c for c, _ in COLUMNS)
    # Same columns, defaults and CHECK constraints as the parent (ATTACH requires the constraints).
    cursor.execute(f"CREATE TABLE {table} (LIKE {area} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)")
    # Ids from the parent's identity sequence (the new table has none of its own), named once: as an
    # argument of nextval, pg_get_serial_sequence ran for every row (~0.25 s of catalogue lookups).
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')::regclass::oid", [area])
    sequence = int(cursor.fetchone()[0])
    cursor.execute(
        f"""INSERT INTO {table} (id, version_id, geom, {columns})
            SELECT nextval({sequence}::regclass), s.* FROM ({staged}) s""",
        [version_id, submission_id],
    )
    inserted = cursor.rowcount
    # The parent's unique constraints and index, built once; ATTACH adopts them instead of building its own.
    cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id, version_id), ADD UNIQUE (version_id, key)")
    cursor.execute(f"CREATE INDEX ON {table} USING gist (geom)")
    # Checks every row against the partition bound (version_id) and the default partition for rows of it.
    cursor.execute(f"ALTER TABLE {area} ATTACH PARTITION {table} FOR VALUES IN ({int(version_id)})")
    # ATTACH fires no INSERT trigger: a statement that touches no row fires rollout_planarea's statement-level
    # triggers (the data version the caches are keyed on). The version check (migration 0009) is not needed:
    # the version was created in this transaction and the partition bound holds each row to it.
    cursor.execute(f"DELETE FROM {area} WHERE false")
    return inserted
