"""Where a row lies: its geometry (read, reprojected, repaired, inside the city), a point or an address."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from layers.models import SRID
from rollout.importers.ewkb import ewkb_hex, stack
from rollout.readers import Report


def crs_transformer(crs: str | None, *, report: Report) -> tuple[Transformer, bool] | None:
    """The transformation from ``crs`` to EPSG:25832 and whether it is the identity; None (reported) when the
    CRS is missing or unknown. Shared by every import through rollout.readers (plans, roadworks)."""
    if crs is None:
        report.error("missing coordinate reference system", field="crs", expected="e.g. EPSG:25832")
        return None
    try:
        source = CRS.from_user_input(crs)
    except CRSError:
        report.error("unknown coordinate reference system", field="crs", value=crs, expected="an EPSG code")
        return None
    # Most files come in the city's CRS: then there is nothing to transform.
    return Transformer.from_crs(source, CRS.from_epsg(SRID), always_xy=True), source == CRS.from_epsg(SRID)


class PlacementChecks:
    """FeatureValidator's geometry checks (a mixin: the state lives on the validator)."""

    def _prepare_geometry_source(self) -> bool:
        """Work out where geometries come from and set up the CRS transformation; False if impossible."""
        has_geoms = self.table.spatial
        crs = self.table.crs
        if not has_geoms and "wkt" in self.columns:
            crs = self.columns.get("crs") or crs
        elif not has_geoms and {"lat", "lon"} <= self.columns.keys():
            crs = "EPSG:4326"
        elif not has_geoms:
            if not {"street", "house_number", "postcode"} <= self.columns.keys():
                self.report.error(
                    "no geometry and no address columns",
                    field="file",
                    expected="polygons, a WKT column, lat/lon columns or street + house_number + postcode",
                )
                return False
            return True
        found = crs_transformer(crs, report=self.report)
        if found is None:
            return False
        self.transformer, self.identity = found
        return True

    def _clean_polygons(self) -> tuple[np.ndarray, np.ndarray]:
        """Transform, check and serialise all of the file's polygons at once (GEOS and PROJ over arrays).

        Only geometries that need no report entry of their own (non-empty, polygonal, valid, finite after
        transformation, with an area) are handled here; every other row takes the per-row path in _place,
        so reports are the same either way. Returns the rows (0-based) of clean polygons inside the city and
        their hex EWKB; clean polygons that reach outside the city go to ``self.clean`` for _place to report.
        """
        none = np.zeros(0, dtype=np.intp), np.zeros(0, dtype=object)
        if self.transformer is None or not self.table.spatial:
            return none
        geoms = np.asarray(self.table.geoms, dtype=object)
        rows = np.flatnonzero(shapely.is_geometry(geoms))
        geoms = geoms[rows]
        keep = ~shapely.is_empty(geoms) & np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
        rows, geoms = rows[keep], geoms[keep]
        if not len(rows):
            return none
        if not self.identity:  # (in this thread: a pyproj Transformer is not to be shared between threads)
            geoms = shapely.transform(geoms, lambda xy: stack(self.transformer.transform(xy[:, 0], xy[:, 1])))
        keep, inside, intersects, wkb = _polygons_checked(geoms, self.city)
        rows = rows[keep]
        for r, w, i in zip(rows[~inside].tolist(), wkb[~inside].tolist(), intersects[~inside].tolist(), strict=True):
            self.clean[r + 1] = (w, i, False)
        return rows[inside], wkb[inside]

    def _geometry_of(self, row: dict, index: int) -> shapely.Geometry | None:
        geom = self.table.geoms[index - 1]
        if geom is None and "wkt" in self.columns:
            text = self.value(row, "wkt")
            try:
                geom = shapely.from_wkt(text) if text else None
            except shapely.errors.GEOSException:
                self.report.error("unreadable WKT", row=index, field="wkt", value=text, expected="WKT polygon")
                return None
        if geom is None and self.value(row, "lat") is not None:
            try:
                geom = shapely.Point(float(self.value(row, "lon")), float(self.value(row, "lat")))
            except (TypeError, ValueError):
                self.report.error("unreadable coordinates", row=index, field="lat/lon", expected="decimal degrees")
                return None
        return geom

    def _place(self, row: dict, index: int, feature: dict | None) -> bool:
        """Attach a polygon or addresses to ``feature``; report and return False when neither works."""
        if self.transformer is None:
            return self._place_by_address(row, index, feature)
        if index in self.clean:
            return self._place_clean(index, feature)
        geom = self._geometry_of(row, index)
        if geom is None or geom.is_empty:
            self.report.error("empty geometry", row=index, field="geometry", expected="a polygon")
            return False
        geom = shapely.transform(geom, lambda xy: stack(self.transformer.transform(xy[:, 0], xy[:, 1])))
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            # GDAL falls back to WGS 84 for a CRS it does not know; metre coordinates then do not transform.
            self.report.error(
                "coordinates do not fit the coordinate reference system",
                row=index,
                field="crs",
                value=self.table.crs,
                expected="the CRS the coordinates are in, e.g. EPSG:25832",
            )
            return False
        if isinstance(geom, shapely.Point):
            return self._place_by_point(geom, index, feature)
        geom = self._repair(geom, index)
        if geom is None:
            return False
        if not geom.intersects(self.city):
            self.report.error("feature lies outside the city", row=index, field="geometry", expected="within the city")
            return False
        if not self.city.contains(geom):
            self.report.warning("feature extends beyond the city", row=index, field="geometry")
        if feature is not None:
            feature["geom"] = ewkb_hex(geom)
        return True

    def _place_clean(self, index: int, feature: dict | None) -> bool:
        wkb, intersects, inside = self.clean[index]
        if not intersects:
            self.report.error("feature lies outside the city", row=index, field="geometry", expected="within the city")
            return False
        if not inside:
            self.report.warning("feature extends beyond the city", row=index, field="geometry")
        if feature is not None:
            feature["geom"] = wkb
        return True

    def _repair(self, geom: shapely.Geometry, index: int) -> shapely.MultiPolygon | None:
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            geom = shapely.make_valid(geom)
            self.report.warning("invalid geometry repaired", row=index, field="geometry", value=reason)
        polygons = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)]
        parts = [part for p in polygons for part in shapely.get_parts(p)]
        if not parts or shapely.MultiPolygon(parts).area == 0:
            self.report.error("not a polygon", row=index, field="geometry", value=geom.geom_type, expected="polygon")
            return None
        return shapely.MultiPolygon(parts)

    def _place_by_point(self, point: shapely.Point, index: int, feature: dict | None) -> bool:
        if feature is not None:
            self.matcher.add_point(feature, row=index, x=point.x, y=point.y)
        return True

    def _place_by_address(self, row: dict, index: int, feature: dict | None) -> bool:
        street, number, postcode = (self.value(row, f) for f in ("street", "house_number", "postcode"))
        if street is None or number is None or postcode is None:
            self.report.error("incomplete address", row=index, field="street/house_number/postcode")
            return False
        if feature is not None:
            self.matcher.add_key(feature, row=index, street=str(street), number=str(number), postcode=str(postcode))
        return True


