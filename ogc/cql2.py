"""CQL2 text parsed into the CQL2 JSON structure (OGC 21-065r2), which ogc.filters evaluates.

pygeofilter 0.4's CQL2 text grammar does not read the standard's function syntax
for temporal operators (``T_BEFORE(a, b)``), ``''`` inside strings, one-letter
property names, ``_`` as the LIKE wildcard or ``BBOX(...)`` literals, and its
CQL2 JSON parser swaps bbox corners and fails on BETWEEN. This grammar follows
the standard's BNF for what the server offers (basic CQL2, advanced comparison,
CASEI, spatial and temporal functions) and produces plain CQL2 JSON, so both
encodings meet in one evaluator. Keywords are case-insensitive; function-like
keywords (DATE, CASEI, POINT, ...) are keywords only before "(", so properties
may carry those names.
"""

from __future__ import annotations

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from geoportal.errors import InvalidInputError

GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr
        | or_expr OR and_expr           -> or_
?and_expr: not_expr
         | and_expr AND not_expr        -> and_
?not_expr: primary
         | NOT primary                  -> not_
?primary: predicate
        | BOOL                          -> bool_predicate
        | "(" or_expr ")"

?predicate: scalar COMP_OP scalar                       -> compare
          | scalar LIKE scalar                          -> like
          | scalar NOT LIKE scalar                      -> not_like
          | scalar ILIKE scalar                         -> ilike
          | scalar NOT ILIKE scalar                     -> not_ilike
          | scalar BETWEEN scalar AND scalar            -> between
          | scalar NOT BETWEEN scalar AND scalar        -> not_between
          | scalar IN "(" scalar ("," scalar)* ")"      -> in_
          | scalar NOT IN "(" scalar ("," scalar)* ")"  -> not_in
          | scalar IS NULL                              -> is_null
          | scalar IS NOT NULL                          -> is_not_null
          | SPATIAL_FN "(" spatial_arg "," spatial_arg ")"     -> spatial
          | TEMPORAL_FN "(" temporal_arg "," temporal_arg ")"  -> temporal

?scalar: property
       | STRING                         -> string
       | NUMBER                         -> number
       | BOOL                           -> boolean
       | instant
       | CASEI "(" scalar ")"            -> casei
       | ACCENTI "(" scalar ")"          -> accenti

property: IDENT | DQUOTED

instant: DATE "(" STRING ")"           -> date
       | TIMESTAMP "(" STRING ")"      -> timestamp

?temporal_arg: property | instant | interval
interval: INTERVAL "(" bound "," bound ")"
?bound: STRING                         -> string
      | property
      | instant

?spatial_arg: property | geometry

?geometry: POINT "(" coord ")"                                  -> point
         | LINESTRING "(" coords ")"                            -> linestring
         | POLYGON "(" rings ")"                                -> polygon
         | MULTIPOINT "(" mp_point ("," mp_point)* ")"          -> multipoint
         | MULTILINESTRING "(" rings ")"                        -> multilinestring
         | MULTIPOLYGON "(" polygon_body ("," polygon_body)* ")" -> multipolygon
         | GEOMETRYCOLLECTION "(" geometry ("," geometry)* ")"  -> collection
         | BBOX "(" NUMBER "," NUMBER "," NUMBER "," NUMBER ("," NUMBER "," NUMBER)? ")" -> bbox
coord: NUMBER NUMBER NUMBER?
coords: coord ("," coord)*
?mp_point: coord | "(" coord ")"
ring: "(" coords ")"
rings: ring ("," ring)*
polygon_body: "(" rings ")"

