"""The residents' map: MapLibre GL JS over this site's own vector tiles, one component for every page.

The contract (the home page uses it now; the address page will):

    from residents.maps import portal_map
    context["portal_map"] = portal_map(center=(lon, lat), zoom=16, highlight_address_id=address.pk,
                                       layers=("context", "status", "areas"))

    {% include "residents/_portal_map.html" with map=portal_map %}   {# in the page's content #}

``portal_map`` returns a dict for the snippet ``residents/_portal_map.html``, which renders the map element
(its ``data-*`` attributes configure ``static/residents/js/portal-map.js``, a module script: no inline
script, nothing for the CSP nonce to cover), the legend as HTML text (every stage the map colours, with the
number of addresses in it; every provider layer with its colour and count), the layer switches and a line
that says what the map view shows, for screen readers. Keys of the dict:

- ``id``: the element's id (``map_id``, default "portal-map"; one map per page),
- ``attributes``: data-* names (without "data-") → text values, for the element,
- ``stages``: the legend, [{"code", "label", "colour", "count"}] in rank order (cancelled last),
- ``providers``: [{"slug", "name", "colour", "count"}] of providers with a published plan (when
  "providers" is among the layers),
- ``layers``: the layers asked for, ``highlight_address_id``, and ``alternatives``: links to the search and
  the district pages, which give keyboard and screen reader users everything the map shows.

``center`` is (longitude, latitude) in WGS 84, ``zoom`` a web map zoom level; without them the map shows the
whole city. ``highlight_address_id`` rings that address. ``layers`` (any of ``LAYERS``):

- ``context``: streets (with name labels), water, the city boundary; always drawn, the map's base,
- ``status``: one point per address coloured by its best published stage (from z13),
- ``areas``: the providers' published rollout areas, tinted by stage (the overview below z13),
- ``providers``: a switchable layer per provider (its availability points and areas in its colour),
- ``districts``: Stadtbezirke and Stadtteile,
- ``schools``: the schools.

Street names are drawn with Noto Sans, a font file of this site (static/vendor/noto-sans-5.3.0), through
MapLibre's ``font-faces`` (its glyphs are made in the browser): no glyph server, no third-party request.
Everything here is published data; this module reads it through the selectors (published only).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable

from django.conf import settings
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from geoportal.data_version import data_versions
from geoportal.errors import InvalidInputError
from layers.selectors import layer_list, water_public
from ogc.tiles.matrix import city_bbox
from rollout.selectors import address_status_counts, provider_address_counts, providers_published
from rollout.stages import STAGE_RANK, Stage

MAPLIBRE = "vendor/maplibre-gl-6.17.0"
FONT = "vendor/noto-sans-5.3.0"
LAYERS = ("context", "status", "areas", "providers", "districts", "schools")
HOME_LAYERS = LAYERS
STATUS_MIN_ZOOM = 13  # the address-status tileset's (ogc/tiles/sources.py)
COUNTED_TABLES = ["rollout_availability", "rollout_provider"]

# Stage colours: each at least 3:1 against white and the map's background (WCAG 2.1 non-text contrast,
# tests/residents/test_maps.py checks), distinct in hue along the build chain; the legend and the popups
# name the stage too, so no one needs to tell colours apart.
STAGE_COLOURS = {
    Stage.BOOKABLE: "#1a7f37",
    Stage.HOMES_CONNECTED: "#0f6e6e",
    Stage.HOMES_PASSED: "#2f5fb3",
    Stage.UNDER_CONSTRUCTION: "#b54708",
    Stage.PRE_MARKETING: "#a3177a",
    Stage.PLANNED: "#6f4ab0",
    Stage.CANCELLED: "#595959",
}
BACKGROUND = "#f4f2ee"
# The catalogue entries whose data each layer draws, for the attribution.
CREDITS = {
    "context": ("strassen", "stadtgrenze"),
    "status": ("ausbaustand",),
    "areas": ("ausbaugebiete",),
    "providers": ("verfuegbarkeit", "ausbaugebiete"),
    "districts": ("stadtbezirke",),
    "schools": ("schulen",),
}
# Where the map's content is also reachable without it (URL names of the residents' pages).
ALTERNATIVES = (
    ("residents:search", pgettext_lazy("portal map", "Address search")),
    ("residents:districts", pgettext_lazy("portal map", "Boroughs and quarters")),
)


def _ogc(path: str) -> str:
    return f"/ogc/collections/{path}"


def _tiles(collection: str) -> str:
    return _ogc(f"{collection}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}")


# The legend's numbers by the data versions they were counted at: counting reads every availability row
# (~20-40 ms at city size), the versions are known without a query (geoportal/data_version.py).
_counted: dict[tuple, tuple[dict, dict]] = {}


def _counts() -> tuple[dict, dict]:
    versions = data_versions(tables=COUNTED_TABLES)
    found = _counted.get(versions) if versions is not None else None
    if found is None:
        found = (address_status_counts(), provider_address_counts())
        if versions is not None:
            _counted.clear()
            _counted[versions] = found
    return found


def _stages() -> list[dict]:
    counts = _counts()[0]
    order = sorted(STAGE_RANK, key=lambda stage: (stage == Stage.CANCELLED, -STAGE_RANK[stage]))
    return [
        {
            "code": str(stage),
            "label": str(Stage(stage).label),
            "colour": STAGE_COLOURS[stage],
            "count": counts.get(stage, 0),
        }
        for stage in order
    ]


def _providers() -> list[dict]:
    counts = _counts()[1]
    return [
        {"slug": p.slug, "name": p.name, "colour": p.colour, "count": counts.get(p.pk, 0)}
        for p in providers_published()
    ]


def _attribution(layers: Iterable[str], *, water: bool) -> str:
    """The drawn layers' attributions from the catalogue, HTML-escaped (MapLibre inserts attributions as HTML)."""
    slugs = [slug for layer in layers for slug in CREDITS.get(layer, ())] + (["gewaesser"] if water else [])
    texts = dict(layer_list(slugs=slugs).values_list("slug", "attribution"))
    ordered = list(dict.fromkeys(texts[slug] for slug in slugs if slug in texts))
    # Python's escape, not Django's: a plain str, so the template escapes it once more for the attribute.
    return " · ".join(html.escape(text) for text in ordered)


