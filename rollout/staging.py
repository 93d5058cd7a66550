"""The validated features of a received submission, kept in the database until the submission is decided.

Where they are kept depends on the plan's size (``PARTITION_MIN_AREAS``):

- smaller plans: rows of the shared staging table PlanAreaStaging; on acceptance one INSERT … SELECT
  copies them into rollout_planarea (its default partition) and their address links.
- large plans (``PlanSubmission.own_table``): a table of their own, ``rollout_planarea_s<submission id>``,
  shaped like a partition of rollout_planarea (same columns and CHECK constraints, ids drawn from
  rollout_planarea's sequence by the COPY, so in file order) but without the version and with the file's
  row and the address lists. On acceptance that very table becomes the version's partition
  (``_own_table_attach``): no second copy of the rows. Until then it is no part of rollout_planarea, so no
  reader of the plan sees it; only this module reads it, for the submission's pages and diff.

``features_stage`` COPYs them (COPY text built by column from rollout.features.PlanFeatures);
rollout.diff.staged_diff compares them with the current version in SQL (``staged_relation``);
``staged_areas_accept`` makes them the version's areas; ``features_staged`` reads them back as feature dicts
(geometry as EWKT in EPSG:25832) for the pages of large files.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from typing import Any

import numpy as np
import psycopg
from django.contrib.gis.geos import GEOSGeometry
from django.db import ProgrammingError, connection, transaction

from layers.models import SRID
from rollout.features import PlanFeatures
from rollout.models import PlanArea, PlanAreaStaging, PlanSubmission, PlanVersion

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


# A plan with at least this many areas is staged in a table of its own that becomes its version's partition
# on acceptance (see the module's docstring); smaller ones go through the shared staging table into the
# default partition, which every ATTACH scans once (it holds only small versions' areas).
PARTITION_MIN_AREAS = 5000
_AREA = PlanArea._meta.db_table


def own_table(submission_id: int) -> str:
    """The name of the table a large submission's rows are staged in (until it becomes a partition)."""
    return f"{_AREA}_s{int(submission_id)}"


