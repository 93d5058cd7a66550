"""Street import: the lines of any GDAL vector file -> Street rows (one MultiLineString per name and postcode).

A city's street file (ATKIS/ALKIS extracts, the street register's axes, an OpenStreetMap export)
usually holds a street as many segments: they are merged by name and postcode into one row, touching
segments joined into one line. The import upserts on (name, postcode) through a temporary table and
one ``INSERT … ON CONFLICT`` in one transaction, then assigns every street the Stadtteil it mostly
lies in, in one SQL statement. Problems (no line, no name, a point instead of a line) are collected
with the feature's number; only a clean file is written.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import shapely
from django.db import DatabaseError, connection, transaction
from shapely import ops

from geoportal.errors import ImportFailed
from layers.importers.base import ImportReport, Problems, Progress, city_boundary
from layers.importers.shapes import features_read, line_repair, outside_city
from layers.models import Street

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreetMapping:
    """Source field names; None means: look for the usual names (``DEFAULTS``)."""

    name: str | None = None
    postcode: str | None = None


DEFAULTS = {
    "name": ("name", "strassenname", "straßenname", "strname", "str_name", "street", "strasse", "straße", "stn", "bez"),
    "postcode": ("postcode", "plz", "postal_code", "addr:postcode", "postleitzahl", "zip"),
}
POSTCODE = re.compile(r"^\d{5}$")
# OpenStreetMap: ways tagged highway=* are streets; these values are not streets a resident lives in.
OSM_NOT_STREETS = frozenset({"motorway", "motorway_link", "proposed", "construction", "abandoned", "raceway"})


def _read(
    path: Path,
    *,
    mapping: StreetMapping,
    layer: str | None,
    crs: str | None,
    report: ImportReport,
    problems: Problems,
    progress: Progress | None,
) -> dict[tuple[str, str], list[shapely.MultiLineString]]:
    """The file's lines grouped by (name, postcode); features with problems are left out (and listed)."""
    is_osm = path.suffix.lower() in (".osm", ".pbf")
    defaults = {**DEFAULTS, "highway": ("highway",)} if is_osm else DEFAULTS
    grouped: dict[tuple[str, str], list] = defaultdict(list)
    for feature in features_read(
        path,
        requested={"name": mapping.name, "postcode": mapping.postcode},
        defaults=defaults,
        layer=layer,
        crs=crs,
        report=report,
        osm_layers=("lines",),
        osm_keys=("addr:postcode",),
        required=("name",),
        progress=progress,
    ):
        values = feature.values
        if is_osm and (not values.get("highway") or values["highway"] in OSM_NOT_STREETS or not values["name"]):
            report.skipped += 1  # a way that is no (named) street: a fence, a footpath without name, a river
            continue
        before = problems.total
        name, postcode = values["name"], values.get("postcode", "")
        if not name:
            problems.add(f"{feature.where}, field {mapping.name or 'name'}", "street name is empty")
        elif len(name) > 200:
            problems.add(f"{feature.where}, field {mapping.name or 'name'}", "street name is over 200 characters")
        if postcode and not POSTCODE.match(postcode):
            problems.add(
                f"{feature.where}, field {mapping.postcode or 'postcode'}", f"postcode {postcode!r} is not five digits"
            )
        line = line_repair(feature.geom, where=feature.where, problems=problems, warnings=report.warnings)
        if problems.total == before and line is not None:
            grouped[name, postcode].append(line)
    return grouped


def _merge(lines: list[shapely.MultiLineString]) -> shapely.MultiLineString:
    """One street's segments as one MultiLineString, segments that meet end to end joined into one line."""
    merged = ops.linemerge([part for line in lines for part in shapely.get_parts(line)])
    return merged if merged.geom_type == "MultiLineString" else shapely.MultiLineString([merged])


