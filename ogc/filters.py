"""CQL2 filters (text or JSON) turned into Django Q objects, over an allow-list of queryables.

Both encodings become CQL2 JSON first (ogc.cql2 parses the text); this module
evaluates that structure. Only the collection's queryables (and ``geometry``)
may be named: anything else is a 400 that lists the allowed names, never an
ORM lookup built from user input. Literals are checked against the queryable's
type (a string compared with an integer is a 400, not a database error).
Comparisons are built from lookup expressions, so NOT and NULL follow SQL's
three-valued logic as CQL2 requires (``NOT (a = 1)`` does not select a NULL a).

We do not use pygeofilter's Django backend: it passes unknown names to the ORM,
checks input with ``assert``, and its parsers in 0.4 mis-read several CQL2
constructs (see ogc.cql2).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from django.contrib.gis.geos import GEOSException, GEOSGeometry, Polygon
from django.db.models import F, Q, Value
from django.db.models.fields import DateField, DateTimeField
from django.db.models.functions import Lower
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    IsNull,
    LessThan,
    LessThanOrEqual,
    Lookup,
)
from django.utils.dateparse import parse_date, parse_datetime

from geoportal.errors import InvalidInputError
from ogc.collections import Collection
from ogc.cql2 import cql2_text_parse
from ogc.crs import CRS84, STORAGE_AREA_CRS84, STORAGE_SRID, SupportedCrs, _mercator_to_lonlat, bbox_geometry

GEOMETRY = "geometry"
LANGUAGES = ("cql2-text", "cql2-json")
# GDAL up to 3.6 sends CQL text only when the OpenAPI document offers filter-lang "cql-text" (the
# draft's name), and then sends filter-lang=cql-text with CQL2-compatible text: read it as cql2-text.
LEGACY_LANGUAGES = {"cql-text": "cql2-text"}
NOTHING = Q(pk__in=[])
_COMPARISONS = {
    "=": Exact,
    "<": LessThan,
    "<=": LessThanOrEqual,
    ">": GreaterThan,
    ">=": GreaterThanOrEqual,
}
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
# CQL2 spatial function -> GeoDjango lookup, and the lookup with the arguments swapped.
_SPATIAL = {
    "s_intersects": ("intersects", "intersects"),
    "s_disjoint": ("disjoint", "disjoint"),
    "s_equals": ("equals", "equals"),
    "s_touches": ("touches", "touches"),
    "s_crosses": ("crosses", "crosses"),
    "s_overlaps": ("overlaps", "overlaps"),
    "s_within": ("within", "contains"),
    "s_contains": ("contains", "within"),
}
# Exact for any literal once it is clipped to where the storage CRS is usable (all our data lies there).
_CLIP_SAFE = {"intersects", "disjoint", "within"}


class _Like(Lookup):
    """SQL LIKE: CQL2's wildcards (% and _) and escape (backslash) are PostgreSQL's defaults."""

    lookup_name = "cql2_like"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def filter_q(text: str, *, lang: str | None, collection: Collection, crs: SupportedCrs = CRS84) -> Q:
    """The Q object selecting the features that ``text`` (a CQL2 filter in ``lang``) selects."""
    return to_q(filter_parse(text, lang=lang), collection, crs=crs)


def filter_parse(text: str, *, lang: str | None) -> dict | bool:
    lang = LEGACY_LANGUAGES.get(lang, lang or "cql2-text")
    if lang not in LANGUAGES:
        raise InvalidInputError(
            f"filter-lang {lang!r} is not supported; use {' or '.join(LANGUAGES)}", where="filter-lang"
        )
    if lang == "cql2-text":
        return cql2_text_parse(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"CQL2 JSON cannot be read: {error}", where="filter") from None


def to_q(expression, collection: Collection, *, crs: SupportedCrs = CRS84) -> Q:
    """A CQL2 JSON expression (dict or bool) as a Q object over ``collection``'s queryables."""
    return _Evaluator(collection, crs).condition(expression)


