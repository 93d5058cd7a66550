"""Address import: validated rows -> one transaction of COPY + upsert, then district assignment in SQL."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import shapely
from django.db import DatabaseError, connection, transaction

from geoportal.errors import ImportFailed
from layers.importers.base import ImportReport, Problems, Progress, city_boundary
from layers.importers.hk import hk_csv_read
from layers.importers.readers import AddressMapping, AddressRow
from layers.importers.vector import vector_addresses_read
from layers.models import Address

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = (".csv", ".txt")


def _outside_city(rows: list[AddressRow], *, path: Path, strict: bool, report: ImportReport) -> list[AddressRow]:
    """Drop rows outside the city boundary (warning), or fail with --strict."""
    boundary = city_boundary()
    if boundary is None:
        report.warnings.append("no city boundary in the database (run load_city): positions were not checked")
        return rows
    if not rows:
        return rows
    inside = shapely.contains_xy(boundary, np.array([r.x for r in rows]), np.array([r.y for r in rows]))
    outside = [row for row, ok in zip(rows, inside, strict=True) if not ok]
    if not outside:
        return rows
    if strict:
        problems = Problems(path)
        for row in outside:
            problems.add(f"{row.where}, field geometry", f"point ({row.x:.1f}, {row.y:.1f}) lies outside the city")
        problems.raise_if_any()
    examples = ", ".join(row.where for row in outside[:5])
    report.warnings.append(
        f"{path}: {len(outside)} address(es) outside the city were skipped (e.g. {examples}); use --strict to fail"
    )
    report.skipped += len(outside)
    return [row for row, ok in zip(rows, inside, strict=True) if ok]


def _duplicates_warn(rows: list[AddressRow], *, path: Path, report: ImportReport) -> None:
    seen: dict[tuple, str] = {}
    dupes = 0
    for row in rows:
        key = (row.street, row.house_number, row.suffix, row.postcode)
        if key in seen:
            dupes += 1
            if dupes <= 5:
                report.warnings.append(f"{path}, {row.where}: same address as {seen[key]}; the later one wins")
        seen[key] = row.where
    if dupes:
        report.skipped += dupes
        if dupes > 5:
            report.warnings.append(f"{path}: {dupes} duplicate addresses in all")


UPSERT = """
WITH source AS (
    SELECT DISTINCT ON (street, house_number, suffix, postcode) *
    FROM import_address ORDER BY street, house_number, suffix, postcode, ord DESC
), written AS (
    INSERT INTO layers_address
        (street, house_number, house_number_suffix, postcode, city, geom, homes, source_id, is_demo)
    SELECT street, house_number, suffix, postcode, %(city)s,
           ST_SetSRID(ST_MakePoint(x, y), 25832), COALESCE(homes, 1), source_id, false
    FROM source
    ON CONFLICT (street, house_number, house_number_suffix, postcode) DO UPDATE SET
        geom = EXCLUDED.geom,
        homes = CASE WHEN %(homes_given)s THEN EXCLUDED.homes ELSE layers_address.homes END,
        source_id = EXCLUDED.source_id,
        is_demo = false
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
"""

ASSIGN_DISTRICTS = """
UPDATE layers_address AS a SET district_id = s.district_id
FROM (
    SELECT b.id, (
        SELECT d.id FROM layers_district AS d
        WHERE d.level <> 'city' AND ST_Contains(d.geom, b.geom)
        ORDER BY ST_Area(d.geom) LIMIT 1
    ) AS district_id
    FROM layers_address AS b
) AS s
WHERE a.id = s.id AND a.district_id IS DISTINCT FROM s.district_id
"""


def addresses_assign_districts() -> int:
    """Set every address's district to the smallest (non-city) district containing it: one SQL statement.

    Only rows whose district changes are written; returns their number.
    """
    with connection.cursor() as cursor:
        cursor.execute(ASSIGN_DISTRICTS)
        return cursor.rowcount


def _write(rows: list[AddressRow], *, city: str, replace_demo: bool, report: ImportReport) -> None:
    with connection.cursor() as cursor:
        if replace_demo:
            report.deleted_demo, _ = Address.objects.filter(is_demo=True).delete()
        cursor.execute("DROP TABLE IF EXISTS import_address")
        cursor.execute(
            "CREATE TEMP TABLE import_address (ord integer, street text, house_number integer, suffix text, "
            "postcode text, homes integer, source_id text, x double precision, y double precision) ON COMMIT DROP"
        )
        copy_sql = "COPY import_address FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for i, r in enumerate(rows):
                copy.write_row((i, r.street, r.house_number, r.suffix, r.postcode, r.homes, r.source_id, r.x, r.y))
        homes_given = any(r.homes is not None for r in rows)
        cursor.execute(UPSERT, {"city": city, "homes_given": homes_given})
        report.created, report.updated = cursor.fetchone()
        cursor.execute("DROP TABLE import_address")
    report.districts_assigned = addresses_assign_districts()
    # Deleted demo addresses take their availability rows with them.


def addresses_import(
    *,
    path: Path,
    mapping: AddressMapping | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    layer: str | None = None,
    crs: str | None = None,
    city: str = "Mülheim an der Ruhr",
    replace_demo: bool = False,
    strict: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import addresses from an HK-DE text file (.csv/.txt) or any GDAL vector file; atomic, upsert by address.

    Raises ImportFailed (with ``problems``) or another GeoportalError; the database is then unchanged.
    """
    path = Path(path)
    report = ImportReport(path=str(path), kind="addresses", dry_run=dry_run)
    if not path.exists():
        raise ImportFailed("no such file", where=str(path))
    problems = Problems(path)
    if path.suffix.lower() in TEXT_SUFFIXES:
        rows = hk_csv_read(
            path=path, encoding=encoding, delimiter=delimiter, problems=problems, report=report, progress=progress
        )
    else:
        rows = vector_addresses_read(
            path=path,
            mapping=mapping or AddressMapping(),
            layer=layer,
            crs=crs,
            problems=problems,
            report=report,
            progress=progress,
        )
    problems.raise_if_any()
    rows = _outside_city(rows, path=path, strict=strict, report=report)
    _duplicates_warn(rows, path=path, report=report)
    try:
        with transaction.atomic():
            _write(rows, city=city, replace_demo=replace_demo, report=report)
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        raise ImportFailed(f"the database refused the import, nothing was written: {exc}", where=str(path)) from exc
    logger.info("%s", report.finish().summary())
    return report
