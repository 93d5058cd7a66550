"""What the tiles add to the documents pygeoapi builds: collection links, landing page links, OpenAPI paths.

pygeoapi only links tiles of its own tile providers; ours are Django views,
so the adapter (ogc.views) passes its JSON through these functions.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.translation import gettext

from ogc.config import MOUNT
from ogc.tiles.matrix import TMS_ID
from ogc.tiles.sources import SOURCES
from ogc.tiles.views import JSON, MVT, REL_TILESETS_VECTOR, REL_TILING_SCHEME

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
]


def collection_links_add(content: dict, *, base: str) -> dict:
    """Add the tilesets link to each collection (list or single document) that has vector tiles (titles in the
    active language: the document's)."""
    collections = content.get("collections") if "collections" in content else [content]
    for collection in collections or []:
        if collection.get("id") in SOURCES:
            collection.setdefault("links", []).append(
                {
                    "rel": REL_TILESETS_VECTOR,
                    "type": JSON,
                    "title": gettext("Vector tilesets (Mapbox Vector Tiles)"),
                    "href": f"{base}/collections/{collection['id']}/tiles",
                }
            )
    return content


def landing_links_fix(content: dict, *, base: str) -> dict:
    """pygeoapi links its own /TileMatrixSets (JSON and HTML); ours is /tileMatrixSets (JSON and HTML too).
    Links to the site's pages (the configuration's "/", "/quellen/") become absolute, as every other link."""
    split = urlsplit(base)
    root = base.removesuffix(MOUNT) if base.endswith(MOUNT) else f"{split.scheme}://{split.netloc}"
    links = [
        {**link, "href": root + link["href"]} if link.get("href", "").startswith("/") else link
        for link in content.get("links", [])
        if link.get("rel") != REL_TILING_SCHEME + "s"
    ]
    links.append(
        {
            "rel": REL_TILING_SCHEME + "s",
            "type": JSON,
            "title": gettext("Tiling schemes"),
            "href": f"{base}/tileMatrixSets",
        }
    )
    links.append(
        {
            "rel": REL_TILING_SCHEME + "s",
            "type": "text/html",
            "title": gettext("Tiling schemes as HTML"),
            "href": f"{base}/tileMatrixSets?f=html",
        }
    )
    content["links"] = links
    return content


def _error_responses() -> dict:
    return {
        "400": {"description": "unknown or malformed query parameter"},
        "404": {"description": "no such collection, tile matrix set or tile (outside the tileset's limits)"},
    }


def _f(*formats: str) -> dict:
    return {"name": "f", "in": "query", "required": False, "schema": {"type": "string", "enum": list(formats)}}


def _path_param(name: str, description: str, enum: list[str] | None = None) -> dict:
    schema: dict = {"type": "string"} if enum is None else {"type": "string", "enum": enum}
    if name in ("tileMatrix", "tileRow", "tileCol"):
        schema = {"type": "string", "pattern": "^[0-9]+$"}
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def openapi_paths_add(document: dict) -> dict:
    """The tiles endpoints as OpenAPI 3.0 paths, self-contained (no remote $ref)."""
    json_ok = {
        "description": "JSON document, or its HTML page (f=html or Accept: text/html)",
        "content": {JSON: {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}},
    }
    collection = _path_param("collectionId", "a collection with vector tiles", list(SOURCES))
    tms = _path_param("tileMatrixSetId", "tile matrix set", [TMS_ID])
    paths = document.setdefault("paths", {})
    paths["/tileMatrixSets"] = {
        "get": {
            "summary": "Tile matrix sets offered",
            "operationId": "getTileMatrixSetsList",
            "tags": ["Tiles"],
            "parameters": [_f("json", "html")],
            "responses": {"200": json_ok, **_error_responses()},
        }
    }
    paths["/tileMatrixSets/{tileMatrixSetId}"] = {
        "get": {
            "summary": "Definition of a tile matrix set (OGC Two Dimensional Tile Matrix Set 2.0)",
            "operationId": "getTileMatrixSetDefinition",
            "tags": ["Tiles"],
            "parameters": [tms, _f("json", "html")],
            "responses": {"200": json_ok, **_error_responses()},
        }
    }
    paths["/collections/{collectionId}/tiles"] = {
        "get": {
            "summary": "Vector tilesets of a collection",
            "operationId": "getCollectionVectorTileSetsList",
            "tags": ["Tiles"],
            "parameters": [collection, _f("json", "html")],
            "responses": {"200": json_ok, **_error_responses()},
        }
    }
    paths["/collections/{collectionId}/tiles/{tileMatrixSetId}"] = {
        "get": {
            "summary": "Tileset metadata: limits per tile matrix, layers and their properties, tile URL template",
            "operationId": "getCollectionVectorTileSet",
            "tags": ["Tiles"],
            "parameters": [collection, tms, _f("json", "html")],
            "responses": {"200": json_ok, **_error_responses()},
        }
    }
    paths["/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"] = {
        "get": {
            "summary": "A Mapbox Vector Tile",
            "operationId": "getCollectionVectorTile",
            "tags": ["Tiles"],
            "parameters": [
                collection,
                tms,
                _path_param("tileMatrix", "zoom level"),
                _path_param("tileRow", "row, 0 at the north"),
                _path_param("tileCol", "column, 0 at 180°W"),
                _f("mvt"),
            ],
            "responses": {
                "200": {
                    "description": "the tile",
                    "content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
                },
                "204": {"description": "no features in this tile"},
                "304": {"description": "not modified (If-None-Match)"},
                **_error_responses(),
            },
        }
    }
    tags = document.setdefault("tags", [])
    if not any(tag.get("name") == "Tiles" for tag in tags):
        tags.append({"name": "Tiles", "description": "OGC API – Tiles: Mapbox Vector Tiles"})
    return document