def _alternatives() -> list[dict]:
    links = []
    for name, text in ALTERNATIVES:
        try:
            links.append({"url": reverse(name), "text": str(text)})
        except NoReverseMatch:  # the page is not there (yet): no dead link
            continue
    return links


def _locale() -> dict[str, str]:
    """MapLibre's own texts (buttons, the canvas's label) in the page's language."""
    return {
        "Map.Title": _("Map of the fibre rollout"),
        "NavigationControl.ZoomIn": pgettext("portal map", "Zoom in"),
        "NavigationControl.ZoomOut": pgettext("portal map", "Zoom out"),
        "NavigationControl.ResetBearing": _("Reset the map's rotation"),
        "Popup.Close": pgettext("portal map", "Close"),
        "AttributionControl.ToggleAttribution": _("Show or hide the sources of the map"),
        "ScaleControl.Meters": "m",
        "ScaleControl.Kilometers": "km",
        "CooperativeGesturesHandler.WindowsHelpText": _("Use Ctrl + scroll to zoom the map"),
        "CooperativeGesturesHandler.MacHelpText": _("Use ⌘ + scroll to zoom the map"),
        "CooperativeGesturesHandler.MobileHelpText": _("Use two fingers to move the map"),
    }


def portal_map(
    *,
    center: tuple[float, float] | None = None,
    zoom: float | None = None,
    highlight_address_id: int | None = None,
    layers: Iterable[str] = HOME_LAYERS,
    map_id: str = "portal-map",
) -> dict:
    """The context of residents/_portal_map.html for a map of ``layers`` (see the module docstring)."""
    layers = tuple(dict.fromkeys(("context", *layers)))
    unknown = [layer for layer in layers if layer not in LAYERS]
    if unknown:
        raise InvalidInputError(f"unknown map layer(s) {', '.join(unknown)}; known are {', '.join(LAYERS)}")
    if (center is None) != (zoom is None):
        raise InvalidInputError("give the map's center and zoom together, or neither")
    west, south, east, north = city_bbox()
    water = water_public().exists()
    stages = _stages() if {"status", "areas"} & set(layers) else []
    providers = _providers() if "providers" in layers else []
    basemap = settings.BASEMAP_URL
    attributes = {
        "portal-map": "",
        "library": static(f"{MAPLIBRE}/maplibre-gl.mjs"),
        "worker": static(f"{MAPLIBRE}/maplibre-gl-worker.mjs"),
        "font-latin": static(f"{FONT}/noto-sans-latin-400-normal.woff2"),
        "font-latin-ext": static(f"{FONT}/noto-sans-latin-ext-400-normal.woff2"),
        "layers": ",".join(layers),
        "bounds": ",".join(f"{v:.6f}" for v in (west, south, east, north)),
        "center": ",".join(f"{v:.6f}" for v in center) if center else "",
        "zoom": f"{zoom:g}" if zoom is not None else "",
        "highlight": str(highlight_address_id) if highlight_address_id is not None else "",
        "status-tiles": _tiles("address-status"),
        "status-min-zoom": str(STATUS_MIN_ZOOM),
        "availability-tiles": _tiles("availability"),
        "areas-tiles": _tiles("rollout-areas"),
        "streets-tiles": _tiles("streets"),
        "water-tiles": _tiles("water") if water else "",
        "districts-url": _ogc("districts/items?f=json&limit=1000"),
        "schools-url": _ogc("schools/items?f=json&limit=1000&is_school=true"),
        "address-url": reverse("residents:address-by-id", args=[0]).replace("/0/", "/{id}/"),
        "stages": json.dumps([{k: s[k] for k in ("code", "label", "colour")} for s in stages], ensure_ascii=False),
        "providers": json.dumps([{k: p[k] for k in ("slug", "name", "colour")} for p in providers], ensure_ascii=False),
        "background": BACKGROUND,
        "attribution": _attribution(layers, water=water),
        "basemap": basemap,
        "basemap-attribution": html.escape(settings.BASEMAP_ATTRIBUTION) if basemap else "",
        "basemap-max-zoom": str(settings.BASEMAP_MAX_ZOOM),
        "text-details": pgettext("portal map", "Details"),
        "text-providers": _("Providers with a plan here: {count}"),
        "text-download": _("up to {mbits} Mbit/s"),
        "text-zoom-in": _("Zoom in to see each address; the map shows the rollout areas."),
        "text-features": _("The map view shows {count} addresses with published rollout plans."),
        "text-failed": _(
            "The map cannot be shown in this browser (it needs WebGL). "
            "The legend and the links below give the same information."
        ),
        "text-school": pgettext("portal map", "School"),
        "locale": json.dumps(_locale(), ensure_ascii=False),
    }
    return {
        "id": map_id,
        "attributes": attributes,
        "stages": stages,
        "providers": providers,
        "layers": layers,
        "highlight_address_id": highlight_address_id,
        "alternatives": _alternatives(),
    }
