"""The pygeoapi configuration, built from the collection registry and the Layer catalogue.

Built lazily on first use and rebuilt after ``CONFIG_TTL`` seconds, so catalogue
edits show up without a restart and no request pays for building it. Settings
only hold scalar options (OGC_BASE_URL); the rest comes from the database.
"""

from __future__ import annotations

import time
from copy import deepcopy
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest

from ogc.collections import COLLECTIONS, Collection
from ogc.crs import CRS84, STORAGE, SUPPORTED
from ogc.records import RECORDS_ID
from ogc.tiles.sources import SOURCES
from ogc.translations import LOCALE_DIR

CONFIG_TTL = 60.0
TEMPLATES = Path(__file__).resolve().parent / "templates" / "pygeoapi"
# Fallback extent (CRS84) of the city when neither catalogue nor boundary has one.
CITY_BBOX = [6.80, 51.35, 7.00, 51.47]
LIMITS = {"default_items": 100, "max_items": 1000, "on_exceed": "throttle"}
# Where geoportal/urls.py mounts the OGC API.
MOUNT = "/ogc"

_cache: dict[str, object] = {"built": 0.0, "config": None, "version": 0}


def config_get() -> tuple[int, dict]:
    """The current configuration and its version (the adapter sets the server URL per host)."""
    if _cache["config"] is None or time.monotonic() - _cache["built"] > CONFIG_TTL:
        _cache["config"] = config_build()
        _cache["built"] = time.monotonic()
        _cache["version"] += 1
    return _cache["version"], _cache["config"]


def base_url(request: HttpRequest) -> str:
    """The OGC API's absolute URL as clients see it, without a trailing slash: every absolute link of the API
    starts with it. OGC_BASE_URL behind a proxy, else the request's scheme and host and the mount point."""
    return settings.OGC_BASE_URL or request.build_absolute_uri(MOUNT)


def site_url(request: HttpRequest) -> str:
    """The site's absolute root URL, with the slash (the pages, /daten/): OGC_BASE_URL without its mount point,
    else the request's scheme and host."""
    base = base_url(request)
    return base.removesuffix(MOUNT) + "/" if base.endswith(MOUNT) else request.build_absolute_uri("/")


def config_version_fresh() -> int | None:
    """The configuration's version when it needs no rebuild now, else None (for paths that must not query)."""
    if _cache["config"] is None or time.monotonic() - _cache["built"] > CONFIG_TTL:
        return None
    return _cache["version"]


def config_invalidate() -> None:
    _cache["config"] = None


def config_build() -> dict:
    from layers.selectors import layers_published

    layers = {layer.slug: layer for layer in layers_published()}
    city_bbox = _city_bbox()
    return {
        "server": {
            "url": "http://localhost/ogc",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["de", "en"],
            "limits": LIMITS,
            "pretty_print": False,
            "admin": False,
            "map": {"url": getattr(settings, "BASEMAP_URL", "") or "", "attribution": settings.BASEMAP_ATTRIBUTION},
            "templates": {"path": str(TEMPLATES), "static": str(Path(settings.STATIC_ROOT))},
            # The catalogue of pygeoapi's template texts (locale/<language>/LC_MESSAGES/messages.mo): German pages.
            "locale_dir": str(LOCALE_DIR),
            "bind": {"host": "127.0.0.1", "port": 8000},
        },
        # pygeoapi's setup_logger reconfigures logging unless told little; Django's LOGGING rules.
        "logging": {"level": "ERROR"},
        "metadata": _metadata(),
        "resources": {
            **{c.id: _resource(c, layers.get(c.layer), city_bbox) for c in COLLECTIONS.values()},
            RECORDS_ID: _records_resource(city_bbox),
        },
    }


