"""The queryables of a collection as JSON Schema 2020-12 (OGC API Features Part 3, /queryables).

Exactly what filters, sortby and property query parameters accept: the
collection's queryable fields and ``geometry``; ``additionalProperties: false``
says that nothing else is filterable.
"""

from __future__ import annotations

from ogc.collections import Collection
from ogc.filters import GEOMETRY

SCHEMA = "https://json-schema.org/draft/2020-12/schema"


def queryables_schema(*, collection: Collection, url: str, title: str, description: str = "") -> dict:
    properties: dict[str, dict] = {
        GEOMETRY: {
            "title": "geometry",
            "format": _geometry_format(collection.geometry_type),
            "x-ogc-role": "primary-geometry",
        }
    }
    for name, spec in collection.queryable_fields.items():
        entry = {"title": spec.get("title", name), **{k: v for k, v in spec.items() if k != "title"}}
        if name == collection.time_field:
            entry["x-ogc-role"] = "primary-instant"
        properties[name] = entry
    schema = {
        "$schema": SCHEMA,
        "$id": url,
        "type": "object",
        "title": title,
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _geometry_format(geometry_type: str) -> str:
    kind = geometry_type.lower()
    known = {"point", "multipoint", "linestring", "multilinestring", "polygon", "multipolygon"}
    return f"geometry-{kind}" if kind in known else "geometry-any"
