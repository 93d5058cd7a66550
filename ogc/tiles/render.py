"""One SQL statement per tile: ST_AsMVT over the source's selector QuerySet.

The selector's QuerySet (with the user's visibility rules in it) is narrowed
by ``geom && ST_Transform(ST_TileEnvelope(z, x, y, margin), 25832)``: the
envelope is transformed once, to the storage CRS, so the GiST index on the
stored geometry serves the filter; only the rows found are transformed to
EPSG:3857 for ST_AsMVTGeom. The compiled QuerySet is wrapped in
``SELECT ST_AsMVT(...) FROM (...) AS q(<tile property names>, mvtgeom)``, which
names the columns for the tile without clashing with model field names.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from operator import itemgetter
from typing import Any, NamedTuple

from django.contrib.gis.db.models import GeometryField
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, Value
from psycopg import sql as psycopg_sql

from ogc.crs import STORAGE_SRID
from ogc.tiles.sources import TileSource

EXTENT = 4096
BUFFER = 64


class TileEnvelope(Func):
    """ST_TileEnvelope(z, x, y[, margin]) in EPSG:3857."""

    function = "ST_TileEnvelope"
    output_field = GeometryField(srid=3857)

    def __init__(self, z: int, x: int, y: int, margin: float = 0.0):
        super().__init__(Value(z), Value(x), Value(y))
        self.margin = margin

    def as_sql(self, compiler, connection, **extra):
        if self.margin:
            extra["template"] = f"%(function)s(%(expressions)s, margin => {float(self.margin)!r})"
        return super().as_sql(compiler, connection, **extra)


class TransformTo(Func):
    """ST_Transform with an integer SRID (a CRS given as text is what made tiles slow elsewhere)."""

    function = "ST_Transform"

    def __init__(self, expression, srid: int):
        super().__init__(expression, Value(srid), output_field=GeometryField(srid=srid))


class BoxOverlaps(Func):
    """``a && b``: bounding boxes overlap, answered by the GiST index on ``a``."""

    arg_joiner = " && "
    template = "%(expressions)s"
    output_field = BooleanField()
    conditional = True


class AsMVTGeom(Func):
    function = "ST_AsMVTGeom"
    output_field = GeometryField(srid=0)

    def __init__(self, geometry, envelope):
        super().__init__(geometry, envelope, Value(EXTENT), Value(BUFFER), Value(True))


def tile_sql(source: TileSource, *, user, z: int, x: int, y: int) -> tuple[str, list]:
    """The tile's SQL and parameters; ``x`` is the column, ``y`` the row (XYZ).

    The statement for anonymous users is the same for every tile but z/x/y: it is
    compiled once per source and kept COMPILED_TTL seconds (compiling the QuerySet
    costs about as much as rendering a small tile). Logged-in users' statements,
    which depend on who they are, are compiled per request.
    """
    if user is not None and user.is_authenticated:
        return _compile(source, user=user, z=z, x=x, y=y)
    entry = _anonymous_entry(source)
    params = list(entry.params)
    for index, which in entry.slots:
        params[index] = type(params[index])((z, x, y)[which])
    return entry.sql, params


def tile_sql_text(source: TileSource, *, z: int, x: int, y: int) -> str:
    """The statement of an anonymous user's tile with its values in the text (no parameters to bind).

    For ogc.tiles.fast, which sends it on a connection of its own: the tile's twelve to twenty parameters
    cost more to dump and bind than the text costs to parse (~0.03 ms a tile in the server, measured
    alternating with ``tile_sql``'s statement). The constants (layer name, SRIDs, extent ...) are written
    once by psycopg's literal quoting; z, x and y go in as ``%d``, which formats integers only."""
    entry = _anonymous_entry(source)
    return entry.text % entry.text_values((z, x, y))


def tile_recipe(source: TileSource) -> str:
    """A short hash of how the source's tiles are made: its statement for anonymous users, with the
    properties, the selector's rules, extent and buffer in it. Part of every tile's cache key (and so of
    its ETag): after a deploy that changes what a tile holds, neither the shared cache, which outlives
    restarts, nor a client revalidating its copy gets the old tile for the same data."""
    return _anonymous_entry(source).recipe


class _Anonymous(NamedTuple):
    """An anonymous user's statement for one source, compiled once (``COMPILED_TTL``)."""

    made: float
    sql: str
    params: list
    slots: list[tuple[int, int]]  # (parameter index, 0/1/2 for z/x/y)
    recipe: str
    text: str  # the statement with the constants written in and ``%d`` where z, x and y go
    text_values: Callable[[tuple[int, int, int]], Any]  # (z, x, y) → the values for ``text``, in its order


def _anonymous_entry(source: TileSource) -> _Anonymous:
    entry = _anonymous.get(source.id)
    if entry is None or time.monotonic() - entry.made > COMPILED_TTL:
        sql, params = _compile(source, user=None, z=_SENTINELS[0], x=_SENTINELS[1], y=_SENTINELS[2])
        slots = [(i, _SENTINELS.index(v)) for i, v in enumerate(params) if isinstance(v, int) and v in _SENTINELS]
        recipe = hashlib.sha256(repr((sql, [str(p) for p in params])).encode()).hexdigest()[:12]
        text, order = _text_template(sql, params, dict(slots))
        entry = _anonymous[source.id] = _Anonymous(
            time.monotonic(), sql, params, slots, recipe, text, itemgetter(*order) if order else lambda _zxy: ()
        )
    return entry


def _text_template(sql: str, params: list, slots: dict[int, int]) -> tuple[str, list[int]]:
    """``sql`` (psycopg's placeholders: ``%s`` for a value, ``%%`` for a percent sign) as a %-format string:
    constants written in as SQL literals, ``%d`` for each z/x/y slot (after a space, so that no value could
    join a minus sign before it into a comment); and the order in which the slots take z, x and y.

    The format turns ``%%`` into one percent sign, as a statement sent without parameters must have it; so
    a percent sign in a literal is doubled, and ``%%`` in the statement stays as it is."""
    text, order, index = [], [], 0
    for token in _PLACEHOLDERS.split(sql):
        if token != "%s":
            text.append(token)
            continue
        if index in slots:
            text.append(" %d")
            order.append(slots[index])
        else:
            text.append(psycopg_sql.Literal(params[index]).as_string(None).replace("%", "%%"))
        index += 1
    if index != len(params):
        raise ValueError(f"{index} placeholders for {len(params)} parameters")
    return "".join(text), order


_PLACEHOLDERS = re.compile(r"(%%|%s)")


COMPILED_TTL = 60.0
# Stand-ins for z, x, y while compiling; no tile index is negative.
_SENTINELS = (-918_273_001, -918_273_002, -918_273_003)
_anonymous: dict[str, _Anonymous] = {}


def _compile(source: TileSource, *, user, z: int, x: int, y: int) -> tuple[str, list]:
    geometry = F(source.geometry)
    search_area = TransformTo(TileEnvelope(z, x, y, margin=BUFFER / EXTENT), STORAGE_SRID)
    mvt_geometry = AsMVTGeom(TransformTo(geometry, 3857), TileEnvelope(z, x, y))
    if source.indexed_geometry is None:
        where = Q(BoxOverlaps(geometry, search_area))
    else:
        indexed = source.indexed_geometry
        where = Q(BoxOverlaps(F(indexed), search_area)) | Q(
            Q(**{f"{indexed}__isnull": True}), BoxOverlaps(geometry, search_area)
        )
    queryset = (
        source.queryset(user=user)
        .order_by()
        .filter(where)
        .values(*(p.path for p in source.properties), mvtgeom=mvt_geometry)
    )
    inner, params = queryset.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(p.name) for p in source.properties)
    id_column = "'id'" if any(p.name == "id" for p in source.properties) else "NULL"
    sql = f"SELECT ST_AsMVT(q, %s, {EXTENT}, 'mvtgeom', {id_column}) FROM ({inner}) AS q({columns}, mvtgeom)"
    return sql, [source.id, *params]


def tile_render(source: TileSource, *, user, z: int, x: int, y: int) -> bytes:
    """The Mapbox Vector Tile (one layer named after the collection); empty bytes when nothing is there.

    On Django's connection, which plans it serially like every statement of the site (settings: the
    connections' ``max_parallel_workers_per_gather``). ogc.tiles.fast runs the same statement in the server on
    a connection of the tiles' own (geoportal/connection_stack.py)."""
    sql, params = tile_sql(source, user=user, z=z, x=x, y=y)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""
