"""Coordinate reference systems of the OGC API (Features Part 2), resolved without pyproj.

Stand-alone pygeoapi builds pyproj CRS objects several times per request; here
the four supported CRSs are a fixed table, transformations run in PostGIS with
integer SRIDs, and bounding boxes are brought to CRS84 with plain arithmetic
(clipped to where the storage CRS is usable, split at the antimeridian) before
PostGIS transforms them to the storage CRS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.contrib.gis.geos import MultiPolygon, Polygon

from geoportal.errors import InvalidInputError, UnknownCRSError

STORAGE_SRID = 25832


@dataclass(frozen=True)
class SupportedCrs:
    uri: str
    srid: int
    # EPSG:4326 has latitude first; PostGIS stores longitude first.
    lat_first: bool
    # Decimal places in output: 7 for degrees (~1 cm), 3 for metres.
    precision: int


CRS84 = SupportedCrs("http://www.opengis.net/def/crs/OGC/1.3/CRS84", 4326, False, 7)
EPSG_4326 = SupportedCrs("http://www.opengis.net/def/crs/EPSG/0/4326", 4326, True, 7)
EPSG_25832 = SupportedCrs("http://www.opengis.net/def/crs/EPSG/0/25832", 25832, False, 3)
EPSG_3857 = SupportedCrs("http://www.opengis.net/def/crs/EPSG/0/3857", 3857, False, 3)
SUPPORTED = (CRS84, EPSG_4326, EPSG_25832, EPSG_3857)
STORAGE = EPSG_25832

_BY_NAME: dict[str, SupportedCrs] = {}
for _crs in SUPPORTED:
    _code = _crs.uri.rsplit("/", 1)[1]
    _authority = "OGC" if _code == "CRS84" else "EPSG"
    for _alias in (
        _crs.uri,
        f"[{_authority}:{_code}]",
        f"{_authority}:{_code}",
        f"urn:ogc:def:crs:{_authority}::{_code}",
        f"urn:ogc:def:crs:{_authority}:{'1.3' if _authority == 'OGC' else '0'}:{_code}",
    ):
        _BY_NAME[_alias] = _crs

# Where EPSG:25832 gives finite, usable coordinates, in CRS84. EPSG's area of
# use is 6°E-12°E, but NRW reaches 5.87°E and Transverse Mercator stays
# finite and accurate to metres well beyond: clip generously, never to infinity.
STORAGE_AREA_CRS84 = (0.0, 30.0, 18.0, 84.5)
# EPSG:3857 is defined up to +-85.0511° latitude, i.e. this many metres.
MERCATOR_MAX = 20037508.342789244
EARTH_RADIUS_3857 = 6378137.0


def crs_get(uri: str | None) -> SupportedCrs:
    """The supported CRS named by ``uri``; CRS84 when none is given."""
    if uri is None or uri == "":
        return CRS84
    try:
        return _BY_NAME[uri.strip()]
    except KeyError:
        supported = ", ".join(c.uri for c in SUPPORTED)
        raise UnknownCRSError(f"CRS {uri!r} is not supported; use one of {supported}", where="crs") from None


def bbox_geometry(bbox: list[float], crs: SupportedCrs) -> Polygon | MultiPolygon | None:
    """The area selected by ``bbox`` (given in ``crs``) as a GEOS geometry, or None if it selects nothing.

    The result is in the storage CRS or in CRS84 (SRID 4326); PostGIS transforms
    the latter in the query.
    """
    minx, miny, maxx, maxy = bbox
    if crs.srid == STORAGE_SRID:
        if minx > maxx:
            raise InvalidInputError("the minimum easting is greater than the maximum", where="bbox")
        polygon = Polygon.from_bbox((minx, miny, maxx, maxy))
        polygon.srid = STORAGE_SRID
        return polygon
    if crs.lat_first:
        minx, miny, maxx, maxy = miny, minx, maxy, maxx
    elif crs.srid == 3857:
        if minx > maxx:
            raise InvalidInputError("the minimum easting is greater than the maximum", where="bbox")
        minx, miny = _mercator_to_lonlat(minx, miny)
        maxx, maxy = _mercator_to_lonlat(maxx, maxy)
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise InvalidInputError("longitude must be within -180..180 and latitude within -90..90", where="bbox")
    # A box crossing the antimeridian (west edge east of the east edge) is two boxes.
    parts = [(minx, miny, maxx, maxy)] if minx <= maxx else [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]
    polygons = [p for p in (_clipped_lonlat_polygon(part) for part in parts) if p is not None]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else MultiPolygon(*polygons, srid=4326)


def _mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    x = max(-MERCATOR_MAX, min(MERCATOR_MAX, x))
    y = max(-MERCATOR_MAX, min(MERCATOR_MAX, y))
    # Clamp: floating point puts the mercator edge a hair beyond 180°.
    lon = max(-180.0, min(180.0, math.degrees(x / EARTH_RADIUS_3857)))
    lat = math.degrees(math.atan(math.sinh(y / EARTH_RADIUS_3857)))
    return lon, lat


def _clipped_lonlat_polygon(box: tuple[float, float, float, float], steps: int = 8) -> Polygon | None:
    """``box`` clipped to the storage CRS's usable area, densified so its edges stay curves after projection."""
    a_minx, a_miny, a_maxx, a_maxy = STORAGE_AREA_CRS84
    minx, miny = max(box[0], a_minx), max(box[1], a_miny)
    maxx, maxy = min(box[2], a_maxx), min(box[3], a_maxy)
    if minx > maxx or miny > maxy:
        return None
    xs = [minx + (maxx - minx) * i / steps for i in range(steps + 1)]
    ys = [miny + (maxy - miny) * i / steps for i in range(steps + 1)]
    ring = (
        [(x, miny) for x in xs]
        + [(maxx, y) for y in ys[1:]]
        + [(x, maxy) for x in reversed(xs[:-1])]
        + [(minx, y) for y in reversed(ys[:-1])]
    )
    return Polygon(ring, srid=4326)
