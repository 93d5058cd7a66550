"""folium builder for a submission's diff: data in, folium.Map out, no queries.

Added, removed and changed areas differ in colour *and* in line pattern
(solid, dashed, dotted), so the map reads without colour vision as well;
the page repeats the pattern in its legend and lists every change in a table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import folium
from django.utils.html import escape
from django.utils.translation import gettext as _

from geoportal.webmaps import PortalMap, basemap_add
from layers.maps import BOUNDARY_COLOUR, CITY_CENTRE

# Each at least 3:1 against white (WCAG 2.1 non-text contrast): green 5.0:1, red 6.5:1, purple 6.4:1.
DIFF_STYLES: dict[str, dict] = {
    "added": {"color": "#1a7f37", "weight": 3, "fillOpacity": 0.35, "dashArray": None},
    "removed": {"color": "#b3261e", "weight": 3, "fillOpacity": 0.08, "dashArray": "10 6"},
    "changed": {"color": "#6f42c1", "weight": 3, "fillOpacity": 0.25, "dashArray": "2 6"},
}


def diff_legend() -> list[dict]:
    """What the page's legend shows: label, colour and SVG dash pattern of each kind."""
    labels = {"added": _("Added"), "removed": _("Removed"), "changed": _("Changed")}
    return [
        {"kind": kind, "label": labels[kind], "color": style["color"], "dash": style["dashArray"] or ""}
        for kind, style in DIFF_STYLES.items()
    ]


def _coordinates(geometry: dict) -> Iterable[tuple[float, float]]:
    def walk(node):
        if node and isinstance(node[0], int | float):
            yield node[0], node[1]
        else:
            for child in node:
                yield from walk(child)

    return walk(geometry["coordinates"])


def _bounds(features: Iterable[dict]) -> list[list[float]] | None:
    points = [xy for feature in features for xy in _coordinates(feature["geometry"])]
    if not points:
        return None
    lons, lats = [x for x, _y in points], [y for _x, y in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def diff_map(*, shapes: Mapping[str, list[dict]], city_geojson: str | None = None) -> folium.Map:
    """The diff of a submission: one layer per kind (added, removed, changed), points for address lists."""
    fmap = PortalMap(location=CITY_CENTRE, zoom_start=12, height="28rem", control_scale=True, zoom_snap=0.5)
    basemap_add(fmap)
    if city_geojson:
        folium.GeoJson(
            {"type": "Feature", "geometry": json.loads(city_geojson), "properties": {}},
            name=_("City boundary"),
            style_function=lambda _f: {"color": BOUNDARY_COLOUR, "weight": 2, "fill": False},
            interactive=False,
        ).add_to(fmap)
    names = {"added": _("Added"), "removed": _("Removed"), "changed": _("Changed")}
    drawn: list[dict] = []
    for kind, style in DIFF_STYLES.items():
        features = [
            # GeoJsonTooltip writes values into innerHTML: escape them here.
            {**f, "properties": {"key": str(escape(f["properties"]["key"])), "kind": str(names[kind])}}
            for f in shapes.get(kind, [])
        ]
        if not features:
            continue
        drawn.extend(features)
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=str(names[kind]),
            style_function=lambda _f, style=style: {**style, "fillColor": style["color"]},
            marker=folium.CircleMarker(
                radius=6, color=style["color"], weight=3, fill_color="#ffffff", fill_opacity=0.9
            ),
            tooltip=folium.GeoJsonTooltip(fields=["kind", "key"], labels=False),
        ).add_to(fmap)
    bounds = _bounds(drawn)
    if bounds is None and city_geojson:
        bounds = _bounds([{"geometry": json.loads(city_geojson)}])
    if bounds is not None:
        fmap.fit_bounds(bounds, max_zoom=17)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap
