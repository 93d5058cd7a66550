"""pygeoapi's OpenAPI document made true to this server and self-contained.

pygeoapi's document refers to schemas.opengis.net and raw.githubusercontent.com
(so validators need the network), describes operations we do not serve (POST
and OPTIONS on items, /schema), repeats ``limit`` per collection and leaves
out ``datetime``, ``filter``, ``filter-lang`` and ``filter-crs``. This module
rewrites it: remote ``$ref``s point at small components written here, unserved
paths and methods go, the items operations use shared ``limit``, ``datetime``,
``sortby`` and filter parameters, and property parameters are the queryables.
"""

from __future__ import annotations

import logging
import re
from copy import deepcopy

from django.urls import Resolver404, resolve

from ogc.collections import collection_get
from ogc.crs import SUPPORTED
from ogc.filters import LANGUAGES, LEGACY_LANGUAGES

logger = logging.getLogger(__name__)
MOUNT = "/ogc"
LIMIT_DEFAULT, LIMIT_MAX = 100, 1000

_LINK = {
    "type": "object",
    "required": ["href"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "hreflang": {"type": "string"},
        "title": {"type": "string"},
        "length": {"type": "integer"},
    },
}
_EXCEPTION = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
    "additionalProperties": True,
}
_GEOMETRY = {
    "type": "object",
    "nullable": True,
    "required": ["type"],
    "properties": {"type": {"type": "string"}, "coordinates": {"type": "array", "items": {}}},
}
_FEATURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "geometry": {"$ref": "#/components/schemas/geometryGeoJSON"},
        "properties": {"type": "object", "nullable": True},
        "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
    },
}
_FEATURES = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {"$ref": "#/components/schemas/featureGeoJSON"}},
        "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
        "timeStamp": {"type": "string", "format": "date-time"},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
    },
}
_OBJECT_WITH_LINKS = {
    "type": "object",
    "properties": {"links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}}},
    "additionalProperties": True,
}


def _response(description: str, media_type: str, schema_ref: str) -> dict:
    return {"description": description, "content": {media_type: {"schema": {"$ref": schema_ref}}}}


_EXCEPTION_REF = "#/components/schemas/exception"
COMPONENTS = {
    "schemas": {
        "link": _LINK,
        "exception": _EXCEPTION,
        "geometryGeoJSON": _GEOMETRY,
        "featureGeoJSON": _FEATURE,
        "featureCollectionGeoJSON": _FEATURES,
        "objectWithLinks": _OBJECT_WITH_LINKS,
        "cql2": {"type": "object", "description": "A CQL2 JSON expression (OGC 21-065r2)."},
    },
    "responses": {
        "LandingPage": _response("The landing page", "application/json", "#/components/schemas/objectWithLinks"),
        "Collection": _response("A feature collection", "application/json", "#/components/schemas/objectWithLinks"),
        "Features": _response("Features", "application/geo+json", "#/components/schemas/featureCollectionGeoJSON"),
        "Feature": _response("A feature", "application/geo+json", "#/components/schemas/featureGeoJSON"),
        "InvalidParameter": _response(
            "A query parameter is unknown or has an invalid value", "application/json", _EXCEPTION_REF
        ),
        "NotFound": _response("The resource does not exist", "application/json", _EXCEPTION_REF),
        "ServerError": _response("A server error occurred", "application/json", _EXCEPTION_REF),
    },
    "parameters": {
        # OGC API Records' free-text search (records collection ``metadata``), referenced remotely by pygeoapi.
        "q": {
            "name": "q",
            "in": "query",
            "description": "Free text search: comma-separated terms (any may match); a term with spaces is a phrase.",
            "required": False,
            "schema": {"type": "array", "items": {"type": "string"}},
            "style": "form",
            "explode": False,
        },
        "featureId": {
            "name": "featureId",
            "in": "path",
            "description": "Identifier (id) of a feature",
            "required": True,
            "schema": {"type": "string"},
        },
        "limit": {
            "name": "limit",
            "in": "query",
            "description": f"The number of features per page (default {LIMIT_DEFAULT}, at most {LIMIT_MAX}).",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT},
            "style": "form",
            "explode": False,
        },
        "datetime": {
            "name": "datetime",
            "in": "query",
            "description": "An RFC 3339 date-time, date or interval (start/end, '..' or empty for an open end).",
            "required": False,
            "schema": {"type": "string"},
            "style": "form",
            "explode": False,
        },
        "sortby": {
            "name": "sortby",
            "in": "query",
            "description": "Comma-separated queryables to sort by; '-' before a name sorts descending.",
            "required": False,
            "schema": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": r"[+-]?[A-Za-z_].*"}},
            "style": "form",
            "explode": False,
        },
        "filter": {
            "name": "filter",
            "in": "query",
            "description": "A CQL2 filter over the collection's queryables (see /queryables).",
            "required": False,
            "schema": {"type": "string"},
            "style": "form",
            "explode": False,
        },
        "filter-lang": {
            "name": "filter-lang",
            "in": "query",
            "description": "The encoding of filter.",
            "required": False,
            # cql-text: the draft's name, which GDAL <= 3.6 looks for before it sends -where as CQL text.
            "schema": {"type": "string", "enum": [*LANGUAGES, *LEGACY_LANGUAGES], "default": LANGUAGES[0]},
            "style": "form",
        },
        "filter-crs": {
            "name": "filter-crs",
            "in": "query",
            "description": "The CRS of the coordinates in filter (default CRS84).",
            "required": False,
            "schema": {
                "type": "string",
                "format": "uri",
                "enum": [c.uri for c in SUPPORTED],
                "default": SUPPORTED[0].uri,
            },
            "style": "form",
        },
    },
}
_SHARED_ITEMS_PARAMETERS = ["datetime", "sortby", "filter", "filter-lang", "filter-crs"]
_DROPPED_PARAMETERS = {"#/components/parameters/vendorSpecificParameters"}
_PLACEHOLDER = re.compile(r"\{[^}]+\}")