def _records_resource(city_bbox: list[float]) -> dict:
    """The catalogue of the layers (OGC API Records), served by pygeoapi's record path."""
    return {
        "type": "collection",
        "title": f"Datenkatalog Glasfaserportal {settings.CITY_NAME}",
        "description": "Katalog aller veröffentlichten Datensätze des Portals (OGC API – Records): Beschreibung, "
        "Schlagwörter, Lizenz, Namensnennung, Ausdehnung, OGC-API-Collection und Downloads "
        "(GeoPackage, CSV, GeoJSON).",
        "keywords": ["Katalog", "Metadaten", "Offene Daten", "Open Data"],
        "links": [],
        "extents": {"spatial": {"bbox": city_bbox, "crs": CRS84.uri}},
        "providers": [
            {
                "type": "record",
                "name": "ogc.records.LayerRecordProvider",
                "data": RECORDS_ID,
                "id_field": "id",
                "title_field": "title",
            }
        ],
    }


def _metadata() -> dict:
    contact = {"name": "Glasfaserportal", "url": "/"}
    if settings.OGC_CONTACT_EMAIL:  # pygeoapi lists a present but empty address in OpenAPI and as a mailto: link
        contact["email"] = settings.OGC_CONTACT_EMAIL
    return {
        "identification": {
            "title": f"Glasfaserportal {settings.CITY_NAME}",
            "description": f"Geodaten des Glasfaserausbaus in {settings.CITY_NAME} (OGC API Features)",
            "keywords": ["Glasfaser", "Breitband", "Geodaten"],
            "keywords_type": "theme",
            "terms_of_service": "",
            "url": "/",
        },
        # A language struct: pygeoapi picks the request's language (l10n.translate).
        "license": {"name": {"de": "siehe die einzelnen Sammlungen", "en": "see each collection"}, "url": "/quellen/"},
        "provider": {"name": f"Stadt {settings.CITY_NAME}", "url": "/"},
        "contact": contact,
    }


def _resource(collection: Collection, layer, city_bbox: list[float]) -> dict:
    extents: dict = {"spatial": {"bbox": _bbox(layer) or city_bbox, "crs": CRS84.uri}}
    if layer is not None and (layer.temporal_start or layer.temporal_end):
        extents["temporal"] = {"begin": layer.temporal_start, "end": layer.temporal_end}
    options = {}
    if layer is not None:
        options = {
            "valid_from": layer.temporal_start.isoformat() if layer.temporal_start else None,
            "valid_until": layer.temporal_end.isoformat() if layer.temporal_end else None,
        }
    return {
        "type": "collection",
        "title": layer.title if layer else collection.title,
        "description": _description(collection, layer),
        "keywords": list(layer.keywords) if layer else [],
        "links": _links(layer),
        "extents": extents,
        "limits": dict(collection.limits),
        "providers": [
            {
                "type": "feature",
                "name": "ogc.providers.SelectorProvider",
                "data": collection.id,
                "id_field": "id",
                "options": options,
                "crs": [c.uri for c in SUPPORTED],
                "storage_crs": STORAGE.uri,
                # Read by our collection page template only (the tiles are ogc/tiles views, not a pygeoapi provider).
                "vector_tiles": collection.id in SOURCES,
            }
        ],
    }


def _description(collection: Collection, layer) -> str:
    if layer is None:
        return collection.description or collection.title
    return f"{layer.abstract}\n\nQuelle: {layer.attribution}"


def _links(layer) -> list[dict]:
    if layer is None:
        return []
    links = []
    if layer.licence_url:
        links.append({"type": "text/html", "rel": "license", "title": layer.licence, "href": layer.licence_url})
    if layer.source_url:
        links.append({"type": "text/html", "rel": "describedby", "title": layer.source, "href": layer.source_url})
    return links


def _bbox(layer) -> list[float] | None:
    if layer is None or layer.extent is None:
        return None
    return [round(v, 6) for v in layer.extent.extent]


def _city_bbox() -> list[float]:
    from django.contrib.gis.db.models.functions import Transform

    from layers.selectors import districts_public

    city = districts_public().filter(level="city").annotate(wgs=Transform("geom", 4326)).first()
    return [round(v, 6) for v in city.wgs.extent] if city else list(CITY_BBOX)


def config_for_items(config: dict) -> dict:
    """A copy whose providers name no CRS: pygeoapi then does no pyproj work, the wrapper does CRS."""
    lean = deepcopy(config)
    for resource in lean["resources"].values():
        for provider in resource["providers"]:
            provider.pop("crs", None)
            provider.pop("storage_crs", None)
    return lean