OR.3: /OR\b/i
AND.3: /AND\b/i
NOT.3: /NOT\b/i
LIKE.3: /LIKE\b/i
ILIKE.3: /ILIKE\b/i
BETWEEN.3: /BETWEEN\b/i
IN.3: /IN\b/i
IS.3: /IS\b/i
NULL.3: /NULL\b/i
BOOL.3: /(TRUE|FALSE)\b/i
SPATIAL_FN.3: /S_(INTERSECTS|EQUALS|DISJOINT|TOUCHES|WITHIN|OVERLAPS|CROSSES|CONTAINS)(?=\s*\()/i
TEMPORAL_FN.3: /T_(TEMPORAL_NAMES)(?=\s*\()/i
DATE.3: /DATE(?=\s*\()/i
TIMESTAMP.3: /TIMESTAMP(?=\s*\()/i
INTERVAL.3: /INTERVAL(?=\s*\()/i
CASEI.3: /CASEI(?=\s*\()/i
ACCENTI.3: /ACCENTI(?=\s*\()/i
POINT.3: /POINT(\s+Z)?(?=\s*\()/i
LINESTRING.3: /LINESTRING(\s+Z)?(?=\s*\()/i
POLYGON.3: /POLYGON(\s+Z)?(?=\s*\()/i
MULTIPOINT.3: /MULTIPOINT(\s+Z)?(?=\s*\()/i
MULTILINESTRING.3: /MULTILINESTRING(\s+Z)?(?=\s*\()/i
MULTIPOLYGON.3: /MULTIPOLYGON(\s+Z)?(?=\s*\()/i
GEOMETRYCOLLECTION.3: /GEOMETRYCOLLECTION(\s+Z)?(?=\s*\()/i
BBOX.3: /BBOX(?=\s*\()/i

COMP_OP: "<>" | "<=" | ">=" | "=" | "<" | ">"
IDENT: /[A-Za-z_][A-Za-z0-9_.:]*/
DQUOTED: /"[^"]+"/
STRING: /'(?:[^'\\]|''|\\.)*'/
NUMBER: /[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/

%import common.WS
%ignore WS
"""
TEMPORAL_NAMES = (
    "AFTER BEFORE CONTAINS DISJOINT DURING EQUALS FINISHEDBY FINISHES INTERSECTS MEETS METBY "
    "OVERLAPPEDBY OVERLAPS STARTEDBY STARTS BEGINS BEGUNBY ENDS ENDEDBY"
)
GRAMMAR = GRAMMAR.replace("TEMPORAL_NAMES", "|".join(TEMPORAL_NAMES.split()))

# The draft names of four temporal functions, as some clients still send them.
_TEMPORAL_ALIASES = {
    "t_begins": "t_starts",
    "t_begunby": "t_startedby",
    "t_ends": "t_finishes",
    "t_endedby": "t_finishedby",
}


def _not(node: dict) -> dict:
    return {"op": "not", "args": [node]}


def _casei(node) -> dict:
    return {"op": "casei", "args": [node]}


@v_args(inline=True)
class _ToJson(Transformer):
    """Parse tree -> CQL2 JSON (dicts, lists, str, int, float, bool)."""

    def or_(self, lhs, _op, rhs):
        return {"op": "or", "args": [lhs, rhs]}

    def and_(self, lhs, _op, rhs):
        return {"op": "and", "args": [lhs, rhs]}

    def not_(self, _op, node):
        return _not(node)

    def bool_predicate(self, token):
        return token.lower() == "true"

    def compare(self, lhs, op, rhs):
        return {"op": str(op), "args": [lhs, rhs]}

    def like(self, lhs, _op, pattern):
        return {"op": "like", "args": [lhs, pattern]}

    def not_like(self, lhs, _not_, _op, pattern):
        return _not(self.like(lhs, None, pattern))

    def ilike(self, lhs, _op, pattern):
        # Not CQL2, but GDAL sends it: the same as CASEI on both sides.
        return {"op": "like", "args": [_casei(lhs), _casei(pattern)]}

    def not_ilike(self, lhs, _not_, _op, pattern):
        return _not(self.ilike(lhs, None, pattern))

    def between(self, lhs, _op, low, _and, high):
        return {"op": "between", "args": [lhs, low, high]}

    def not_between(self, lhs, _not_, _op, low, _and, high):
        return _not(self.between(lhs, None, low, None, high))

    def in_(self, lhs, _op, *items):
        return {"op": "in", "args": [lhs, list(items)]}

    def not_in(self, lhs, _not_, _op, *items):
        return _not(self.in_(lhs, None, *items))

    def is_null(self, lhs, _is, _null):
        return {"op": "isNull", "args": [lhs]}

    def is_not_null(self, lhs, _is, _not_, _null):
        return _not(self.is_null(lhs, None, None))

    def spatial(self, op, lhs, rhs):
        return {"op": op.lower(), "args": [lhs, rhs]}

    def temporal(self, op, lhs, rhs):
        name = op.lower()
        return {"op": _TEMPORAL_ALIASES.get(name, name), "args": [lhs, rhs]}

    def property(self, token):
        name = str(token)
        return {"property": name[1:-1] if token.type == "DQUOTED" else name}

    def string(self, token):
        text = str(token)[1:-1]
        return text.replace("''", "'").replace("\\'", "'")

    def number(self, token):
        text = str(token)
        return float(text) if any(c in text for c in ".eE") else int(text)

    def boolean(self, token):
        return token.lower() == "true"

    def casei(self, _fn, node):
        return _casei(node)

    def accenti(self, _fn, node):
        return {"op": "accenti", "args": [node]}

    def date(self, _fn, text):
        return {"date": self.string(text)}

    def timestamp(self, _fn, text):
        return {"timestamp": self.string(text)}

    def interval(self, _fn, start, end):
        return {"interval": [start, end]}

    # Geometries: GeoJSON objects, as in CQL2 JSON.
    def coord(self, *numbers):
        return [float(n) for n in numbers]

    def coords(self, *coords):
        return list(coords)

    def ring(self, coords):
        return coords

    def rings(self, *rings):
        return list(rings)

    def polygon_body(self, rings):
        return rings

    def point(self, _kw, coord):
        return {"type": "Point", "coordinates": coord}

    def linestring(self, _kw, coords):
        return {"type": "LineString", "coordinates": coords}

    def polygon(self, _kw, rings):
        return {"type": "Polygon", "coordinates": rings}

    def multipoint(self, _kw, *points):
        return {"type": "MultiPoint", "coordinates": list(points)}

    def multilinestring(self, _kw, rings):
        return {"type": "MultiLineString", "coordinates": rings}

    def multipolygon(self, _kw, *polygons):
        return {"type": "MultiPolygon", "coordinates": list(polygons)}

    def collection(self, _kw, *geometries):
        return {"type": "GeometryCollection", "geometries": list(geometries)}

    def bbox(self, _kw, *numbers):
        return {"bbox": [float(n) for n in numbers]}


_parser = Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)
_to_json = _ToJson()


def cql2_text_parse(text: str) -> dict | bool:
    """The CQL2 JSON equivalent of ``text``; a 400 naming line, column and what was expected when malformed."""
    try:
        return _to_json.transform(_parser.parse(text))
    except UnexpectedInput as error:
        raise InvalidInputError(_message(error, text), where="filter") from None
    except LarkError as error:
        raise InvalidInputError(f"CQL2 text cannot be read: {error}", where="filter") from None


def _message(error: UnexpectedInput, text: str) -> str:
    if isinstance(error, UnexpectedEOF):
        return f"CQL2 text ends too early (after {text[-20:]!r})"
    column = getattr(error, "column", "?")
    if isinstance(error, UnexpectedCharacters):
        found = repr(text[error.pos_in_stream : error.pos_in_stream + 10])
    elif isinstance(error, UnexpectedToken) and isinstance(error.token, Token) and error.token.type == "$END":
        return f"CQL2 text ends too early at column {column}; expected {_expected(error)}"
    else:
        found = repr(str(error.token))
    return f"CQL2 text cannot be read at line {error.line}, column {column} near {found}; expected {_expected(error)}"


def _expected(error: UnexpectedInput) -> str:
    names = sorted(getattr(error, "expected", None) or getattr(error, "allowed", None) or [])
    readable = [_TOKEN_NAMES.get(n, n) for n in names if not n.startswith("__ANON")]
    return ", ".join(dict.fromkeys(readable)) or "something else"


_TOKEN_NAMES = {
    "IDENT": "a property name",
    "DQUOTED": "a property name",
    "STRING": "a 'quoted string'",
    "NUMBER": "a number",
    "COMP_OP": "a comparison (=, <>, <, <=, >, >=)",
    "LPAR": "(",
    "RPAR": ")",
    "COMMA": ",",
    "$END": "the end",
}