UPSERT = """
WITH written AS (
    INSERT INTO layers_street (name, postcode, geom, source, is_demo)
    SELECT name, postcode, ST_GeomFromText(wkt, 25832), %(source)s, false FROM import_street
    ON CONFLICT (name, postcode) DO UPDATE SET geom = EXCLUDED.geom, source = EXCLUDED.source, is_demo = false
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
"""

# The Stadtteil holding the longest part of each street (a Stadtbezirk where the city has no Stadtteile).
ASSIGN_DISTRICTS = """
UPDATE layers_street AS s SET district_id = best.district_id
FROM (
    SELECT t.id, (
        SELECT d.id FROM layers_district AS d
        WHERE d.level IN ('stadtteil', 'stadtbezirk') AND d.geom && t.geom AND ST_Intersects(d.geom, t.geom)
        ORDER BY d.level = 'stadtteil' DESC, ST_Length(ST_Intersection(d.geom, t.geom)) DESC, d.id
        LIMIT 1
    ) AS district_id
    FROM layers_street AS t
) AS best
WHERE s.id = best.id AND s.district_id IS DISTINCT FROM best.district_id
"""


def streets_assign_districts() -> int:
    """Set every street's district to the Stadtteil it mostly lies in: one SQL statement; returns the rows changed."""
    with connection.cursor() as cursor:
        cursor.execute(ASSIGN_DISTRICTS)
        return cursor.rowcount


def _write(streets: dict[tuple[str, str], shapely.MultiLineString], *, source: str, replace_demo: bool, report) -> None:
    with connection.cursor() as cursor:
        if replace_demo:
            report.deleted_demo, _ = Street.objects.filter(is_demo=True).delete()
        cursor.execute("DROP TABLE IF EXISTS import_street")
        cursor.execute("CREATE TEMP TABLE import_street (name text, postcode text, wkt text) ON COMMIT DROP")
        with cursor.cursor.copy("COPY import_street FROM STDIN") as copy:
            for (name, postcode), geom in streets.items():
                copy.write_row((name, postcode, shapely.to_wkt(geom, rounding_precision=3, trim=True)))
        cursor.execute(UPSERT, {"source": source})
        report.created, report.updated = cursor.fetchone()
        cursor.execute("DROP TABLE import_street")
    report.districts_assigned = streets_assign_districts()


def streets_import(
    *,
    path: Path,
    mapping: StreetMapping | None = None,
    layer: str | None = None,
    crs: str | None = None,
    strict: bool = False,
    replace_demo: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Create or update streets (by name and postcode) from a line file; atomic. ``replace_demo`` deletes the
    demo streets in the same transaction. Raises ImportFailed (with ``problems``); the database is then unchanged.
    """
    path = Path(path)
    report = ImportReport(path=str(path), kind="streets", dry_run=dry_run)
    if not path.exists():
        raise ImportFailed("no such file", where=str(path))
    problems = Problems(path)
    grouped = _read(
        path,
        mapping=mapping or StreetMapping(),
        layer=layer,
        crs=crs,
        report=report,
        problems=problems,
        progress=progress,
    )
    problems.raise_if_any()
    streets = {key: _merge(lines) for key, lines in sorted(grouped.items())}
    outside = outside_city(list(streets.values()), city_boundary(), report=report)
    if outside.any():
        names = [f"{name} {postcode}".strip() for (name, postcode), out in zip(streets, outside, strict=True) if out]
        if strict:
            failing = Problems(path)
            for name in names:
                failing.add(f"street {name!r}", "lies entirely outside the city")
            failing.raise_if_any()
        report.warnings.append(
            f"{path}: {len(names)} street(s) outside the city were skipped ({', '.join(names[:5])}); "
            "use --strict to fail"
        )
        report.skipped += len(names)
        streets = {key: geom for (key, geom), out in zip(streets.items(), outside, strict=True) if not out}
    try:
        with transaction.atomic():
            _write(streets, source=path.name, replace_demo=replace_demo, report=report)
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        raise ImportFailed(f"the database refused the import, nothing was written: {exc}", where=str(path)) from exc
    logger.info("%s", report.finish().summary())
    return report
