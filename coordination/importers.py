"""An owner's roadworks file → validated works, through the plans' readers and report.

The file is read by rollout.readers (GeoPackage, GeoJSON, KML, zipped Shapefile, CSV with WKT or lat/lon;
UTF-8 or cp1252, commas or semicolons), its columns found by rollout.importers.resolve_mapping with the
spellings below, its CRS set up by rollout.importers.crs_transformer, and every problem goes into the same
Report (row, field, value, expected) that the plan pages show. An error anywhere makes the whole file
invalid (coordination.services stores nothing of it).

Roadworks files are small (an owner's programme: hundreds, a few thousand rows), so rows are checked one by
one, in file order; the plans' column-wise path is for 100,000-area plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext_noop

from coordination.sectors import SECTOR_SYNONYMS
from rollout.importers import resolve_mapping
from rollout.importers.ewkb import stack
from rollout.importers.mapping import is_blank
from rollout.importers.placement import crs_transformer
from rollout.readers import RawTable, Report
from rollout.vocabulary import expected_end, map_value, parse_expected

# Column names owners commonly use for each field (a saved mapping of the owner takes precedence).
ROADWORKS_SYNONYMS: dict[str, list[str]] = {
    "reference": ["reference", "id", "kennung", "aktenzeichen", "az", "nummer", "nr", "vorgang", "massnahme_id"],
    "title": ["title", "titel", "name", "bezeichnung", "massnahme", "maßnahme", "vorhaben"],
    "description": ["description", "beschreibung", "bemerkung", "details", "info"],
    "sector": ["sector", "sparte", "gewerk", "medium", "art"],
    "start": ["start", "beginn", "baubeginn", "von", "start_date", "begin"],
    "end": ["end", "ende", "bauende", "bis", "end_date", "fertigstellung"],
    "dig_ban_until": ["dig_ban_until", "aufbruchsperre", "aufbruchsperre_bis", "sperre_bis", "sperrfrist", "dig_ban"],
    "wkt": ["wkt", "geometry", "geom", "the_geom", "geometrie"],
    "lat": ["lat", "latitude", "breite"],
    "lon": ["lon", "lng", "longitude", "laenge", "länge"],
}
ROADWORKS_FIELDS = tuple(ROADWORKS_SYNONYMS)

# A point (a site, a pit: CSV rows with lat/lon) is kept as a circle of this radius, so that every work is a
# line or an area (coordination.models).
POINT_SITE_RADIUS_M = 10.0
TITLE_MAX, REFERENCE_MAX, DESCRIPTION_MAX = 200, 100, 5000
# Coordinates without a named CRS (WKT in a CSV) are recognised by their range: degrees, or metres of UTM 32N
# in and around North Rhine-Westphalia.
_DEGREES = (-180.0, -90.0, 180.0, 90.0)
_UTM32N = (200_000.0, 5_200_000.0, 900_000.0, 6_200_000.0)

# The messages and hints this module writes into reports, for the German catalogue (rollout.presentation
# translates a report's texts when the page shows them).
REPORT_MESSAGES = [
    gettext_noop("no geometry"),
    gettext_noop("lines or areas, a WKT column or lat/lon columns"),
    gettext_noop("coordinate reference system recognised from the coordinates"),
    gettext_noop("not a line or an area"),
    gettext_noop("a line or an area"),
    gettext_noop("WKT line or polygon"),
    gettext_noop("a line without length"),
    gettext_noop("an area without surface"),
    gettext_noop("a point site is kept as a circle"),
    gettext_noop("a title or a reference"),
    gettext_noop("missing title"),
    gettext_noop("reference too long"),
    gettext_noop("at most 100 characters"),
    gettext_noop("duplicate reference"),
    gettext_noop("one row per reference"),
    gettext_noop("missing start"),
    gettext_noop("missing end"),
    gettext_noop("unparseable start"),
    gettext_noop("unparseable end"),
    gettext_noop("unparseable dig_ban_until"),
    gettext_noop("unknown sector"),
    gettext_noop("works end before they start"),
    gettext_noop("an end on or after the start"),
    gettext_noop("the dig ban ends before the works end"),
    gettext_noop("a day on or after the end of the works"),
    gettext_noop("finished works without a running dig ban never match planned fibre"),
    gettext_noop("a date (2027-09-30, 30.09.2027) or a quarter (Q3/2027)"),
]


@dataclass(frozen=True)
class ValidatedWork:
    """One row of the file that passed every check: what coordination.services stores."""

    row: int
    reference: str
    title: str
    description: str
    sector: str
    start_date: date
    end_date: date
    dig_ban_until: date | None
    geom: shapely.Geometry  # MultiLineString or MultiPolygon in EPSG:25832, millimetres


def roadworks_validate(
    table: RawTable,
    *,
    mapping: dict[str, str],
    default_sector: str,
    city: shapely.Geometry,
    report: Report,
    today: date,
) -> list[ValidatedWork]:
    """The file's works, checked row by row; every problem in ``report`` (the caller discards all on an error)."""
    columns = resolve_mapping(table.columns, mapping, synonyms=ROADWORKS_SYNONYMS)
    geoms = _geometries(table, columns, report)
    if geoms is None:
        return []
    transformer = _transformer(table, columns, geoms, report)
    if transformer is None:
        return []
    shapely.prepare(city)
    works: list[ValidatedWork] = []
    seen: dict[str, int] = {}
    for i in range(len(table)):
        index = i + 1
        row = table.row(i)
        errors_before = report.error_count
        attributes = _attributes(row, index, columns, default_sector, report, today)
        geom = _placed(geoms[i], index, transformer, city, report)
        reference = attributes.get("reference", "")
        if reference:
            if reference in seen:
                report.error(
                    "duplicate reference",
                    row=index,
                    field="reference",
                    value=reference,
                    expected="one row per reference",
                )
            seen.setdefault(reference, index)
        if report.error_count == errors_before and geom is not None:
            works.append(ValidatedWork(row=index, geom=geom, **attributes))
    return works