def features_stage(*, submission: PlanSubmission, features: PlanFeatures) -> None:
    """COPY the validated ``features`` into the staging table, in their order (within the caller's transaction).

    Large plans go into a new table of their own (``own_table``; sets ``submission.own_table``, which the
    caller saves). The COPY text is built by column: each attribute combination is formatted once, and a
    row is one join of its per-feature fields with its combination's text.
    """
    names = ", ".join(c for c, _ in COLUMNS[2:])
    size = len(features)
    submission.own_table = size >= PARTITION_MIN_AREAS
    if submission.own_table:
        _own_table_create(submission.pk)
        sql = f"COPY {own_table(submission.pk)} (row, geom, addresses, key, name, {names}) FROM STDIN"
        leading = ()
    else:
        sql = f"COPY {_STAGING} (submission_id, position, row, geom, addresses, key, name, {names}) FROM STDIN"
        leading = (itertools.repeat(str(submission.pk), size), map(str, range(size)))
    combinations = np.array([_attributes_text(a) for a in features.attributes] or [""], dtype=object)
    columns = (
        *leading,
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


def _own_table_create(submission_id: int) -> None:
    """Create the table a large submission is staged in: rollout_planarea's columns, defaults and CHECK
    constraints (ATTACH requires them), no version yet, plus the file's row and the address lists."""
    table = own_table(submission_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')::regclass::oid", [_AREA])
        sequence = int(cursor.fetchone()[0])
        cursor.execute(
            f"CREATE TABLE {table} (LIKE {_AREA} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)"
        )
        # Ids from rollout_planarea's identity sequence, drawn by the COPY in file order; the version comes on
        # acceptance (_own_table_attach).
        cursor.execute(
            f"""ALTER TABLE {table} ALTER id SET DEFAULT nextval({sequence}::regclass), DROP COLUMN version_id,
                ADD COLUMN row integer CHECK (row >= 0), ADD COLUMN addresses integer[]"""
        )


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


def staged_relation(submission: PlanSubmission) -> tuple[str, list]:
    """SQL of a relation (to use as ``FROM (…) alias``) with the submission's staged rows, and its parameters.

    Columns: ``ord`` (their order in the validated plan), ``row``, ``key``, ``name``, ``geom``, ``addresses``
    and the attributes of COLUMNS. A large submission's rows are in its own table until it is accepted, then in
    its version's partition (where the file's row is no longer kept: ``row`` is NULL).
    """
    columns = ", ".join(c for c, _ in COLUMNS[1:])
    if not submission.own_table:
        sql = f"SELECT position AS ord, row, key, geom, addresses, {columns} FROM {_STAGING} WHERE submission_id = %s"
        return sql, [submission.pk]
    if submission.state != PlanSubmission.State.ACCEPTED:
        return f"SELECT id AS ord, row, key, geom, addresses, {columns} FROM {own_table(submission.pk)}", []
    through, versions = PlanArea.addresses.through._meta.db_table, PlanVersion._meta.db_table
    sql = f"""SELECT a.id AS ord, NULL::integer AS row, a.key, a.geom,
                     (SELECT array_agg(t.address_id ORDER BY t.address_id) FROM {through} t
                      WHERE t.planarea_id = a.id) AS addresses, {", ".join(f"a.{c}" for c, _ in COLUMNS[1:])}
              FROM {_AREA} a WHERE a.version_id = (SELECT id FROM {versions} WHERE submission_id = %s)"""
    return sql, [submission.pk]


def features_staged(*, submission: PlanSubmission, keys: Iterable[str] | None = None) -> list[dict]:
    """The submission's staged features in their order (only those with ``keys`` when given)."""
    names = [c for c, _ in COLUMNS[1:]]
    where, params = ("WHERE key = ANY(%s)", [list(keys)]) if keys is not None else ("", [])
    found = _staged_read(
        submission, f"SELECT row, key, geom, addresses, {', '.join(names)} FROM ({{}}) s {where} ORDER BY ord", params
    )
    features = []
    for row, key, geom, addresses, *values in found:
        feature = {"row": row, "key": key}
        for (column, name), value in zip(COLUMNS[1:], values, strict=True):
            if column in {"expected_date", "quota_deadline"} and value is not None:
                value = value.isoformat()
            elif column == "connection_fee_eur" and value is not None:
                value = str(value)
            feature[name] = value
        if geom is not None:
            feature["geom"] = f"SRID={SRID};{GEOSGeometry(geom).wkt}"
        if addresses is not None:
            feature["addresses"] = list(addresses)
        features.append(feature)
    return features


def feature_last_key(*, submission: PlanSubmission) -> str | None:
    """The key of the submission's last validated feature (a created area comes last in an edit's plan)."""
    if submission.features:
        return submission.features[-1]["key"]
    found = _staged_read(submission, "SELECT key FROM ({}) s ORDER BY ord DESC LIMIT 1", [])
    return found[0][0] if found else None


def _staged_read(submission: PlanSubmission, sql: str, params: list) -> list[tuple]:
    """Rows of ``sql`` (``{}`` stands for the staged relation, whose parameters come first).

    A large submission accepted since ``submission`` was read has renamed its table (it is its version's
    partition now): then its state is read again and its rows where they are now. A submission whose staged
    rows were dropped (``staged_drop``) has none.
    """
    if submission.staged_dropped_at is not None:
        return []
    try:
        return _staged_fetch(submission, sql, params)
    except ProgrammingError:
        if not submission.own_table or submission.state == PlanSubmission.State.ACCEPTED:
            raise
        submission.refresh_from_db(fields=["state"])
        if submission.state != PlanSubmission.State.ACCEPTED:
            raise
    return _staged_fetch(submission, sql, params)


def _staged_fetch(submission: PlanSubmission, sql: str, params: list) -> list[tuple]:
    relation, staged_params = staged_relation(submission)
    # A table of its own is read in a savepoint: a read that fails leaves no aborted transaction behind.
    with transaction.atomic() if submission.own_table else nullcontext(), connection.cursor() as cursor:
        cursor.execute(sql.format(relation), [*staged_params, *params])
        return cursor.fetchall()


def staged_drop(*, submission: PlanSubmission) -> int:
    """Drop the staged rows of a submission that was not accepted (within the caller's transaction): its table
    of its own, or its rows in the shared staging table. Returns the bytes that held them (an estimate for
    the shared table, whose pages are reused rather than given back)."""
    if submission.state not in (PlanSubmission.State.REJECTED, PlanSubmission.State.SUPERSEDED):
        raise ValueError(f"only rejected or superseded submissions lose their staged rows, not {submission.state}")
    with connection.cursor() as cursor:
        if submission.own_table:
            table = own_table(submission.pk)
            cursor.execute("SELECT coalesce(pg_total_relation_size(to_regclass(%s)), 0)", [table])
            size = cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            return size
        cursor.execute(
            f"WITH gone AS (DELETE FROM {_STAGING} AS s WHERE s.submission_id = %s RETURNING pg_column_size(s) AS size)"
            " SELECT coalesce(sum(size), 0) FROM gone",
            [submission.pk],
        )
        return int(cursor.fetchone()[0])


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


def staged_areas_accept(*, submission: PlanSubmission, version_id: int) -> int:
    """Make the submission's staged rows the version's areas and address links; returns the number of areas.

    rollout_planarea is partitioned by version (migration 0010). A large plan's own table (features_stage)
    becomes the version's partition: its indexes are built in bulk and it is attached, in this transaction
    (a rollback leaves it as it was, still no part of rollout_planarea). Smaller plans are inserted from the
    shared staging table with one INSERT … SELECT into the default partition.
    """
    through = PlanArea.addresses.through._meta.db_table
    columns = ", ".join(c for c, _ in COLUMNS)
    with connection.cursor() as cursor:
        if submission.own_table:
            return _own_table_attach(cursor, submission_id=submission.pk, version_id=version_id)
        # The staged rows come in file order (ids follow it: the sequence is read after the sort).
        cursor.execute(
            f"""INSERT INTO {_AREA} (version_id, geom, {columns})
                SELECT %s, geom, {columns} FROM {_STAGING} WHERE submission_id = %s ORDER BY position""",
            [version_id, submission.pk],
        )
        inserted = cursor.rowcount
        # Only address-list areas have links; the CTE keeps the planner from joining all new areas first
        # (their statistics are not there yet right after the INSERT above).
        cursor.execute(
            f"""WITH linked AS MATERIALIZED (
                    SELECT key, addresses FROM {_STAGING} WHERE submission_id = %s AND addresses IS NOT NULL)
                INSERT INTO {through} (planarea_id, address_id)
                SELECT DISTINCT ar.id, a.address_id
                FROM linked l JOIN {_AREA} ar ON ar.version_id = %s AND ar.key = l.key
                CROSS JOIN LATERAL unnest(l.addresses) AS a(address_id)""",
            [submission.pk, version_id],
        )
    return inserted


def _own_table_attach(cursor, *, submission_id: int, version_id: int) -> int:
    """Make a large submission's own table ``version_id``'s partition of rollout_planarea; returns its row count.

    Every step but the index builds and ATTACH's check of the bound is a change of the catalogue only: the
    version column is added with the version as its default (PostgreSQL keeps such a value once, for all
    existing rows, instead of rewriting them), the file's row and the address lists are dropped (their
    bytes stay in the rows until the table is rewritten: a few bytes per area).
    """
    table, partition = own_table(submission_id), f"{_AREA}_v{int(version_id)}"
    through = PlanArea.addresses.through._meta.db_table
    cursor.execute(f"SELECT count(*), count(addresses) FROM {table}")
    stored, listed = cursor.fetchone()
    # The address links can only be inserted once the areas are part of rollout_planarea (their check,
    # migration 0010, looks there), and the lists go with their column before: kept aside meanwhile.
    links = f"{_AREA}_links_{int(submission_id)}"
    if listed:
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {links} ON COMMIT DROP AS
                SELECT DISTINCT id, unnest(addresses) AS address_id FROM {table} WHERE addresses IS NOT NULL"""
        )
    cursor.execute(
        f"""ALTER TABLE {table} DROP COLUMN row, DROP COLUMN addresses, ALTER id DROP DEFAULT,
            ADD COLUMN version_id bigint NOT NULL DEFAULT {int(version_id)}"""
    )
    cursor.execute(f"ALTER TABLE {table} ALTER version_id DROP DEFAULT")
    cursor.execute(f"ALTER TABLE {table} RENAME TO {partition}")
    # The parent's unique constraints and index, built once; ATTACH adopts them instead of building its own.
    cursor.execute(f"ALTER TABLE {partition} ADD PRIMARY KEY (id, version_id), ADD UNIQUE (version_id, key)")
    cursor.execute(f"CREATE INDEX ON {partition} USING gist (geom)")
    # Checks every row against the partition bound (version_id) and the default partition for rows of it.
    cursor.execute(f"ALTER TABLE {_AREA} ATTACH PARTITION {partition} FOR VALUES IN ({int(version_id)})")
    # ATTACH fires no INSERT trigger: a statement that touches no row fires rollout_planarea's statement-level
    # triggers (the data version the caches are keyed on). The version check (migration 0009) is not needed:
    # the version was created in this transaction and the partition bound holds each row to it.
    cursor.execute(f"DELETE FROM {_AREA} WHERE false")
    if listed:
        cursor.execute(f"INSERT INTO {through} (planarea_id, address_id) SELECT id, address_id FROM {links}")
    return stored
