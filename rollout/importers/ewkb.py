"""Geometries as hex EWKB in EPSG:25832, coordinates rounded to millimetres, over shapely and numpy arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from layers.models import SRID


def ewkb_hex(geoms: Any) -> Any:
    """Hex EWKB MultiPolygons in EPSG:25832 with coordinates rounded to millimetres (one geometry or an array).

    Hex EWKB is what PostGIS reads fastest from COPY (no WKT parsing); rounding keeps a file's float noise
    out of stored areas and diffs. Written with numpy from the coordinate and offset arrays of
    ``shapely.to_ragged_array`` (the same bytes as rounding, ``multipolygons`` and ``to_wkb`` per geometry,
    at a fraction of the cost). Polygons and MultiPolygons only.
    """
    single = isinstance(geoms, shapely.Geometry)
    geoms = np.asarray([geoms] if single else geoms, dtype=object)
    # Most plans are polygons without holes: their one ring is all their coordinates (no ring objects needed).
    simple = (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    if simple.all():
        hexes = ewkb_arrays(
            shapely.get_coordinates(geoms),
            np.concatenate(([0], np.cumsum(shapely.get_num_coordinates(geoms)))),
            np.arange(len(geoms) + 1),
            np.arange(len(geoms) + 1),
        )
    elif not simple.any():
        kind, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
        if kind == shapely.GeometryType.POLYGON:
            offsets = (*offsets, np.arange(len(offsets[1])))
        hexes = ewkb_arrays(coords, *offsets)
    else:
        hexes = np.empty(len(geoms), dtype=object)
        hexes[simple] = ewkb_hex(geoms[simple])
        hexes[~simple] = ewkb_hex(geoms[~simple])
        hexes = hexes.tolist()
    return hexes[0] if single else hexes


def ewkb_arrays(
    coords: np.ndarray, ring_offsets: np.ndarray, polygon_offsets: np.ndarray, geom_offsets: np.ndarray
) -> list[str]:
    """Hex EWKB MultiPolygons from ragged arrays (``shapely.to_ragged_array``'s layout for MultiPolygons)."""
    if len(geom_offsets) < 2:
        return []
    points = np.diff(ring_offsets)  # per ring
    rings = np.diff(polygon_offsets)  # per polygon
    polygons = np.diff(geom_offsets)  # per geometry
    # Byte sizes: ring = count + points; polygon = order + type + count + rings; geometry = order + type +
    # SRID + count + polygons. Cumulative sums give each part's start.
    ring_end = np.concatenate(([0], np.cumsum(4 + 16 * points)))
    polygon_size = 9 + ring_end[polygon_offsets[1:]] - ring_end[polygon_offsets[:-1]]
    polygon_end = np.concatenate(([0], np.cumsum(polygon_size)))
    geom_size = 13 + polygon_end[geom_offsets[1:]] - polygon_end[geom_offsets[:-1]]
    geom_start = np.concatenate(([0], np.cumsum(geom_size)))
    polygon_geom = np.repeat(np.arange(len(polygons)), polygons)
    polygon_start = geom_start[polygon_geom] + 13 + polygon_end[:-1] - polygon_end[geom_offsets[:-1]][polygon_geom]
    ring_polygon = np.repeat(np.arange(len(rings)), rings)
    ring_start = polygon_start[ring_polygon] + 9 + ring_end[:-1] - ring_end[polygon_offsets[:-1]][ring_polygon]
    out = np.empty(int(geom_start[-1]), dtype=np.uint8)
    headers = [
        _put(out, geom_start[:-1], np.uint8(1), 0x20000006, SRID, polygons),  # little endian, MultiPolygon, SRID
        _put(out, polygon_start, np.uint8(1), 3, rings),
        _put(out, ring_start, points),
    ]
    # Everything that is not a header is coordinates, in the order of ``coords``.
    is_coordinate = np.ones(len(out), dtype=bool)
    for positions in headers:
        is_coordinate[positions] = False
    out[is_coordinate] = np.round(coords, 3).astype("<f8").view(np.uint8).reshape(-1)
    text = out.tobytes().hex()
    bounds = (2 * geom_start).tolist()
    return [text[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _put(out: np.ndarray, starts: np.ndarray, *fields: Any) -> np.ndarray:
    """Write consecutive little-endian fields (one uint8, else uint32; scalars or one per start) at ``starts``.

    Returns the positions written."""
    parts = []
    for value in fields:
        if isinstance(value, np.uint8):
            parts.append(np.broadcast_to(np.asarray(value, dtype=np.uint8).reshape(1, 1), (len(starts), 1)))
        else:
            data = np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype="<u4"), starts.shape))
            parts.append(data.view(np.uint8).reshape(-1, 4))
    data = np.hstack(parts)
    positions = starts[:, None] + np.arange(data.shape[1])
    out[positions] = data
    return positions


def ewkt(geom: str) -> str:
    """A validated feature's geometry (hex EWKB) as EWKT, for the JSON kept on small submissions."""
    return f"SRID={SRID};{shapely.to_wkt(shapely.from_wkb(geom), rounding_precision=3)}"


def stack(xy: tuple) -> Any:
    return np.column_stack(xy)