def _value(row: dict, columns: dict[str, str], field: str) -> Any:
    column = columns.get(field)
    value = row.get(column) if column else None
    return None if is_blank(value) else value


def _geometries(table: RawTable, columns: dict[str, str], report: Report) -> np.ndarray | None:
    """Each row's geometry as read (file geometry, WKT or a lat/lon point), None where there is none."""
    if table.spatial:
        return np.asarray(table.geoms, dtype=object)
    geoms = np.full(len(table), None, dtype=object)
    if "wkt" in columns:
        for i in range(len(table)):
            text = _value(table.row(i), columns, "wkt")
            if text is None:
                continue
            try:
                geoms[i] = shapely.from_wkt(str(text))
            except shapely.errors.GEOSException:
                report.error("unreadable WKT", row=i + 1, field="wkt", value=text, expected="WKT line or polygon")
        return geoms
    if {"lat", "lon"} <= columns.keys():
        for i in range(len(table)):
            row = table.row(i)
            lat, lon = _value(row, columns, "lat"), _value(row, columns, "lon")
            if lat is None and lon is None:
                continue
            try:
                geoms[i] = shapely.Point(_number(lon), _number(lat))
            except (TypeError, ValueError):
                report.error("unreadable coordinates", row=i + 1, field="lat/lon", expected="decimal degrees")
        return geoms
    report.error("no geometry", field="file", expected="lines or areas, a WKT column or lat/lon columns")
    return None


def _number(value: Any) -> float:
    return float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)


