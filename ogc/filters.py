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

from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db.models import F, Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import (
    Exact,
    In,
    IsNull,
    Lookup,
)

from geoportal.errors import InvalidInputError
from ogc.collections import Collection
from ogc.cql2 import cql2_text_parse
from ogc.cql2_terms import (
    COMPARISONS,
    NOTHING,
    TEMPORAL,
    any_of,
    arity,
    bbox_inside_area,
    check_function,
    filter_error,
    instant_of,
    instant_text,
    is_casei_of_property,
    is_node,
    kind_name,
    lon_lat_first,
    property_name,
    show,
    storage_area,
    temporal_value,
)
from ogc.crs import CRS84, STORAGE_SRID, SupportedCrs, bbox_geometry

GEOMETRY = "geometry"
LANGUAGES = ("cql2-text", "cql2-json")
# GDAL up to 3.6 sends CQL text only when the OpenAPI document offers filter-lang "cql-text" (the
# draft's name), and then sends filter-lang=cql-text with CQL2-compatible text: read it as cql2-text.
LEGACY_LANGUAGES = {"cql-text": "cql2-text"}
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
        # What ``geometry`` names: the collection's geometry (a field, an annotation or a path).
        self.geometry_field = collection.geometry
        self.crs = crs

    # Conditions ----------------------------------------------------------------------------------

    def condition(self, node) -> Q:
        if isinstance(node, bool):
            return Q() if node else NOTHING
        if not isinstance(node, dict) or not isinstance(node.get("op"), str) or not isinstance(node.get("args"), list):
            raise filter_error(f"expected a condition ({{'op': ..., 'args': [...]}}), not {show(node)}")
        op, args = node["op"].lower(), node["args"]
        if op in ("and", "or"):
            if len(args) < 2:
                raise filter_error(f"{op.upper()} needs at least two conditions")
            parts = [self.condition(a) for a in args]
            combined = parts[0]
            for part in parts[1:]:
                combined = (combined & part) if op == "and" else (combined | part)
            return combined
        if op == "not":
            arity(op, args, 1)
            return ~self.condition(args[0])
        if op in COMPARISONS or op == "<>":
            arity(op, args, 2)
            return self.comparison(op, args[0], args[1])
        if op == "like":
            arity(op, args, 2)
            return self.like(args[0], args[1])
        if op == "between":
            arity(op, args, 3)
            return self.comparison(">=", args[0], args[1]) & self.comparison("<=", args[0], args[2])
        if op == "in":
            arity(op, args, 2)
            return self.in_list(args[0], args[1])
        if op == "isnull":
            arity("isNull", args, 1)
            return Q(IsNull(F(self.field(args[0], allow_geometry=True)), True))
        if op in _SPATIAL:
            arity(op, args, 2)
            return self.spatial(op, args[0], args[1])
        if op.startswith("t_") and op in TEMPORAL:
            arity(op, args, 2)
            return TEMPORAL[op](self.interval(args[0]), self.interval(args[1]))
        raise filter_error(f"operator {node['op']!r} is not supported; supported: {', '.join(SUPPORTED_OPERATORS)}")

    def comparison(self, op: str, lhs, rhs) -> Q:
        if not self._is_property(lhs) and self._is_property(rhs):
            lhs, rhs, op = rhs, lhs, _FLIPPED[op]
        left, kind = self.operand(lhs)
        if is_node(rhs, "property") or is_casei_of_property(rhs):
            raise filter_error("comparing two properties is not supported; compare a property with a value")
        right = self.value(rhs, kind, property_name(lhs))
        if op == "<>":
            return ~Q(Exact(left, right))
        return Q(COMPARISONS[op](left, right))

    def like(self, lhs, pattern) -> Q:
        left, kind = self.operand(lhs)
        if kind.get("type") != "string" or kind.get("format"):
            raise filter_error(f"LIKE needs a string property; {property_name(lhs)} is {kind_name(kind)}")
        right = self.value(pattern, kind, property_name(lhs))
        return Q(_Like(left, right))

    def in_list(self, lhs, items) -> Q:
        if not isinstance(items, list) or not items:
            raise filter_error("IN needs a non-empty list of values")
        left, kind = self.operand(lhs)
        name = property_name(lhs)
        values = [self.value(item, kind, name) for item in items]
        if any(hasattr(v, "resolve_expression") for v in values):
            return any_of(Q(Exact(left, v)) for v in values)
        return Q(In(left, values))

    # Operands -------------------------------------------------------------------------------------

    def field(self, node, *, allow_geometry: bool = False) -> str:
        """The model field behind a property reference; 400 unless it is a queryable."""
        if not is_node(node, "property") or not isinstance(node["property"], str):
            raise filter_error(f"expected a property, e.g. {{'property': 'name'}}, not {show(node)}")
        name = node["property"]
        if name == GEOMETRY and allow_geometry:
            return self.geometry_field
        if name not in self.queryables:
            allowed = ", ".join([*self.queryables, GEOMETRY])
            raise filter_error(f"property {name!r} is not queryable here; queryables: {allowed}")
        return name

    def operand(self, node):
        """(expression, queryable schema) of a property, or of CASEI/ACCENTI around one."""
        if is_node(node, "op") and str(node["op"]).lower() in ("casei", "accenti"):
            check_function(node)
            inner, kind = self.operand(node["args"][0])
            if kind.get("type") != "string" or kind.get("format"):
                raise filter_error(f"{node['op'].upper()} needs a string property; got {kind_name(kind)}")
            return Lower(inner), kind
        if is_node(node, "property") and node.get("property") == GEOMETRY:
            raise filter_error("geometry can only be used in spatial functions (S_INTERSECTS, S_WITHIN, ...)")
        name = self.field(node)
        return F(name), self.queryables[name]

    def _is_property(self, node) -> bool:
        return is_node(node, "property") or is_casei_of_property(node)

    def value(self, node, kind: dict, name: str):
        """A literal checked against the queryable's schema ``kind``."""
        if is_node(node, "op") and str(node["op"]).lower() in ("casei", "accenti"):
            check_function(node)
            return Lower(Value(self.value(node["args"][0], kind, name)))
        expected = kind.get("type")
        if kind.get("format") in ("date", "date-time"):
            instant = instant_of(node)
            if instant is None:
                raise filter_error(
                    f"{name} is a date; compare it with DATE('YYYY-MM-DD') or TIMESTAMP('...'), not {show(node)}"
                )
            return temporal_value(instant)
        if expected == "string":
            if not isinstance(node, str):
                raise filter_error(f"{name} is a string; compare it with a 'quoted string', not {show(node)}")
            return node
        if expected in ("integer", "number"):
            if isinstance(node, bool) or not isinstance(node, int | float):
                raise filter_error(f"{name} is {kind_name(kind)}; compare it with a number, not {show(node)}")
            return node
        if expected == "boolean":
            if node in (0, 1) and not isinstance(node, bool):
                # OGR SQL has no boolean literal: GDAL sends "flag = 1" for a boolean field.
                return bool(node)
            if not isinstance(node, bool):
                raise filter_error(f"{name} is a boolean; compare it with TRUE or FALSE, not {show(node)}")
            return node
        raise filter_error(f"{name} cannot be compared")

    # Spatial --------------------------------------------------------------------------------------

    def spatial(self, op: str, lhs, rhs) -> Q:
        lookup, swapped = _SPATIAL[op]
        if not is_node(lhs, "property") and is_node(rhs, "property"):
            lhs, rhs, lookup = rhs, lhs, swapped
        if not is_node(lhs, "property") or lhs.get("property") != GEOMETRY:
            raise filter_error(
                f"{op.upper()} compares the property 'geometry' with a geometry literal, not {show(lhs)}"
            )
        if is_node(rhs, "property"):
            raise filter_error("comparing two geometry properties is not supported")
        literal, clipped = self.geometry(rhs)
        if literal is not None and literal.srid == 4326 and not storage_area().covers(literal):
            literal, clipped = literal.intersection(storage_area()), True
        if clipped and lookup not in _CLIP_SAFE:
            if lookup in ("contains", "equals"):
                # Our data lies inside the area, so it can neither contain nor equal what reaches beyond.
                return NOTHING
            raise filter_error(
                f"{op.upper()} with a geometry reaching beyond 0-18°E, 30-84.5°N (where the data's CRS "
                "EPSG:25832 is usable) is not supported; S_INTERSECTS, S_DISJOINT, S_WITHIN, S_CONTAINS "
                "and S_EQUALS are"
            )
        if literal is None or literal.empty:
            # The literal lies wholly outside the area the data can be in.
            return Q(**{f"{self.geometry_field}__isnull": False}) if lookup == "disjoint" else NOTHING
        return Q(**{f"{self.geometry_field}__{lookup}": literal})

    def geometry(self, node) -> tuple[GEOSGeometry | None, bool]:
        """A GeoJSON geometry or bbox literal in the filter CRS as GEOS in its SRID (CRS84 as 4326), and
        whether it was clipped to the storage CRS's area (None: nothing of it lies there)."""
        if is_node(node, "bbox"):
            values = node["bbox"]
            if not isinstance(values, list) or len(values) not in (4, 6):
                raise filter_error(f"a bbox has 4 or 6 numbers, not {show(values)}")
            if len(values) == 6:
                values = [values[0], values[1], values[3], values[4]]
            values = [float(v) for v in values]
            try:
                return bbox_geometry(values, self.crs), not bbox_inside_area(values, self.crs)
            except InvalidInputError as error:
                raise filter_error(f"bbox literal: {error.message}") from None
        if not isinstance(node, dict) or "type" not in node:
            raise filter_error(f"expected a geometry (GeoJSON or WKT) or a bbox, not {show(node)}")
        if self.crs.lat_first:
            node = lon_lat_first(node)
        try:
            # GeoJSON reads as SRID 4326; the filter CRS decides.
            geometry = GEOSGeometry(json.dumps(node))
            geometry.srid = self.crs.srid
        except (GEOSException, ValueError, TypeError) as error:
            raise filter_error(f"the geometry cannot be read: {error}") from None
        if not geometry.valid:
            raise filter_error(f"the geometry is not valid: {geometry.valid_reason}")
        if self.crs.srid not in (4326, STORAGE_SRID):
            # EPSG:3857: to lon/lat, where it is checked against the storage CRS's area.
            geometry = geometry.transform(4326, clone=True)
        return geometry, False

    # Temporal -------------------------------------------------------------------------------------

    def interval(self, node) -> tuple:
        """(start, end) of a temporal operand: expressions, or None for an open end ('..')."""
        if is_node(node, "interval"):
            bounds = node["interval"]
            if not isinstance(bounds, list) or len(bounds) != 2:
                raise filter_error(f"an interval has two bounds, not {show(bounds)}")
            return self._bound(bounds[0]), self._bound(bounds[1])
        bound = self._bound(node, open_allowed=False)
        return bound, bound

    def _bound(self, node, *, open_allowed: bool = True):
        if node == ".." and open_allowed:
            return None
        if is_node(node, "property"):
            name = self.field(node)
            if self.queryables[name].get("format") not in ("date", "date-time"):
                raise filter_error(
                    f"temporal functions need a date property; {name} is {kind_name(self.queryables[name])}"
                )
            return F(name)
        instant = instant_of(node) if isinstance(node, dict) else instant_text(node) if isinstance(node, str) else None
        if instant is None:
            raise filter_error(
                f"expected a date property, DATE(...), TIMESTAMP(...) or INTERVAL(...), not {show(node)}"
            )
        return temporal_value(instant)


SUPPORTED_OPERATORS = (
    "and", "or", "not", "=", "<>", "<", "<=", ">", ">=", "like", "between", "in", "isNull", "casei",
    *_SPATIAL, *sorted(TEMPORAL),
)  # fmt: skip
