"""Reader of any vector file GDAL reads (GeoPackage, Shapefile also zipped, GeoJSON, OSM XML/PBF) via pyogrio.

Layers are reprojected to EPSG:25832; OSM tags that GDAL packs into ``other_tags``
are lifted into columns, so ``addr:street`` etc. can be mapped like any field.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from geoportal.errors import ImportFailed, UnknownCRSError
from layers.importers.base import TARGET_CRS, ImportReport, Problems, Progress, crs_parse, crs_resolve
from layers.importers.readers import DEFAULTS, REQUIRED, AddressMapping, AddressRow, address_row_build, text_value


def vector_layers(
    path: Path, *, layer: str | None, where: str, osm: tuple[str, ...] = ("points", "multipolygons")
) -> list[str | int]:
    """The layers to read: the given one, for OSM files those of ``osm`` (addresses: points and
    multipolygons; streets: lines), else the first."""
    try:
        listed = pyogrio.list_layers(path)
    except (DataSourceError, OSError) as exc:
        raise ImportFailed(f"cannot read the file as a GDAL vector dataset: {exc}", where=where) from exc
    names = [str(name) for name, _ in listed]
    if layer:
        if layer not in names:
            raise ImportFailed(f"no layer {layer!r}; the file has: {', '.join(names)}", where=where)
        return [layer]
    if path.suffix.lower() in (".osm", ".pbf"):
        return [name for name in osm if name in names]
    if not names:
        raise ImportFailed("the file holds no layers", where=where)
    return [names[0]]


OTHER_TAGS = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def _other_tags_expand(frame, *, keys: tuple[str, ...] = ()) -> None:
    """OSM files: lift the tags GDAL packs into ``other_tags`` (hstore text) into columns: every ``addr:*``
    tag, and ``keys`` (e.g. ``water``, which GDAL's default configuration leaves there)."""
    if "other_tags" not in frame.columns:
        return
    parsed = [dict(OTHER_TAGS.findall(tags)) if isinstance(tags, str) else {} for tags in frame["other_tags"]]
    keys = sorted({key for tags in parsed for key in tags if key.startswith("addr:") or key in keys})
    for key in keys:
        if key not in frame.columns:
            frame[key] = [tags.get(key) for tags in parsed]


GEOJSON_CRS = re.compile(rb'"crs"\s*:\s*\{[^{}]*"properties"\s*:\s*\{[^{}]*"name"\s*:\s*"([^"]*)"')


def _geojson_crs_check(path: Path, *, where: str) -> None:
    """GDAL silently reads a GeoJSON whose ``crs`` member it does not understand as WGS 84: refuse instead."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return
    with path.open("rb") as fh:
        match = GEOJSON_CRS.search(fh.read(65536))
    if match:
        name = match.group(1).decode("utf-8", errors="replace")
        crs_parse(name, where=f"{where}, member crs")


def vector_frame(path: Path, *, layer: str | int, crs: str | None, warnings: list[str], osm_keys: tuple[str, ...] = ()):
    """(GeoDataFrame of one layer reprojected to EPSG:25832, source CRS); errors name file and layer.
    ``osm_keys``: OSM tags to lift out of ``other_tags`` besides the ``addr:*`` ones."""
    where = f"{path}, layer {layer}"
    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except (DataSourceError, DataLayerError, FieldError, GeometryError, OSError, ValueError) as exc:
        raise ImportFailed(f"cannot read the layer: {exc}", where=where) from exc
    _other_tags_expand(frame, keys=osm_keys)
    file_crs = frame.crs.to_wkt() if frame.crs is not None else None
    _geojson_crs_check(path, where=where)
    prj = path.with_suffix(".prj")
    if file_crs is None and path.suffix.lower() == ".shp" and prj.exists() and not crs:
        raise UnknownCRSError(
            f"{prj.name} holds no coordinate reference system GDAL can read "
            "(expected WKT such as written by QGIS); fix it or pass --crs EPSG:xxxx",
            where=where,
        )
    target = crs_resolve(file_crs, override=crs, where=where, warnings=warnings)
    frame = frame.set_crs(target, allow_override=True)
    if not target.equals(TARGET_CRS):
        frame = frame.to_crs(TARGET_CRS)
    return frame, target.to_string()


def fields_resolve(
    columns: list[str], *, requested: dict[str, str | None], required: tuple[str, ...], where: str
) -> dict[str, str | None]:
    """Map our keys to the file's columns: named ones must exist; others are looked up among the usual names."""
    available = [c for c in columns if c != "geometry"]
    lower = {c.lower(): c for c in available}
    result: dict[str, str | None] = {}
    for key, name in requested.items():
        if name:
            if name not in available:
                raise ImportFailed(
                    f"field {name!r} (--{key}-field) is missing; available fields: {', '.join(available)}", where=where
                )
            result[key] = name
            continue
        result[key] = next((lower[c] for c in DEFAULTS.get(key, ()) if c in lower), None)
        if result[key] is None and key in required:
            raise ImportFailed(
                f"no {key} field found (looked for {', '.join(DEFAULTS[key])}); pass --{key}-field; "
                f"available fields: {', '.join(available)}",
                where=where,
            )
    return result


def vector_addresses_read(
    *,
    path: Path,
    mapping: AddressMapping,
    layer: str | None,
    crs: str | None,
    problems: Problems,
    report: ImportReport,
    progress: Progress | None = None,
) -> list[AddressRow]:
    """Address rows of a vector file in EPSG:25832; sets the report's read, skipped and crs."""
    rows: list[AddressRow] = []
    is_osm = path.suffix.lower() in (".osm", ".pbf")
    for name in vector_layers(path, layer=layer, where=str(path)):
        frame, report.crs = vector_frame(path, layer=name, crs=crs, warnings=report.warnings)
        report.read += len(frame)
        if is_osm and not layer and not {"addr:street", "addr:housenumber"} & set(frame.columns):
            report.skipped += len(frame)  # an OSM layer without any address tags
            continue
        where = f"layer {name}" if is_osm or layer else ""
        fields = fields_resolve(
            list(frame.columns), requested=vars(mapping), required=REQUIRED, where=f"{path}, layer {name}"
        )
        geoms = frame.geometry.values
        empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        points = shapely.point_on_surface(np.where(empty, None, geoms))
        xs, ys = shapely.get_x(points), shapely.get_y(points)
        columns = {key: frame[col].tolist() if col else None for key, col in fields.items()}
        for i in range(len(frame)):
            place = f"{where + ', ' if where else ''}feature {i + 1}"
            if empty[i]:
                problems.add(f"{place}, field geometry", "geometry is missing or empty (expected a point)")
                continue
            values = {key: col[i] for key, col in columns.items() if col is not None}
            if is_osm and not text_value(values.get("street")) and not text_value(values.get("number")):
                report.skipped += 1  # an OSM object that is not an address
                continue
            row = address_row_build(values, fields=fields, where=place, x=xs[i], y=ys[i], problems=problems)
            if row is not None:
                rows.append(row)
        if progress:
            progress(len(frame))
    return rows