class _Evaluator:
    def __init__(self, collection: Collection, crs: SupportedCrs) -> None:
        self.queryables = collection.queryable_fields
        self.crs = crs

    # Conditions ----------------------------------------------------------------------------------

    def condition(self, node) -> Q:
        if isinstance(node, bool):
            return Q() if node else NOTHING
        if not isinstance(node, dict) or not isinstance(node.get("op"), str) or not isinstance(node.get("args"), list):
            raise _error(f"expected a condition ({{'op': ..., 'args': [...]}}), not {_show(node)}")
        op, args = node["op"].lower(), node["args"]
        if op in ("and", "or"):
            if len(args) < 2:
                raise _error(f"{op.upper()} needs at least two conditions")
            parts = [self.condition(a) for a in args]
            combined = parts[0]
            for part in parts[1:]:
                combined = (combined & part) if op == "and" else (combined | part)
            return combined
        if op == "not":
            _arity(op, args, 1)
            return ~self.condition(args[0])
        if op in _COMPARISONS or op == "<>":
            _arity(op, args, 2)
            return self.comparison(op, args[0], args[1])
        if op == "like":
            _arity(op, args, 2)
            return self.like(args[0], args[1])
        if op == "between":
            _arity(op, args, 3)
            return self.comparison(">=", args[0], args[1]) & self.comparison("<=", args[0], args[2])
        if op == "in":
            _arity(op, args, 2)
            return self.in_list(args[0], args[1])
        if op == "isnull":
            _arity("isNull", args, 1)
            return Q(IsNull(F(self.field(args[0], allow_geometry=True)), True))
        if op in _SPATIAL:
            _arity(op, args, 2)
            return self.spatial(op, args[0], args[1])
        if op.startswith("t_") and op in _TEMPORAL:
            _arity(op, args, 2)
            return _TEMPORAL[op](self.interval(args[0]), self.interval(args[1]))
        raise _error(f"operator {node['op']!r} is not supported; supported: {', '.join(SUPPORTED_OPERATORS)}")

    def comparison(self, op: str, lhs, rhs) -> Q:
        if not self._is_property(lhs) and self._is_property(rhs):
            lhs, rhs, op = rhs, lhs, _FLIPPED[op]
        left, kind = self.operand(lhs)
        if _is_node(rhs, "property") or _is_casei_of_property(rhs):
            raise _error("comparing two properties is not supported; compare a property with a value")
        right = self.value(rhs, kind, _property_name(lhs))
        if op == "<>":
            return ~Q(Exact(left, right))
        return Q(_COMPARISONS[op](left, right))

    def like(self, lhs, pattern) -> Q:
        left, kind = self.operand(lhs)
        if kind.get("type") != "string" or kind.get("format"):
            raise _error(f"LIKE needs a string property; {_property_name(lhs)} is {_kind_name(kind)}")
        right = self.value(pattern, kind, _property_name(lhs))
        return Q(_Like(left, right))

    def in_list(self, lhs, items) -> Q:
        if not isinstance(items, list) or not items:
            raise _error("IN needs a non-empty list of values")
        left, kind = self.operand(lhs)
        name = _property_name(lhs)
        values = [self.value(item, kind, name) for item in items]
        if any(hasattr(v, "resolve_expression") for v in values):
            return _any(Q(Exact(left, v)) for v in values)
        return Q(In(left, values))

    # Operands -------------------------------------------------------------------------------------

    def field(self, node, *, allow_geometry: bool = False) -> str:
        """The model field behind a property reference; 400 unless it is a queryable."""
        if not _is_node(node, "property") or not isinstance(node["property"], str):
            raise _error(f"expected a property, e.g. {{'property': 'name'}}, not {_show(node)}")
        name = node["property"]
        if name == GEOMETRY and allow_geometry:
            return "geom"
        if name not in self.queryables:
            allowed = ", ".join([*self.queryables, GEOMETRY])
            raise _error(f"property {name!r} is not queryable here; queryables: {allowed}")
        return name

    def operand(self, node):
        """(expression, queryable schema) of a property, or of CASEI/ACCENTI around one."""
        if _is_node(node, "op") and str(node["op"]).lower() in ("casei", "accenti"):
            _check_function(node)
            inner, kind = self.operand(node["args"][0])
            if kind.get("type") != "string" or kind.get("format"):
                raise _error(f"{node['op'].upper()} needs a string property; got {_kind_name(kind)}")
            return Lower(inner), kind
        if _is_node(node, "property") and node.get("property") == GEOMETRY:
            raise _error("geometry can only be used in spatial functions (S_INTERSECTS, S_WITHIN, ...)")
        name = self.field(node)
        return F(name), self.queryables[name]

    def _is_property(self, node) -> bool:
        return _is_node(node, "property") or _is_casei_of_property(node)

    def value(self, node, kind: dict, name: str):
        """A literal checked against the queryable's schema ``kind``."""
        if _is_node(node, "op") and str(node["op"]).lower() in ("casei", "accenti"):
            _check_function(node)
            return Lower(Value(self.value(node["args"][0], kind, name)))
        expected = kind.get("type")
        if kind.get("format") in ("date", "date-time"):
            instant = _instant(node)
            if instant is None:
                raise _error(
                    f"{name} is a date; compare it with DATE('YYYY-MM-DD') or TIMESTAMP('...'), not {_show(node)}"
                )
            return _temporal_value(instant)
        if expected == "string":
            if not isinstance(node, str):
                raise _error(f"{name} is a string; compare it with a 'quoted string', not {_show(node)}")
            return node
        if expected in ("integer", "number"):
            if isinstance(node, bool) or not isinstance(node, int | float):
                raise _error(f"{name} is {_kind_name(kind)}; compare it with a number, not {_show(node)}")
            return node
        if expected == "boolean":
            if node in (0, 1) and not isinstance(node, bool):
                # OGR SQL has no boolean literal: GDAL sends "flag = 1" for a boolean field.
                return bool(node)
            if not isinstance(node, bool):
                raise _error(f"{name} is a boolean; compare it with TRUE or FALSE, not {_show(node)}")
            return node
        raise _error(f"{name} cannot be compared")

    # Spatial --------------------------------------------------------------------------------------

    def spatial(self, op: str, lhs, rhs) -> Q:
        lookup, swapped = _SPATIAL[op]
        if not _is_node(lhs, "property") and _is_node(rhs, "property"):
            lhs, rhs, lookup = rhs, lhs, swapped
        if not _is_node(lhs, "property") or lhs.get("property") != GEOMETRY:
            raise _error(f"{op.upper()} compares the property 'geometry' with a geometry literal, not {_show(lhs)}")
        if _is_node(rhs, "property"):
            raise _error("comparing two geometry properties is not supported")
        literal, clipped = self.geometry(rhs)
        if literal is not None and literal.srid == 4326 and not _storage_area().covers(literal):
            literal, clipped = literal.intersection(_storage_area()), True
        if clipped and lookup not in _CLIP_SAFE:
            if lookup in ("contains", "equals"):
                # Our data lies inside the area, so it can neither contain nor equal what reaches beyond.
                return NOTHING
            raise _error(
                f"{op.upper()} with a geometry reaching beyond 0-18°E, 30-84.5°N (where the data's CRS "
                "EPSG:25832 is usable) is not supported; S_INTERSECTS, S_DISJOINT, S_WITHIN, S_CONTAINS "
                "and S_EQUALS are"
            )
        if literal is None or literal.empty:
            # The literal lies wholly outside the area the data can be in.
            return Q(geom__isnull=False) if lookup == "disjoint" else NOTHING
        return Q(**{f"geom__{lookup}": literal})

    def geometry(self, node) -> tuple[GEOSGeometry | None, bool]:
        """A GeoJSON geometry or bbox literal in the filter CRS as GEOS in its SRID (CRS84 as 4326), and
        whether it was clipped to the storage CRS's area (None: nothing of it lies there)."""
        if _is_node(node, "bbox"):
            values = node["bbox"]
            if not isinstance(values, list) or len(values) not in (4, 6):
                raise _error(f"a bbox has 4 or 6 numbers, not {_show(values)}")
            if len(values) == 6:
                values = [values[0], values[1], values[3], values[4]]
            values = [float(v) for v in values]
            try:
                return bbox_geometry(values, self.crs), not _bbox_inside_area(values, self.crs)
            except InvalidInputError as error:
                raise _error(f"bbox literal: {error.message}") from None
        if not isinstance(node, dict) or "type" not in node:
            raise _error(f"expected a geometry (GeoJSON or WKT) or a bbox, not {_show(node)}")
        if self.crs.lat_first:
            node = _swapped(node)
        try:
            # GeoJSON reads as SRID 4326; the filter CRS decides.
            geometry = GEOSGeometry(json.dumps(node))
            geometry.srid = self.crs.srid
        except (GEOSException, ValueError, TypeError) as error:
            raise _error(f"the geometry cannot be read: {error}") from None
        if not geometry.valid:
            raise _error(f"the geometry is not valid: {geometry.valid_reason}")
        if self.crs.srid not in (4326, STORAGE_SRID):
            # EPSG:3857: to lon/lat, where it is checked against the storage CRS's area.
            geometry = geometry.transform(4326, clone=True)
        return geometry, False

    # Temporal -------------------------------------------------------------------------------------

    def interval(self, node) -> tuple:
        """(start, end) of a temporal operand: expressions, or None for an open end ('..')."""
        if _is_node(node, "interval"):
            bounds = node["interval"]
            if not isinstance(bounds, list) or len(bounds) != 2:
                raise _error(f"an interval has two bounds, not {_show(bounds)}")
            return self._bound(bounds[0]), self._bound(bounds[1])
        bound = self._bound(node, open_allowed=False)
        return bound, bound

    def _bound(self, node, *, open_allowed: bool = True):
        if node == ".." and open_allowed:
            return None
        if _is_node(node, "property"):
            name = self.field(node)
            if self.queryables[name].get("format") not in ("date", "date-time"):
                raise _error(f"temporal functions need a date property; {name} is {_kind_name(self.queryables[name])}")
            return F(name)
        instant = _instant(node) if isinstance(node, dict) else _instant_text(node) if isinstance(node, str) else None
        if instant is None:
            raise _error(f"expected a date property, DATE(...), TIMESTAMP(...) or INTERVAL(...), not {_show(node)}")
        return _temporal_value(instant)


