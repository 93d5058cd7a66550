"""Feature reading and geometry repair shared by the street and water importers (context layers).

``features_read`` yields one record per feature of a GDAL vector file, reprojected to EPSG:25832, with
its values under our keys (a field mapping or the usual names); ``line_repair`` and ``area_repair``
turn a feature's geometry into the MultiLineString or MultiPolygon the tables hold, repairing what can
be repaired unambiguously (with a warning naming the feature) and reporting the rest as problems with
the feature's number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from geoportal.errors import ImportFailed
from layers.importers.base import ImportReport, Problems, Progress
from layers.importers.readers import text_value
from layers.importers.vector import fields_resolve, vector_frame, vector_layers

LINEAR = ("LineString", "MultiLineString", "LinearRing")
POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(slots=True)
class Feature:
    where: str  # "feature 3" or "layer lines, feature 3"
    geom: shapely.Geometry | None
    values: dict[str, str]


def features_read(
    path: Path,
    *,
    requested: dict[str, str | None],
    defaults: dict[str, tuple[str, ...]],
    layer: str | None,
    crs: str | None,
    report: ImportReport,
    osm_layers: tuple[str, ...],
    osm_keys: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
    progress: Progress | None = None,
) -> Iterator[Feature]:
    """Every feature of the file's layer (OSM files: of ``osm_layers``), values keyed as ``requested``.

    A key named in ``requested`` must be a field of the file; other keys are looked up among
    ``defaults`` (case-insensitively) and are empty when the file has none of them, which is an
    ImportFailed for the ``required`` ones (option ``--<key>-field``).
    """
    is_osm = path.suffix.lower() in (".osm", ".pbf")
    for name in vector_layers(path, layer=layer, where=str(path), osm=osm_layers):
        frame, report.crs = vector_frame(path, layer=name, crs=crs, warnings=report.warnings, osm_keys=osm_keys)
        report.read += len(frame)
        columns = list(frame.columns)
        fields = fields_resolve(columns, requested=requested, required=(), where=f"{path}, layer {name}")
        lower = {c.lower(): c for c in columns if c != "geometry"}
        for key, candidates in defaults.items():
            if fields.get(key) is None and not requested.get(key):
                fields[key] = next((lower[c] for c in candidates if c in lower), None)
            if key in required and fields.get(key) is None:
                raise ImportFailed(
                    f"no {key} field found (looked for {', '.join(candidates)}); pass --{key}-field; "
                    f"available fields: {', '.join(lower.values())}",
                    where=f"{path}, layer {name}",
                )
        values = {key: frame[col].tolist() if col else None for key, col in fields.items()}
        prefix = f"layer {name}, " if is_osm or layer else ""
        for i, geom in enumerate(frame.geometry.values):
            yield Feature(
                where=f"{prefix}feature {i + 1}",
                geom=geom,
                values={key: text_value(col[i]) if col is not None else "" for key, col in values.items()},
            )
        if progress:
            progress(len(frame))


def _flat(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.force_2d(geom) if shapely.has_z(geom) else geom


def line_repair(geom, *, where: str, problems: Problems, warnings: list[str]) -> shapely.MultiLineString | None:
    """A MultiLineString in 2D without repeated points; None (and a problem) when the feature has no usable line."""
    if geom is None or shapely.is_empty(geom):
        problems.add(f"{where}, field geometry", "geometry is missing or empty (expected a line)")
        return None
    if geom.geom_type == "GeometryCollection":
        lines = [g for g in shapely.get_parts(geom) if g.geom_type in LINEAR]
        if not lines:
            problems.add(f"{where}, field geometry", "the geometry collection holds no line")
            return None
        warnings.append(f"{problems.path}, {where}: only the lines of a geometry collection were taken")
        geom = shapely.MultiLineString([part for g in lines for part in shapely.get_parts(g)])
    if geom.geom_type not in LINEAR:
        problems.add(f"{where}, field geometry", f"expected a line or multiline, got {geom.geom_type}")
        return None
    parts = []
    dropped = 0
    for part in shapely.get_parts(shapely.remove_repeated_points(_flat(geom))):
        coords = shapely.get_coordinates(part)
        if len(np.unique(coords, axis=0)) >= 2 and np.isfinite(coords).all():
            parts.append(shapely.LineString(coords))
        else:
            dropped += 1
    if not parts:
        problems.add(f"{where}, field geometry", "the line has fewer than two distinct points")
        return None
    if dropped:
        warnings.append(f"{problems.path}, {where}: {dropped} part(s) of fewer than two distinct points dropped")
    return shapely.MultiLineString(parts)


def area_repair(geom, *, where: str, problems: Problems, warnings: list[str]) -> shapely.MultiPolygon | None:
    """A valid MultiPolygon in 2D, repaired with make_valid when that leaves an area; None (and a problem) else."""
    if geom is None or shapely.is_empty(geom):
        problems.add(f"{where}, field geometry", "geometry is missing or empty (expected a polygon)")
        return None
    if geom.geom_type not in POLYGONAL:
        problems.add(f"{where}, field geometry", f"expected a polygon or multipolygon, got {geom.geom_type}")
        return None
    geom = _flat(geom)
    if not shapely.is_valid(geom):
        reason = shapely.is_valid_reason(geom)
        fixed = shapely.make_valid(geom)
        polygons = [g for g in shapely.get_parts(fixed) if g.geom_type in POLYGONAL and not g.is_empty]
        if not polygons:
            problems.add(
                f"{where}, field geometry",
                f"invalid polygon ({reason}) cannot be repaired (make_valid leaves no area, only {fixed.geom_type})",
            )
            return None
        warnings.append(f"{problems.path}, {where}: invalid polygon ({reason}) repaired")
        geom = shapely.union_all(polygons)
    if geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    return geom


def outside_city(
    geoms: list[shapely.Geometry], boundary: shapely.Geometry | None, *, report: ImportReport
) -> np.ndarray:
    """Which of ``geoms`` do not touch the city at all (all False without a boundary, with a warning)."""
    if boundary is None:
        report.warnings.append("no city boundary in the database (run load_city): positions were not checked")
        return np.zeros(len(geoms), dtype=bool)
    if not geoms:
        return np.zeros(0, dtype=bool)
    return ~shapely.intersects(boundary, np.array(geoms, dtype=object))
