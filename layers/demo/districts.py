"""Demo Stadtbezirke and Stadtteile: approximate polygons that exactly partition the real city boundary.

No open data has Mülheim's district polygons, so each Stadtteil is the union of
the Voronoi cells of a few seed points near its real centre, clipped to the
city boundary. Voronoi cells tile the plane, so the Stadtteile cannot overlap
or leave gaps; each Stadtbezirk is the union of its Stadtteile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from pyproj import Transformer

from layers.models import SRID, District

SOURCE = "Demo data (generated, approximate; not official boundaries)"


@dataclass(frozen=True)
class Quarter:
    """A Stadtteil: name, code suffix, postcode, urbanity (0 suburban .. 1 inner city) and seed points."""

    name: str
    key: str
    postcode: str
    urbanity: float
    density: float  # relative addresses per km², to spread the address count plausibly
    seeds: tuple[tuple[float, float], ...]  # (lon, lat) near the real centre; several shape the cell


@dataclass(frozen=True)
class Borough:
    name: str
    key: str
    quarters: tuple[Quarter, ...]


# Approximate real centres. The Ruhr runs south to north west of the centre, so
# the Linksruhr seeds lie west of about 6.875° E (6.89° in the south near Mintard).
BOROUGHS: tuple[Borough, ...] = (
    Borough(
        "Rechtsruhr-Süd",
        "RS",
        (
            Quarter("Altstadt I", "AS1", "45468", 1.0, 3.0, ((6.884, 51.426), (6.893, 51.418))),
            Quarter("Heißen", "HEI", "45472", 0.55, 1.6, ((6.922, 51.432), (6.940, 51.420))),
            Quarter("Menden-Holthausen", "MHO", "45470", 0.3, 0.9, ((6.905, 51.405), (6.925, 51.395))),
        ),
    ),
    Borough(
        "Rechtsruhr-Nord",
        "RN",
        (
            Quarter("Altstadt II", "AS2", "45473", 0.85, 2.6, ((6.886, 51.440), (6.874, 51.445))),
            Quarter("Dümpten", "DUE", "45475", 0.5, 1.5, ((6.905, 51.455), (6.925, 51.450))),
            Quarter("Styrum", "STY", "45476", 0.65, 1.8, ((6.860, 51.453), (6.850, 51.460))),
        ),
    ),
    Borough(
        "Linksruhr",
        "LR",
        (
            Quarter("Broich", "BRO", "45479", 0.55, 1.5, ((6.862, 51.425), (6.866, 51.413))),
            Quarter("Saarn", "SAA", "45481", 0.35, 0.8, ((6.875, 51.395), (6.860, 51.375), (6.883, 51.385))),
            Quarter("Speldorf", "SPE", "45478", 0.5, 1.3, ((6.830, 51.425), (6.835, 51.410))),
        ),
    ),
)

QUARTERS: tuple[Quarter, ...] = tuple(q for b in BOROUGHS for q in b.quarters)


def _polygons_only(geom: shapely.Geometry) -> shapely.MultiPolygon:
    """Keep the areal parts: an intersection may also yield stray lines or points along shared edges."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]
    return shapely.MultiPolygon(parts)


def quarter_shapes(city: shapely.Geometry) -> dict[str, shapely.MultiPolygon]:
    """The Stadtteil polygons (by key): unions of clipped Voronoi cells of their seeds."""
    to_utm = Transformer.from_crs(4326, SRID, always_xy=True)
    owners, coords = [], []
    for quarter in QUARTERS:
        for lon, lat in quarter.seeds:
            owners.append(quarter.key)
            coords.append(to_utm.transform(lon, lat))
    # ordered=True returns the cells in the order of the seeds, not GEOS' internal order.
    cells = shapely.voronoi_polygons(shapely.multipoints(np.array(coords)), extend_to=city, ordered=True)
    cells = shapely.get_parts(cells)
    shapes = {}
    for quarter in QUARTERS:
        mine = [cell for cell, owner in zip(cells, owners, strict=True) if owner == quarter.key]
        shape = _polygons_only(shapely.intersection(shapely.union_all(mine), city))
        if shape.is_empty:
            raise ValueError(f"the demo seeds of {quarter.name} lie outside the city boundary")
        shapes[quarter.key] = shape
    return shapes


def _to_geos(shape: shapely.Geometry) -> MultiPolygon:
    geom = GEOSGeometry(memoryview(shapely.to_wkb(_polygons_only(shape))), srid=SRID)
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon(geom, srid=SRID)


def districts_create(*, city: District, shapes: dict[str, shapely.MultiPolygon]) -> dict[str, District]:
    """Create the Stadtbezirke and Stadtteile below ``city``; returns the Stadtteile by key."""
    created = {}
    for borough in BOROUGHS:
        union = shapely.union_all([shapes[q.key] for q in borough.quarters])
        parent = District.objects.create(
            code=f"{city.code}-{borough.key}",
            name=borough.name,
            level=District.Level.BOROUGH,
            parent=city,
            geom=_to_geos(union),
            source=SOURCE,
            is_demo=True,
        )
        for quarter in borough.quarters:
            created[quarter.key] = District.objects.create(
                code=f"{city.code}-{borough.key}-{quarter.key}",
                name=quarter.name,
                level=District.Level.QUARTER,
                parent=parent,
                geom=_to_geos(shapes[quarter.key]),
                source=SOURCE,
                is_demo=True,
            )
    return created
