"""GeoDjango's PostGIS backend, with pooled connections warmed before any request uses them.

A new connection's first PostGIS statement costs ~35 ms on top of connecting: the server loads
PostGIS, and PROJ looks up and sets up each transformation (storage EPSG:25832 to CRS84/EPSG:4326
for GeoJSON, to EPSG:3857 for vector tiles). With ``DATABASES["default"]["OPTIONS"]["pool"]`` set
(settings: DATABASE_POOL_SIZE), psycopg's pool opens connections in its own threads and calls
``_configure_connection`` there, once per new connection: running the warm-up then keeps that cost
off every request, including connections the pool replaces later. Without a pool, connections
are made inside requests, and warming would only move the cost, so nothing extra runs.

The pool hands out the connection returned last (LIFO), where psycopg's pool takes the one idle
longest (FIFO): with requests one after another, FIFO rotates through every connection, so each
statement meets a server process whose caches went cold while the others ran. At city size that
cost a z14 tile ~0.2 ms of its ~1.2 ms statement. Under load every connection is busy either way.
"""

from __future__ import annotations

from collections import deque

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper

# Every transformation requests make between the storage CRS and the served ones (ogc/crs.py:
# 4326 for CRS84 and EPSG:4326, 3857), both ways, and one vector tile geometry.
WARM_UP = """
SELECT ST_AsText(ST_Transform(p, 4326)), ST_AsText(ST_Transform(ST_Transform(p, 4326), 25832)),
       ST_AsText(ST_Transform(ST_TileEnvelope(14, 8508, 5445), 25832)),
       ST_AsMVTGeom(ST_Transform(p, 3857), ST_TileEnvelope(14, 8508, 5445))
FROM (SELECT ST_SetSRID(ST_MakePoint(350000, 5700000), 25832) AS p) AS point
"""


class _Stack(deque):
    """psycopg_pool keeps idle connections in a deque, takes them with popleft() and returns them
    with append(); taking from the right makes it a stack. (Shrinking, which also uses popleft(),
    never happens here: the pool's minimum is its maximum, see settings.)"""

    def popleft(self):
        return self.pop()


def reuse_last_returned(pool) -> None:
    """Make a psycopg ConnectionPool hand out the most recently returned connection first."""
    with pool._lock:
        if not isinstance(pool._pool, _Stack):
            pool._pool = _Stack(pool._pool)


class DatabaseWrapper(PostGISDatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        if pool is not None and not isinstance(pool._pool, _Stack):
            reuse_last_returned(pool)
        return pool

    def _configure_connection(self, connection) -> bool:
        commit = super()._configure_connection(connection)
        if self.pool:
            with connection.cursor() as cursor:
                cursor.execute(WARM_UP)
        return commit
