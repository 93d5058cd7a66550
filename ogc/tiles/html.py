"""HTML pages of the tiles documents: tile matrix sets, tileset lists and tilesets (with a map of the tiles).

pygeoapi renders tiles pages only for its own tile providers (and loads Leaflet.VectorGrid from a CDN);
ours are Django views (ogc.tiles.views) that answer JSON. ``negotiated`` wraps such a view: when the
request asks for HTML (``f=html``, or ``Accept: text/html`` as pygeoapi negotiates it) the JSON document
is rendered with a Jinja template under ogc/templates/pygeoapi/tiles/ that extends pygeoapi's
``_base.html``, so the pages look like the rest of /ogc. The texts are ours, translated by Django
(German first; English with ``lang=en`` or ``Accept-Language: en``). No inline script: the map is
``ogc/static/ogc/tileset-map.js``, configured by data attributes, drawn by the vendored MapLibre GL JS
(static/vendor/README.md), which needs no blob: worker (its worker is a same-origin module script).
"""

from __future__ import annotations

import json
from functools import cache, wraps
from urllib.parse import urlsplit

import pygeoapi
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils import translation
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pygeoapi import l10n
from pygeoapi.api import F_HTML, APIRequest
from pygeoapi.util import TEMPLATESDIR, to_json

from layers.selectors import layer_list
from ogc import translations
from ogc.collections import collection_get
from ogc.config import TEMPLATES, base_url, config_get

HTML = "text/html"
MAPLIBRE = "vendor/maplibre-gl-6.17.0"
PAGES = {
    "tilematrixsets": "tiles/tilematrixsets.html",
    "tilematrixset": "tiles/tilematrixset.html",
    "tilesets": "tiles/tilesets.html",
    "tileset": "tiles/tileset.html",
}


def negotiated(*, page: str):
    """Decorator of a view answering a JSON document: the HTML page ``page`` instead when HTML is asked for."""
    template = PAGES[page]

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            api_request = _api_request(request)
            # The document in the language pygeoapi's documents use (lang=, Accept-Language; German first):
            # Django's LocaleMiddleware gives unprefixed URLs such as /ogc the default language.
            with translation.override(api_request.locale.language):
                response = view(request, *args, **kwargs)
            if response.status_code != 200 or api_request.format != F_HTML:
                return response
            content = json.loads(response.content)
            return _page(request, api_request, content, template=template, collection_id=kwargs.get("collection_id"))

        return wrapper

    return decorator


def _api_request(request: HttpRequest) -> APIRequest:
    _, config = config_get()
    return APIRequest.from_django(request, l10n.get_locales(config))


@cache
def _environment() -> Environment:
    """Jinja as pygeoapi sets it up (pygeoapi.util.render_j2_template), but with Django's translations (our texts),
    falling back to pygeoapi's catalogue (the texts of its _base.html: "Home", ...)."""
    env = Environment(
        loader=FileSystemLoader([str(TEMPLATES), str(TEMPLATESDIR)]),
        extensions=["jinja2.ext.i18n"],
        autoescape=select_autoescape(),
    )
    env.filters["to_json"] = to_json
    env.install_gettext_callables(translations.gettext, translation.ngettext)
    return env


def _page(
    request: HttpRequest, api_request: APIRequest, content: dict, *, template: str, collection_id: str | None
) -> HttpResponse:
    locale = api_request.locale
    _, config = config_get()
    base = base_url(request)
    config = {**config, "server": {**config["server"], "url": base}}
    data = {
        **content,
        "links": html_links(content.get("links", [])),
        # No JSON-LD for these documents: _base.html then neither links nor fetches one.
        "jsonld": False,
        "base": base,
        "assets": {
            "css": static("ogc/tileset-map.css"),
            "js": static("ogc/tileset-map.js"),
            "maplibre_css": static(f"{MAPLIBRE}/maplibre-gl.css"),
        },
    }
    if collection_id:
        data["collection"] = _collection(config, base, collection_id)
    if template == PAGES["tileset"]:
        data["map"] = map_attributes(content, config=config, attribution=data["collection"]["attribution"])
    with translation.override(locale.language):
        html = (
            _environment()
            .get_template(template)
            .render(config=config, data=data, locale=locale, version=pygeoapi.__version__)
        )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Language"] = locale.language
    return response


def html_links(links: list[dict]) -> list[dict]:
    """The JSON document's links as the page's: the HTML page is "self", the JSON document "alternate"."""
    turned = []
    for link in links:
        if link.get("type") == HTML and link["rel"] == "alternate" and urlsplit(link["href"]).query == "f=html":
            link = {**link, "rel": "self"}
        elif link["rel"] == "self":
            link = {**link, "rel": "alternate", "href": link["href"] + "?f=json"}
        turned.append(link)
    return turned


def _collection(config: dict, base: str, collection_id: str) -> dict:
    """Title and attribution of the OGC collection (from the catalogue), for the crumbs and the map."""
    resource = config["resources"].get(collection_id, {})
    collection = collection_get(collection_id)
    layer = layer_list(slugs=[collection.layer]).first() if collection and collection.layer else None
    return {
        "id": collection_id,
        "title": resource.get("title") or collection_id,
        "description": resource.get("description", ""),
        "url": f"{base}/collections/{collection_id}",
        "attribution": layer.attribution if layer else "",
    }


def map_attributes(content: dict, *, config: dict, attribution: str) -> dict[str, str]:
    """The data-* attributes that configure ogc/static/ogc/tileset-map.js for a tileset document."""
    layer = content["layers"][0]
    template = next(link["href"] for link in content["links"] if link["rel"] == "item")
    box = content["boundingBox"]
    centre = content["centerPoint"]
    basemap = settings.BASEMAP_URL
    return {
        "library": static(f"{MAPLIBRE}/maplibre-gl.mjs"),
        "worker": static(f"{MAPLIBRE}/maplibre-gl-worker.mjs"),
        "tiles": template.replace("{tileMatrix}", "{z}").replace("{tileRow}", "{y}").replace("{tileCol}", "{x}"),
        "layer": layer["id"],
        "dimension": str(layer["geometryDimension"]),
        "min-zoom": layer["minTileMatrix"],
        "max-zoom": layer["maxTileMatrix"],
        "bounds": ",".join(map(str, [*box["lowerLeft"], *box["upperRight"]])),
        "center": ",".join(map(str, centre["coordinates"])),
        "zoom": centre["tileMatrix"],
        "attribution": attribution,
        "basemap": basemap,
        "basemap-attribution": settings.BASEMAP_ATTRIBUTION if basemap else "",
        "basemap-max-zoom": str(settings.BASEMAP_MAX_ZOOM),
    }