# Temporal relations of CQL2 (Allen's interval algebra; an instant is the interval [t, t]).
def _cmp(lhs, op: str, rhs, *, lhs_end: bool, rhs_end: bool) -> Q:
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
    return Q(_COMPARISONS[op](lhs, rhs))


def _t(*terms):
    """A relation from terms (a_side, op, b_side); side 0 is the start, 1 the end."""

    def relation(a, b) -> Q:
        q = Q()
        for a_side, op, b_side in terms:
            q &= _cmp(a[a_side], op, b[b_side], lhs_end=bool(a_side), rhs_end=bool(b_side))
        return q

    return relation


_TEMPORAL = {
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
    return _cmp(a[1], "<", b[0], lhs_end=True, rhs_end=False) | _cmp(a[0], ">", b[1], lhs_end=False, rhs_end=True)


_TEMPORAL["t_disjoint"] = _t_disjoint
SUPPORTED_OPERATORS = (
    "and", "or", "not", "=", "<>", "<", "<=", ">", ">=", "like", "between", "in", "isNull", "casei",
    *_SPATIAL, *sorted(_TEMPORAL),
)  # fmt: skip


# Helpers ------------------------------------------------------------------------------------------


def _error(message: str) -> InvalidInputError:
    return InvalidInputError(message, where="filter")


def _arity(op: str, args: list, count: int) -> None:
    if len(args) != count:
        raise _error(f"{op.upper()} takes {count} argument(s), not {len(args)}")


def _is_node(node, key: str) -> bool:
    return isinstance(node, dict) and key in node


def _is_casei_of_property(node) -> bool:
    return (
        _is_node(node, "op")
        and str(node["op"]).lower() in ("casei", "accenti")
        and isinstance(node.get("args"), list)
        and len(node["args"]) == 1
        and _is_node(node["args"][0], "property")
    )


def _check_function(node: dict) -> None:
    if str(node["op"]).lower() == "accenti":
        raise _error("ACCENTI is not supported; CASEI is")
    if not isinstance(node.get("args"), list) or len(node["args"]) != 1:
        raise _error("CASEI takes one argument")


def _property_name(node) -> str:
    while _is_node(node, "op"):
        node = node["args"][0]
    return node.get("property", "?") if isinstance(node, dict) else "?"


def _kind_name(kind: dict) -> str:
    if kind.get("format") in ("date", "date-time"):
        return "a date"
    return {"integer": "an integer", "number": "a number", "boolean": "a boolean", "string": "a string"}.get(
        kind.get("type"), "not comparable"
    )


def _show(node) -> str:
    if isinstance(node, str):
        return f"the string {node!r}"
    if isinstance(node, bool):
        return f"the boolean {str(node).upper()}"
    if isinstance(node, int | float):
        return f"the number {node}"
    text = json.dumps(node, ensure_ascii=False) if isinstance(node, dict | list) else repr(node)
    return text if len(text) < 80 else text[:77] + "..."


def _any(qs) -> Q:
    result = NOTHING
    for q in qs:
        result |= q
    return result


def _instant(node) -> date | datetime | None:
    if _is_node(node, "date") and isinstance(node["date"], str):
        try:
            value = parse_date(node["date"])
        except ValueError:
            value = None
        if value is None:
            raise _error(f"DATE({node['date']!r}) is not a date (YYYY-MM-DD)")
        return value
    if _is_node(node, "timestamp") and isinstance(node["timestamp"], str):
        value = _parse_timestamp(node["timestamp"])
        if value is None:
            raise _error(f"TIMESTAMP({node['timestamp']!r}) is not an RFC 3339 date-time")
        return value
    return None


def _instant_text(text: str) -> date | datetime | None:
    """A bound inside INTERVAL(...): a date or an RFC 3339 date-time."""
    if "T" in text or "t" in text or " " in text:
        value = _parse_timestamp(text)
    else:
        try:
            value = parse_date(text)
        except ValueError:
            value = None
    if value is None:
        raise _error(f"interval bound {text!r} is neither a date, a date-time nor '..'")
    return value


def _parse_timestamp(text: str) -> datetime | None:
    try:
        value = parse_datetime(text)
    except ValueError:
        return None
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _temporal_value(instant: date | datetime) -> Value:
    if isinstance(instant, datetime):
        return Value(instant, output_field=DateTimeField())
    return Value(instant, output_field=DateField())


def _swapped(node: dict) -> dict:
    """A GeoJSON geometry with latitude-first coordinates turned to longitude first."""

    def swap(coords):
        if coords and isinstance(coords[0], int | float):
            return [coords[1], coords[0], *coords[2:]]
        return [swap(c) for c in coords]

    if node.get("type") == "GeometryCollection":
        return {**node, "geometries": [_swapped(g) for g in node.get("geometries", [])]}
    return {**node, "coordinates": swap(node.get("coordinates", []))}


def _bbox_inside_area(values: list[float], crs: SupportedCrs) -> bool:
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


def _storage_area() -> Polygon:
    if not _AREA:
        _AREA.append(Polygon.from_bbox(STORAGE_AREA_CRS84))
        _AREA[0].srid = 4326
    return _AREA[0]