def openapi_document(document: dict) -> dict:
    """pygeoapi's ``get_oas`` result rewritten (a copy); see the module docstring."""
    document = deepcopy(document)
    _drop_unserved(document)
    components = document.setdefault("components", {})
    for kind, entries in COMPONENTS.items():
        components.setdefault(kind, {}).update(deepcopy(entries))
    _localise(document)
    for path, operations in document.get("paths", {}).items():
        match = re.fullmatch(r"/collections/([^/{}]+)/items", path)
        if match and "get" in operations:
            _items_parameters(operations["get"], match.group(1))
    return document


def _drop_unserved(document: dict) -> None:
    for path in list(document.get("paths", {})):
        try:
            resolve(MOUNT + _PLACEHOLDER.sub("x", path))
        except Resolver404:
            del document["paths"][path]
            continue
        operations = document["paths"][path]
        served = _writes_served(path)
        for method in [m for m in operations if m in ("post", "put", "patch", "delete", "options")]:
            if method not in served:
                del operations[method]


def _writes_served(path: str) -> set[str]:
    """Part 4 on editable collections (ogc.transactions): POST on items, PUT and DELETE on an item."""
    match = re.fullmatch(r"/collections/([^/{}]+)/items(/\{featureId\})?", path)
    if match is None:
        return set()
    collection = collection_get(match.group(1))
    if collection is None or not collection.editable:
        return set()
    return {"put", "delete"} if match.group(2) else {"post"}


def _items_parameters(operation: dict, collection_id: str) -> None:
    collection = collection_get(collection_id)
    kept = []
    for parameter in operation.get("parameters", []):
        if parameter.get("$ref") in _DROPPED_PARAMETERS:
            continue
        name = parameter.get("name")
        if name == "limit":
            kept.append({"$ref": "#/components/parameters/limit"})
            continue
        if collection is not None and name in collection.fields and name not in collection.queryable_fields:
            continue  # a field that is not queryable is no query parameter either
        kept.append(parameter)
    present = {p.get("name") or p.get("$ref", "").rsplit("/", 1)[-1] for p in kept}
    kept += [{"$ref": f"#/components/parameters/{name}"} for name in _SHARED_ITEMS_PARAMETERS if name not in present]
    operation["parameters"] = kept


def _localise(node) -> None:
    """Every remote $ref replaced by the local component of the same name."""
    if isinstance(node, list):
        for item in node:
            _localise(item)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        local = _local_ref(ref)
        if local is None:
            logger.warning("OpenAPI: no local component for %s", ref)
        else:
            node["$ref"] = local
    for value in node.values():
        _localise(value)


def _local_ref(ref: str) -> str | None:
    if "#/components/" in ref:
        return "#/components/" + ref.split("#/components/", 1)[1]
    if ref.endswith("/sortby.yaml"):
        return "#/components/parameters/sortby"
    if ref.endswith("/exception.yaml"):
        return _EXCEPTION_REF
    if ref.endswith("/cql2.json"):
        return "#/components/schemas/cql2"
    if ref.endswith("/parameters/q.yaml"):
        return "#/components/parameters/q"
    return None