# From this many polygons on, their checks run in parallel threads (GEOS releases the GIL): on two idle cores
# the validity and inside-the-city checks of the benchmark's 100,000 polygons take ~0.05 s instead of ~0.09 s.
# (Their EWKB, ~0.1 s, gains little: numpy's scatter and the hex strings hold the GIL for most of it.)
PARALLEL_MIN_POLYGONS = 20000
_THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def _polygons_checked(
    geoms: np.ndarray, city: shapely.Geometry
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which of ``geoms`` (polygonal, non-empty, in EPSG:25832) are clean: finite, valid, with an area.

    Returns that mask over ``geoms`` and, for the clean ones in their order, whether each lies inside the
    city, whether it intersects it, and its hex EWKB. Large arrays are checked in contiguous parts, one thread
    each (every thread with its own prepared copy of the city: GEOS's prepared geometries are not to be
    shared between threads); the parts' results are joined in order, so the result is the same either way.
    """
    parts = _THREADS if len(geoms) >= PARALLEL_MIN_POLYGONS else 1
    if parts == 1:
        return _polygons_checked_part(geoms, city)
    city_wkb = shapely.to_wkb(city)
    with ThreadPoolExecutor(max_workers=parts) as pool:
        results = list(pool.map(lambda part: _polygons_checked_part(part, city_wkb), np.array_split(geoms, parts)))
    return tuple(np.concatenate(column) for column in zip(*results, strict=True))


def _polygons_checked_part(
    geoms: np.ndarray, city: shapely.Geometry | bytes
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(city, bytes):
        city = shapely.from_wkb(city)
    shapely.prepare(city)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    broken = np.zeros(len(geoms), dtype=bool)
    broken[owner[~np.isfinite(coords).all(axis=1)]] = True
    keep = ~broken & shapely.is_valid(geoms)
    keep[keep] = shapely.area(geoms[keep]) > 0
    clean = geoms[keep]
    inside = shapely.contains(city, clean)
    intersects = inside.copy()
    intersects[~inside] = shapely.intersects(city, clean[~inside])
    wkb = np.empty(len(clean), dtype=object)
    wkb[:] = ewkb_hex(clean)
    return keep, inside, intersects, wkb
