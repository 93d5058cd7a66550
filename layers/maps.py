"""folium builders for the city's base layers: data in, folium.Map out, no queries.

Callers pass rows that selectors annotated with ``geojson`` (EPSG:4326).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Protocol

import folium
from django.utils.html import escape
from django.utils.translation import gettext as _

from geoportal.webmaps import Attribution, PortalMap, basemap_add

# Colours with at least 3:1 contrast against white, the map background
# without a basemap (WCAG 2.1 non-text contrast).
BOUNDARY_COLOUR = "#1a3d6d"
DISTRICT_COLOUR = "#5a5a8c"
SCHOOL_COLOUR = "#b3261e"
# Mülheim an der Ruhr, for a map without a boundary.
CITY_CENTRE = (51.4275, 6.8825)


class MapFeature(Protocol):
    name: str
    geojson: str


def _feature(row: MapFeature, properties: dict) -> dict:
    return {"type": "Feature", "geometry": json.loads(row.geojson), "properties": properties}


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _boundary_add(fmap: folium.Map, city: MapFeature) -> None:
    folium.GeoJson(
        _collection([_feature(city, {"name": str(escape(city.name))})]),
        name=_("City boundary"),
        style_function=lambda _f: {"color": BOUNDARY_COLOUR, "weight": 3, "fill": False},
        interactive=False,
    ).add_to(fmap)
    fmap.fit_bounds(_bounds(json.loads(city.geojson)))


def _districts_add(fmap: folium.Map, districts: Sequence[MapFeature], *, name: str, weight: int) -> None:
    if not districts:
        return
    folium.GeoJson(
        _collection([_feature(d, {"name": str(escape(d.name))}) for d in districts]),
        name=name,
        style_function=lambda _f: {"color": DISTRICT_COLOUR, "weight": weight, "fill": False, "dashArray": "4 4"},
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(fmap)


def _schools_add(fmap: folium.Map, schools: Sequence) -> None:
    if not schools:
        return
    unknown = _("not known")
    features = [
        # GeoJsonPopup writes values into innerHTML: escape them here.
        _feature(
            s,
            {
                "name": str(escape(s.name)),
                "school_type": str(escape(s.school_type)),
                "pupils": s.pupils if s.pupils is not None else unknown,
            },
        )
        for s in schools
    ]
    folium.GeoJson(
        _collection(features),
        name=_("Schools"),
        marker=folium.CircleMarker(radius=7, color="#ffffff", weight=2, fill_color=SCHOOL_COLOUR, fill_opacity=1),
        popup=folium.GeoJsonPopup(
            fields=["name", "school_type", "pupils"],
            aliases=[str(escape(_("Name"))), str(escape(_("Type"))), str(escape(_("Pupils")))],
        ),
    ).add_to(fmap)


def _bounds(geometry: dict) -> list[list[float]]:
    """[[south, west], [north, east]] of a (Multi)Polygon GeoJSON geometry."""
    rings = geometry["coordinates"] if geometry["type"] == "Polygon" else sum(geometry["coordinates"], [])
    lons = [x for ring in rings for x, _y in ring]
    lats = [y for ring in rings for _x, y in ring]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def city_map(
    *,
    city: MapFeature | None,
    boroughs: Sequence[MapFeature] = (),
    quarters: Sequence[MapFeature] = (),
    schools: Sequence = (),
    attributions: Iterable[str] = (),
) -> folium.Map:
    """The overview map: boundary, Stadtbezirke, Stadtteile and schools, with the data's attributions."""
    # Half zoom steps let the city fill the map instead of a quarter of it.
    fmap = PortalMap(location=CITY_CENTRE, zoom_start=12, height="32rem", control_scale=True, zoom_snap=0.5)
    basemap_add(fmap)
    if city is not None:
        _boundary_add(fmap, city)
    _districts_add(fmap, quarters, name=_("Quarters (Stadtteile)"), weight=1)
    _districts_add(fmap, boroughs, name=_("Boroughs (Stadtbezirke)"), weight=2)
    _schools_add(fmap, schools)
    for text in attributions:
        Attribution(text).add_to(fmap)
    if len(fmap._children) > 2:
        folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap
