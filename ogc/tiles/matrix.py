"""The WebMercatorQuad tile matrix set and the tile ranges that cover the city.

``WebMercatorQuad.json`` is OGC's definition (Two Dimensional Tile Matrix Set
2.0, http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad), vendored
so nothing is fetched at run time. Tile limits come from the city boundary's
extent plus a margin, computed with plain arithmetic and kept per process for a minute.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
# Features up to this far outside the city boundary's extent still get tiles.
MARGIN_M = 1000.0
EXTENT_TTL = 60.0
MAX_LAT = 85.0511287798066


@cache
def tile_matrix_set() -> dict:
    return json.loads((Path(__file__).with_name(f"{TMS_ID}.json")).read_text())


@dataclass(frozen=True)
class Limits:
    zoom: int
    min_row: int
    max_row: int
    min_col: int
    max_col: int

    def contains(self, *, row: int, col: int) -> bool:
        return self.min_row <= row <= self.max_row and self.min_col <= col <= self.max_col

    def as_json(self) -> dict:
        return {
            "tileMatrix": str(self.zoom),
            "minTileRow": self.min_row,
            "maxTileRow": self.max_row,
            "minTileCol": self.min_col,
            "maxTileCol": self.max_col,
        }


def lonlat_to_tile(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """(col, row) of the WebMercatorQuad tile holding the point (XYZ/OGC order: row 0 at the north)."""
    n = 2**zoom
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    col = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    row = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return min(max(col, 0), n - 1), min(max(row, 0), n - 1)


@lru_cache(maxsize=64)
def limits_for(bbox: tuple[float, float, float, float], *, min_zoom: int, max_zoom: int) -> Mapping[int, Limits]:
    """Per zoom, the tile rows and columns covering ``bbox`` (CRS84) widened by MARGIN_M.

    Kept per bbox and zoom range: every tile request asks."""
    west, south, east, north = bbox
    dlat = MARGIN_M / 111_320.0
    dlon = MARGIN_M / (111_320.0 * math.cos(math.radians((south + north) / 2)))
    west, south, east, north = west - dlon, south - dlat, east + dlon, north + dlat
    limits = {}
    for zoom in range(min_zoom, max_zoom + 1):
        min_col, min_row = lonlat_to_tile(west, north, zoom)
        max_col, max_row = lonlat_to_tile(east, south, zoom)
        limits[zoom] = Limits(zoom, min_row, max_row, min_col, max_col)
    return MappingProxyType(limits)


_extent: dict[str, object] = {"at": -math.inf, "bbox": None}


def city_bbox(*, query: bool = True) -> tuple[float, float, float, float] | None:
    """The city boundary's extent in CRS84 (a fallback box before the boundary is loaded).

    ``query=False``: None instead of reading it again when the remembered one is missing or too old."""
    if _extent["bbox"] is None or time.monotonic() - _extent["at"] > EXTENT_TTL:
        if not query:
            return None
        _extent["bbox"] = _city_bbox_query()
        _extent["at"] = time.monotonic()
    return _extent["bbox"]


def city_bbox_forget() -> None:
    _extent["bbox"] = None


def _city_bbox_query() -> tuple[float, float, float, float]:
    from django.contrib.gis.db.models import Extent
    from django.contrib.gis.db.models.functions import Transform

    from layers.models import District
    from layers.selectors import districts_public
    from ogc.config import CITY_BBOX

    found = districts_public().filter(level=District.Level.CITY).aggregate(box=Extent(Transform("geom", 4326)))["box"]
    return tuple(found) if found else tuple(CITY_BBOX)
