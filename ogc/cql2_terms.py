"""The pieces of the CQL2 evaluator (ogc.filters): comparisons, CQL2's temporal relations, literals and
the messages of its 400s."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from django.contrib.gis.geos import Polygon
from django.db.models import Q, Value
from django.db.models.fields import DateField, DateTimeField
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IsNull,
    LessThan,
    LessThanOrEqual,
)
from django.utils.dateparse import parse_date, parse_datetime

from geoportal.errors import InvalidInputError
from ogc.crs import STORAGE_AREA_CRS84, STORAGE_SRID, SupportedCrs, _mercator_to_lonlat


def filter_error(message: str) -> InvalidInputError:
    return InvalidInputError(message, where="filter")


NOTHING = Q(pk__in=[])
COMPARISONS = {
    "=": Exact,
    "<": LessThan,
    "<=": LessThanOrEqual,
    ">": GreaterThan,
    ">=": GreaterThanOrEqual,
}


# Temporal relations of CQL2 (Allen's interval algebra; an instant is the interval [t, t]).
def compare(lhs, op: str, rhs, *, lhs_end: bool, rhs_end: bool) -> Q:
    """``lhs op rhs`` where None stands for -infinity (a start) or +infinity (an end)."""
    if lhs is None or rhs is None:
        low = {False: float("-inf"), True: float("inf")}
        left = low[lhs_end] if lhs is None else 0.0
        right = low[rhs_end] if rhs is None else 0.0
        if lhs is None and rhs is None:
            truth = {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right, "=": left == right}
            return Q() if truth[op] else NOTHING
        value = {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right, "=": False}[op]
        known = rhs if lhs is None else lhs
        return Q(IsNull(known, False)) if value else NOTHING
    return Q(COMPARISONS[op](lhs, rhs))


def _t(*terms):
    """A relation from terms (a_side, op, b_side); side 0 is the start, 1 the end."""

    def relation(a, b) -> Q:
        q = Q()
        for a_side, op, b_side in terms:
            q &= compare(a[a_side], op, b[b_side], lhs_end=bool(a_side), rhs_end=bool(b_side))
        return q

    return relation


TEMPORAL = {
    "t_after": _t((0, ">", 1)),
    "t_before": _t((1, "<", 0)),
    "t_contains": _t((0, "<", 0), (1, ">", 1)),
    "t_during": _t((0, ">", 0), (1, "<", 1)),
    "t_equals": _t((0, "=", 0), (1, "=", 1)),
    "t_finishedby": _t((0, "<", 0), (1, "=", 1)),
    "t_finishes": _t((0, ">", 0), (1, "=", 1)),
    "t_intersects": _t((0, "<=", 1), (1, ">=", 0)),
    "t_meets": _t((1, "=", 0)),
    "t_metby": _t((0, "=", 1)),
    "t_overlappedby": _t((0, ">", 0), (0, "<", 1), (1, ">", 1)),
    "t_overlaps": _t((0, "<", 0), (1, ">", 0), (1, "<", 1)),
    "t_startedby": _t((0, "=", 0), (1, ">", 1)),
    "t_starts": _t((0, "=", 0), (1, "<", 1)),
}


def _t_disjoint(a, b) -> Q:
    return compare(a[1], "<", b[0], lhs_end=True, rhs_end=False) | compare(a[0], ">", b[1], lhs_end=False, rhs_end=True)


TEMPORAL["t_disjoint"] = _t_disjoint


def arity(op: str, args: list, count: int) -> None:
    if len(args) != count:
        raise filter_error(f"{op.upper()} takes {count} argument(s), not {len(args)}")


def is_node(node, key: str) -> bool:
    return isinstance(node, dict) and key in node


def is_casei_of_property(node) -> bool:
    return (
        is_node(node, "op")
        and str(node["op"]).lower() in ("casei", "accenti")
        and isinstance(node.get("args"), list)
        and len(node["args"]) == 1
        and is_node(node["args"][0], "property")
    )


def check_function(node: dict) -> None:
    if str(node["op"]).lower() == "accenti":
        raise filter_error("ACCENTI is not supported; CASEI is")
    if not isinstance(node.get("args"), list) or len(node["args"]) != 1:
        raise filter_error("CASEI takes one argument")


def property_name(node) -> str:
    while is_node(node, "op"):
        node = node["args"][0]
    return node.get("property", "?") if isinstance(node, dict) else "?"


def kind_name(kind: dict) -> str:
    if kind.get("format") in ("date", "date-time"):
        return "a date"
    return {"integer": "an integer", "number": "a number", "boolean": "a boolean", "string": "a string"}.get(
        kind.get("type"), "not comparable"
    )


def show(node) -> str:
    if isinstance(node, str):
        return f"the string {node!r}"
    if isinstance(node, bool):
        return f"the boolean {str(node).upper()}"
    if isinstance(node, int | float):
        return f"the number {node}"
    text = json.dumps(node, ensure_ascii=False) if isinstance(node, dict | list) else repr(node)
    return text if len(text) < 80 else text[:77] + "..."


def any_of(qs) -> Q:
    result = NOTHING
    for q in qs:
        result |= q
    return result


def instant_of(node) -> date | datetime | None:
    if is_node(node, "date") and isinstance(node["date"], str):
        try:
            value = parse_date(node["date"])
        except ValueError:
            value = None
        if value is None:
            raise filter_error(f"DATE({node['date']!r}) is not a date (YYYY-MM-DD)")
        return value
    if is_node(node, "timestamp") and isinstance(node["timestamp"], str):
        value = parse_timestamp(node["timestamp"])
        if value is None:
            raise filter_error(f"TIMESTAMP({node['timestamp']!r}) is not an RFC 3339 date-time")
        return value
    return None


def instant_text(text: str) -> date | datetime | None:
    """A bound inside INTERVAL(...): a date or an RFC 3339 date-time."""
    if "T" in text or "t" in text or " " in text:
        value = parse_timestamp(text)
    else:
        try:
            value = parse_date(text)
        except ValueError:
            value = None
    if value is None:
        raise filter_error(f"interval bound {text!r} is neither a date, a date-time nor '..'")
    return value


def parse_timestamp(text: str) -> datetime | None:
    try:
        value = parse_datetime(text)
    except ValueError:
        return None
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def temporal_value(instant: date | datetime) -> Value:
    if isinstance(instant, datetime):
        return Value(instant, output_field=DateTimeField())
    return Value(instant, output_field=DateField())


def lon_lat_first(node: dict) -> dict:
    """A GeoJSON geometry with latitude-first coordinates turned to longitude first."""

    def swap(coords):
        if coords and isinstance(coords[0], int | float):
            return [coords[1], coords[0], *coords[2:]]
        return [swap(c) for c in coords]

    if node.get("type") == "GeometryCollection":
        return {**node, "geometries": [lon_lat_first(g) for g in node.get("geometries", [])]}
    return {**node, "coordinates": swap(node.get("coordinates", []))}


def bbox_inside_area(values: list[float], crs: SupportedCrs) -> bool:
    if crs.srid == STORAGE_SRID:
        return True
    minx, miny, maxx, maxy = values
    if crs.lat_first:
        minx, miny, maxx, maxy = miny, minx, maxy, maxx
    if crs.srid == 3857:
        (minx, miny), (maxx, maxy) = _mercator_to_lonlat(minx, miny), _mercator_to_lonlat(maxx, maxy)
    west, south, east, north = STORAGE_AREA_CRS84
    return minx <= maxx and west <= minx and maxx <= east and south <= miny and maxy <= north


_AREA: list[Polygon] = []


def storage_area() -> Polygon:
    if not _AREA:
        _AREA.append(Polygon.from_bbox(STORAGE_AREA_CRS84))
        _AREA[0].srid = 4326
    return _AREA[0]