def _transformer(table: RawTable, columns: dict[str, str], geoms: np.ndarray, report: Report):
    """The CRS transformation of the file's coordinates (None: reported why not).

    A spatial file names its CRS; lat/lon columns are degrees; WKT in a CSV takes the mapping's ``crs`` or,
    failing that, is recognised by the range of its coordinates (reported as a warning, so the owner sees
    what was assumed)."""
    if table.spatial:
        crs = columns.get("crs") or table.crs
    elif "wkt" in columns:
        crs = columns.get("crs") or crs_recognised(geoms, report)
    else:
        crs = "EPSG:4326"
    found = crs_transformer(crs, report=report)
    return None if found is None else found[0]


def crs_recognised(geoms: np.ndarray, report: Report) -> str | None:
    """EPSG:4326 or EPSG:25832 when every coordinate of ``geoms`` lies in its range (a warning says so)."""
    present = geoms[shapely.is_geometry(geoms)]
    if not len(present):
        return None
    xmin, ymin, xmax, ymax = shapely.total_bounds(present)
    for (lo_x, lo_y, hi_x, hi_y), crs in ((_DEGREES, "EPSG:4326"), (_UTM32N, "EPSG:25832")):
        if lo_x <= xmin and xmax <= hi_x and lo_y <= ymin and ymax <= hi_y:
            report.warning("coordinate reference system recognised from the coordinates", field="crs", value=crs)
            return crs
    return None


def _attributes(
    row: dict, index: int, columns: dict[str, str], default_sector: str, report: Report, today: date
) -> dict:
    value = lambda field: _value(row, columns, field)  # noqa: E731 - a short local reader
    reference = str(value("reference") or "").strip()
    if len(reference) > REFERENCE_MAX:
        report.error(
            "reference too long", row=index, field="reference", value=reference, expected="at most 100 characters"
        )
    title = str(value("title") or "").strip() or reference
    if not title:
        report.error("missing title", row=index, field="title", expected="a title or a reference")
    sector = default_sector
    if value("sector") is not None:
        try:
            sector = map_value(value("sector"), SECTOR_SYNONYMS, what="sector")
        except ValueError as exc:
            report.error("unknown sector", row=index, field="sector", value=value("sector"), expected=str(exc))
    start = _date(value("start"), index, "start", report, end=False, required=True)
    end = _date(value("end"), index, "end", report, end=True, required=True)
    ban = _date(value("dig_ban_until"), index, "dig_ban_until", report, end=True, required=False)
    if start and end and end < start:
        report.error(
            "works end before they start",
            row=index,
            field="end",
            value=value("end"),
            expected="an end on or after the start",
        )
    if end and ban and ban < end:
        report.error(
            "the dig ban ends before the works end",
            row=index,
            field="dig_ban_until",
            value=value("dig_ban_until"),
            expected="a day on or after the end of the works",
        )
    if end and end < today and (ban is None or ban < today):
        report.warning("finished works without a running dig ban never match planned fibre", row=index, field="end")
    return {
        "reference": reference[:REFERENCE_MAX],
        "title": title[:TITLE_MAX],
        "description": str(value("description") or "").strip()[:DESCRIPTION_MAX],
        "sector": str(sector),
        "start_date": start,
        "end_date": end,
        "dig_ban_until": ban,
    }


def _date(value: Any, index: int, field: str, report: Report, *, end: bool, required: bool) -> date | None:
    """A day; a quarter counts from its first day (a start) or to its last day (an end, a dig ban)."""
    if value is None:
        if required:
            report.error(
                f"missing {field}",
                row=index,
                field=field,
                expected="a date (2027-09-30, 30.09.2027) or a quarter (Q3/2027)",
            )
        return None
    try:
        when, precision = parse_expected(value.to_pydatetime() if hasattr(value, "to_pydatetime") else value)
    except ValueError:
        report.error(
            f"unparseable {field}",
            row=index,
            field=field,
            value=value,
            expected="a date (2027-09-30, 30.09.2027) or a quarter (Q3/2027)",
        )
        return None
    return expected_end(when, precision) if end else when


