"""folium builders for a submission's diff and a plan version's areas: data in, folium.Map out, no queries.

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
from rollout.stages import Stage

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


def layered_map(
    *, groups: list[tuple[str, dict, list[dict]]], city_geojson: str | None, fields: list[str]
) -> folium.Map:
    """A map with one layer per (name, style, features) group, the city boundary and a layer control
    (also the map of coordination.maps).

    Points (address lists) are drawn as circles in the group's colour. ``fields`` are the
    properties the tooltip shows; their values are escaped here (the tooltip writes HTML).
    """
    fmap = PortalMap(location=CITY_CENTRE, zoom_start=12, height="28rem", control_scale=True, zoom_snap=0.5)
    basemap_add(fmap)
    if city_geojson:
        folium.GeoJson(
            {"type": "Feature", "geometry": json.loads(city_geojson), "properties": {}},
            name=_("City boundary"),
            style_function=lambda _f: {"color": BOUNDARY_COLOUR, "weight": 2, "fill": False},
            interactive=False,
        ).add_to(fmap)
    drawn: list[dict] = []
    for name, style, features in groups:
        if not features:
            continue
        escaped = [
            {**f, "properties": {field: str(escape(f["properties"].get(field, ""))) for field in fields}}
            for f in features
        ]
        drawn.extend(escaped)
        folium.GeoJson(
            {"type": "FeatureCollection", "features": escaped},
            name=str(name),
            style_function=lambda _f, style=style: {**style, "fillColor": style["color"]},
            marker=folium.CircleMarker(
                radius=6, color=style["color"], weight=3, fill_color="#ffffff", fill_opacity=0.9
            ),
            tooltip=folium.GeoJsonTooltip(fields=fields, labels=False),
        ).add_to(fmap)
    bounds = _bounds(drawn)
    if bounds is None and city_geojson:
        bounds = _bounds([{"geometry": json.loads(city_geojson)}])
    if bounds is not None:
        fmap.fit_bounds(bounds, max_zoom=17)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap


def diff_map(*, shapes: Mapping[str, list[dict]], city_geojson: str | None = None) -> folium.Map:
    """The diff of a submission: one layer per kind (added, removed, changed), points for address lists."""
    names = {"added": _("Added"), "removed": _("Removed"), "changed": _("Changed")}
    groups = [
        (
            names[kind],
            style,
            [{**f, "properties": {**f["properties"], "kind": names[kind]}} for f in shapes.get(kind, [])],
        )
        for kind, style in DIFF_STYLES.items()
    ]
    return layered_map(groups=groups, city_geojson=city_geojson, fields=["kind", "key"])


# A version's areas by how far they are: colour *and* line pattern differ, each at least 3:1 against white
# (blue 8.0:1, orange 5.0:1, green 5.1:1, grey 7.8:1).
STAGE_GROUPS: dict[str, frozenset[str]] = {
    "planned": frozenset({Stage.PLANNED, Stage.PRE_MARKETING}),
    "building": frozenset({Stage.UNDER_CONSTRUCTION}),
    "built": frozenset({Stage.HOMES_PASSED, Stage.HOMES_CONNECTED, Stage.BOOKABLE}),
    "cancelled": frozenset({Stage.CANCELLED}),
}
STAGE_STYLES: dict[str, dict] = {
    "planned": {"color": "#0b4f9c", "weight": 3, "fillOpacity": 0.15, "dashArray": "10 6"},
    "building": {"color": "#b45309", "weight": 3, "fillOpacity": 0.25, "dashArray": "2 6"},
    "built": {"color": "#1a7f37", "weight": 3, "fillOpacity": 0.35, "dashArray": None},
    "cancelled": {"color": "#4a5360", "weight": 2, "fillOpacity": 0.05, "dashArray": "4 4"},
}


def _stage_group_names() -> dict[str, str]:
    return {
        "planned": _("Planned or pre-marketing"),
        "building": _("Under construction"),
        "built": _("Homes passed, connected or bookable"),
        "cancelled": _("Cancelled"),
    }


def stage_legend() -> list[dict]:
    """The legend of a version's map: label, colour and SVG dash pattern of each stage group."""
    names = _stage_group_names()
    return [
        {"kind": group, "label": names[group], "color": style["color"], "dash": style["dashArray"] or ""}
        for group, style in STAGE_STYLES.items()
    ]


def version_map(*, features: list[dict], city_geojson: str | None = None) -> folium.Map:
    """The areas of one plan version, one layer per stage group; address lists as circles."""
    names = _stage_group_names()
    by_group: dict[str, list[dict]] = {group: [] for group in STAGE_GROUPS}
    for feature in features:
        stage = feature["properties"]["stage"]
        group = next((g for g, stages in STAGE_GROUPS.items() if stage in stages), "planned")
        label = str(Stage(stage).label) if stage in Stage.values else stage
        by_group[group].append({**feature, "properties": {**feature["properties"], "stage": label}})
    groups = [(names[group], STAGE_STYLES[group], by_group[group]) for group in STAGE_STYLES]
    return layered_map(groups=groups, city_geojson=city_geojson, fields=["key", "stage"])
