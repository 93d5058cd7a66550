"""folium maps of dig-once matches: data in, folium.Map out, no queries (rollout.maps.layered_map draws them).

Works in conflict, works with a chance and the planned fibre areas differ in colour *and* in line pattern
(solid, dotted, dashed), so the map reads without colour vision; the page repeats the patterns in its legend
and lists every match in a table.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from coordination.matching import CONFLICT, Match
from rollout.maps import layered_map

# Each at least 3:1 against white (WCAG 2.1 non-text contrast): red 6.5:1, purple 6.4:1, blue 8.0:1, grey 7.8:1.
STYLES: dict[str, dict] = {
    "conflict": {"color": "#b3261e", "weight": 5, "fillOpacity": 0.3, "dashArray": None},
    "chance": {"color": "#6f42c1", "weight": 5, "fillOpacity": 0.25, "dashArray": "2 8"},
    "works": {"color": "#4a5360", "weight": 4, "fillOpacity": 0.2, "dashArray": None},
    "area": {"color": "#0b4f9c", "weight": 2, "fillOpacity": 0.1, "dashArray": "10 6"},
}


def _names() -> dict[str, str]:
    return {
        "conflict": _("Works with a dig ban in the way"),
        "chance": _("Works to lay fibre with"),
        "works": _("Works without a match"),
        "area": _("Planned fibre construction"),
    }


def match_legend(*, kinds: tuple[str, ...] = ("conflict", "chance", "area")) -> list[dict]:
    names = _names()
    return [
        {"kind": kind, "label": names[kind], "color": STYLES[kind]["color"], "dash": STYLES[kind]["dashArray"] or ""}
        for kind in kinds
    ]


def match_map(*, matches: list[Match], shapes: dict, city_geojson: str | None, works: list[tuple[int, str, dict]] = ()):
    """The works and planned areas of ``matches`` (``shapes`` from coordination.selectors.match_shapes); works
    in conflict drawn as such even where they are also a chance. ``works``: (id, title, GeoJSON) of works to
    draw even without a match (a work's own page)."""
    names = _names()
    kind_of: dict[int, str] = {}
    for match in matches:
        if match.kind == CONFLICT or match.works_id not in kind_of:
            kind_of[match.works_id] = match.kind
    titles = {m.works_id: f"{m.works_title} ({m.owner_name})" for m in matches}
    for pk, title, _geometry in works:
        titles.setdefault(pk, title)
    groups: dict[str, list[dict]] = {"area": [], "conflict": [], "chance": [], "works": []}
    areas = {m.area_id: f"{m.provider_name}: {m.area_key}" for m in matches}
    for pk, geometry in shapes.get("areas", {}).items():
        groups["area"].append(_feature(geometry, label=areas.get(pk, ""), detail=names["area"]))
    drawn = dict(shapes.get("works", {}))
    for pk, _title, geometry in works:
        drawn.setdefault(pk, geometry)
    for pk, geometry in drawn.items():
        kind = kind_of.get(pk, "works")
        groups[kind].append(_feature(geometry, label=titles.get(pk, ""), detail=names[kind]))
    layers = [(names[kind], STYLES[kind], groups[kind]) for kind in ("area", "conflict", "chance", "works")]
    return layered_map(groups=layers, city_geojson=city_geojson, fields=["label", "detail"])


def _feature(geometry: dict, *, label: str, detail: str) -> dict:
    # layered_map escapes the tooltip's fields (they are written as HTML).
    return {"type": "Feature", "geometry": geometry, "properties": {"label": label, "detail": detail}}