def _placed(
    geom: shapely.Geometry | None, index: int, transformer, city: shapely.Geometry, report: Report
) -> shapely.Geometry | None:
    """The row's geometry in EPSG:25832 as MultiLineString or MultiPolygon, inside the city; None (reported)."""
    if geom is None or geom.is_empty:
        report.error("empty geometry", row=index, field="geometry", expected="a line or an area")
        return None
    geom = shapely.force_2d(geom)
    geom = shapely.transform(geom, lambda xy: stack(transformer.transform(xy[:, 0], xy[:, 1])))
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        report.error(
            "coordinates do not fit the coordinate reference system",
            row=index,
            field="crs",
            expected="the CRS the coordinates are in, e.g. EPSG:25832",
        )
        return None
    geom = line_or_area(geom, index=index, report=report)
    if geom is None:
        return None
    if not geom.intersects(city):
        report.error("feature lies outside the city", row=index, field="geometry", expected="within the city")
        return None
    if not city.contains(geom):
        report.warning("feature extends beyond the city", row=index, field="geometry")
    return _rounded(geom)


def _rounded(geom: shapely.Geometry) -> shapely.Geometry:
    # Millimetres, as plans are stored; a polygon that rounding made invalid keeps its unrounded coordinates.
    rounded = shapely.transform(geom, lambda xy: np.round(xy, 3))
    return rounded if rounded.is_valid else geom


def line_or_area(geom: shapely.Geometry, *, index: int | None, report: Report) -> shapely.Geometry | None:
    """``geom`` (EPSG:25832) as a MultiLineString or a MultiPolygon: points become circles, invalid polygons
    are repaired (with a warning), anything else is reported. Shared by the importer and the form."""
    kind = geom.geom_type
    if kind in ("Point", "MultiPoint"):
        report.warning(
            "a point site is kept as a circle", row=index, field="geometry", value=f"{POINT_SITE_RADIUS_M:g} m"
        )
        geom = geom.buffer(POINT_SITE_RADIUS_M, quad_segs=8)
        kind = geom.geom_type
    if kind in ("LineString", "MultiLineString"):
        parts = [p for p in shapely.get_parts(geom) if p.length > 0]
        if not parts:
            report.error("a line without length", row=index, field="geometry", expected="a line or an area")
            return None
        return shapely.MultiLineString(parts)
    if kind in ("Polygon", "MultiPolygon"):
        if not geom.is_valid:
            report.warning(
                "invalid geometry repaired", row=index, field="geometry", value=shapely.is_valid_reason(geom)
            )
            geom = shapely.make_valid(geom)
        # make_valid may give a collection of polygons, multipolygons and lines: the surfaces are kept.
        surfaces = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        parts = [q for p in surfaces for q in shapely.get_parts(p) if q.area > 0]
        if not parts:
            report.error("an area without surface", row=index, field="geometry", expected="a line or an area")
            return None
        return shapely.MultiPolygon(parts)
    report.error("not a line or an area", row=index, field="geometry", value=kind, expected="a line or an area")
    return None


def geometry_from_text(
    text: str, *, crs: str | None, city: shapely.Geometry, report: Report
) -> shapely.Geometry | None:
    """A line or area typed (or drawn on the form's map) as WKT, in ``crs`` or recognised by its coordinates:
    checked like a file's row (coordination.forms turns the report into the form's messages)."""
    try:
        geom = shapely.from_wkt(text.strip())
    except shapely.errors.GEOSException as exc:
        detail = str(exc).split(":", 1)[-1].strip()
        report.error("unreadable WKT", field="geometry", value=detail, expected="WKT line or polygon")
        return None
    if geom is None or geom.is_empty:
        report.error("empty geometry", field="geometry", expected="a line or an area")
        return None
    found = crs_transformer(crs or crs_recognised(np.array([geom], dtype=object), report), report=report)
    if found is None:
        return None
    shapely.prepare(city)
    return _placed(geom, None, found[0], city, report)
