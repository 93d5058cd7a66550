"""Water import: rivers, lakes and canals of any GDAL vector file -> Water rows (MultiPolygon or MultiLineString).

There is no open water data in the repository, so the maps draw water only once a city loaded its own
(ATKIS "Gewässer", an OpenStreetMap export). Areas (lakes, a river's surface) and lines (centre lines
of rivers and canals) may be mixed in one file. A kind comes from a field (German or English words,
OpenStreetMap's ``waterway``/``natural``/``water`` tags) or from ``--kind`` for the whole file.

Importing a file again replaces what the same file (by name) brought before, in one transaction, so a
city may keep rivers and lakes in separate files and refresh each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import shapely
from django.db import DatabaseError, connection, transaction

from geoportal.errors import ImportFailed, InvalidInputError
from layers.importers.base import ImportReport, Problems, Progress, city_boundary
from layers.importers.shapes import LINEAR, POLYGONAL, area_repair, features_read, line_repair, outside_city
from layers.models import Water

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WaterMapping:
    """Source field names; None means: look for the usual names (``DEFAULTS``)."""

    name: str | None = None
    kind: str | None = None


DEFAULTS = {
    "name": ("name", "gewaesser", "gewässer", "gewname", "nam", "bezeichnung", "bez"),
    "kind": ("kind", "art", "typ", "type", "gewaesserart", "fkt", "waterway"),
}
OSM_KEYS = ("water",)
# Words of a kind field (lower-cased), German and English, and OpenStreetMap's tag values.
KIND_WORDS = {
    Water.Kind.RIVER: ("river", "fluss", "strom", "stream", "bach", "riverbank", "fließgewässer", "fliessgewaesser"),
    Water.Kind.LAKE: (
        "lake", "see", "teich", "weiher", "pond", "reservoir", "talsperre", "stausee", "basin", "baggersee",
        "stehendes gewässer", "stillgewässer",
    ),
    Water.Kind.CANAL: ("canal", "kanal", "schifffahrtskanal", "graben", "ditch", "drain"),
    Water.Kind.OTHER: ("other", "sonstiges", "water", "wasser", "gewässer", "hafen", "harbour"),
}  # fmt: skip
WORD_KIND = {word: kind for kind, words in KIND_WORDS.items() for word in words}


def kind_of(values: dict[str, str]) -> str | None:
    """The kind a feature's values name (OSM: ``water=lake`` before ``natural=water``), or None if unknown."""
    for key in ("water", "kind", "natural"):
        word = values.get(key, "").strip().lower()
        if word in WORD_KIND and not (key == "natural" and word != "water"):
            return WORD_KIND[word]
    return None


def _read(
    path: Path,
    *,
    mapping: WaterMapping,
    kind: str | None,
    layer: str | None,
    crs: str | None,
    report: ImportReport,
    problems: Problems,
    progress: Progress | None,
) -> list[tuple[str, str, shapely.Geometry, str]]:
    """(name, kind, geometry, where) of each feature; features with problems are left out (and listed)."""
    is_osm = path.suffix.lower() in (".osm", ".pbf")
    defaults = {**DEFAULTS, "natural": ("natural",), "water": ("water",)} if is_osm else DEFAULTS
    unknown: dict[str, str] = {}
    rows = []
    for feature in features_read(
        path,
        requested={"name": mapping.name, "kind": mapping.kind},
        defaults=defaults,
        layer=layer,
        crs=crs,
        report=report,
        osm_layers=("lines", "multipolygons"),
        osm_keys=OSM_KEYS,
        progress=progress,
    ):
        values = feature.values
        found = kind_of(values)
        if is_osm and found is None:
            report.skipped += 1  # an OSM way or area that is no water (a street, a building, a park)
            continue
        if found is None and kind is None and values.get("kind"):
            unknown.setdefault(values["kind"], feature.where)
        before = problems.total
        name = values.get("name", "")
        if len(name) > 200:
            problems.add(f"{feature.where}, field {mapping.name or 'name'}", "name is over 200 characters")
        geom = feature.geom
        if geom is not None and not shapely.is_empty(geom) and geom.geom_type in LINEAR:
            geom = line_repair(geom, where=feature.where, problems=problems, warnings=report.warnings)
        elif geom is not None and not shapely.is_empty(geom) and geom.geom_type not in POLYGONAL:
            problems.add(f"{feature.where}, field geometry", f"expected a polygon or a line, got {geom.geom_type}")
            continue
        else:
            geom = area_repair(geom, where=feature.where, problems=problems, warnings=report.warnings)
        if problems.total == before and geom is not None:
            rows.append((name, kind or found or Water.Kind.OTHER, geom, feature.where))
    for word, where in list(unknown.items())[:10]:
        report.warnings.append(
            f"{path}, {where}: kind {word!r} is not known (river, lake, canal, other; Fluss, See, Kanal, …): "
            "imported as other; pass --kind to set one kind for the whole file"
        )
    return rows


def _write(rows: list, *, source: str, replace_demo: bool, report: ImportReport) -> None:
    replaced = Water.objects.filter(source=source)
    if replace_demo:
        replaced = Water.objects.filter(source=source) | Water.objects.filter(is_demo=True)
    report.updated = replaced.delete()[0]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {Water._meta.db_table} (name, kind, geom, source, is_demo) FROM STDIN") as copy,
    ):
        for name, kind, geom, _where in rows:
            copy.write_row(
                (name, kind, f"SRID=25832;{shapely.to_wkt(geom, rounding_precision=3, trim=True)}", source, False)
            )
    report.created = len(rows)


def water_import(
    *,
    path: Path,
    mapping: WaterMapping | None = None,
    kind: str | None = None,
    layer: str | None = None,
    crs: str | None = None,
    strict: bool = False,
    replace_demo: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Replace the water bodies an earlier import of the same file brought with the file's; atomic.

    ``kind`` gives every feature that kind; else each feature's kind field (unknown words: other, with a
    warning). ``report.updated`` counts the rows replaced, ``report.created`` the rows written.
    """
    path = Path(path)
    report = ImportReport(path=str(path), kind="water", dry_run=dry_run)
    if kind is not None and kind not in Water.Kind.values:
        raise InvalidInputError(f"kind {kind!r} is not one of {', '.join(Water.Kind.values)}", where="--kind")
    if not path.exists():
        raise ImportFailed("no such file", where=str(path))
    problems = Problems(path)
    rows = _read(
        path,
        mapping=mapping or WaterMapping(),
        kind=kind,
        layer=layer,
        crs=crs,
        report=report,
        problems=problems,
        progress=progress,
    )
    problems.raise_if_any()
    outside = outside_city([geom for _n, _k, geom, _w in rows], city_boundary(), report=report)
    if outside.any():
        places = [row[3] for row, out in zip(rows, outside, strict=True) if out]
        if strict:
            failing = Problems(path)
            for where in places:
                failing.add(f"{where}, field geometry", "lies entirely outside the city")
            failing.raise_if_any()
        report.warnings.append(
            f"{path}: {len(places)} water bod(ies) outside the city were skipped (e.g. {', '.join(places[:5])}); "
            "use --strict to fail"
        )
        report.skipped += len(places)
        rows = [row for row, out in zip(rows, outside, strict=True) if not out]
    try:
        with transaction.atomic():
            _write(rows, source=path.name, replace_demo=replace_demo, report=report)
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        raise ImportFailed(f"the database refused the import, nothing was written: {exc}", where=str(path)) from exc
    logger.info("%s", report.finish().summary())
    return report
