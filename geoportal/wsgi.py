"""WSGI entry point for the server (granian, scripts/serve.sh; runserver).

Plain anonymous GETs of cached OGC responses (features, queryables, vector tiles) are answered here,
before Django builds a request: ogc.response_cache decides from the environ alone, without the
database, and anything it cannot decide goes to Django. See ogc/response_cache.py. Plain anonymous
GETs of tiles that are not cached yet are made here too (ogc/tiles/fast.py).
"""

import logging
import os

import psycopg
from django.core.wsgi import get_wsgi_application
from django.db import DatabaseError
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
django_application = get_wsgi_application()
# Import every view module (pygeoapi, geopandas: ~1 s) now, while the worker boots, not in its first request.
get_resolver().url_patterns  # noqa: B018 - importing them is the point

from ogc.response_cache import wsgi_hit  # noqa: E402 - needs the configured settings
from ogc.tiles.fast import wsgi_tile  # noqa: E402

logger = logging.getLogger(__name__)


def _server_boot() -> None:
    """With DATABASE_POOL_SIZE (a server worker): fill this worker's pool now (warmed connections, see
    geoportal/postgis), make its tile connections (geoportal/connection_stack.py), and start its data
    version watcher, which also has both replaced after the database was gone (geoportal/data_version.py)."""
    from django.db import connections

    from geoportal import connection_stack
    from geoportal.data_version import watcher_wait

    pool = connections["default"].pool
    if pool is None:
        return
    try:
        pool.open(wait=True, timeout=30)
    except Exception:  # noqa: BLE001 - the database may be down at boot; the pool keeps trying
        logger.warning("database pool not filled at start-up; requests will wait for connections", exc_info=True)
    try:
        connection_stack.warm(pool.max_size)  # one per server thread (scripts/serve.sh: the pool's size)
    except Exception:  # noqa: BLE001 - as above
        logger.warning("tile connections not made at start-up; tiles make them when needed", exc_info=True)
    if not watcher_wait(timeout=5):
        logger.warning("data version watcher not connected at start-up; it keeps trying")


_server_boot()


def application(environ, start_response):
    after = None
    try:
        entry = wsgi_hit(environ)
        if entry is None and (made := wsgi_tile(environ)) is not None:
            entry, after = made
    except (DatabaseError, psycopg.Error) as error:
        # The database is down or restarting (the pool's connections broken, none to be had): a line, not
        # a traceback per tile. Django answers, with its own error if the database is still gone.
        logger.warning("tile before Django: database unavailable (%s); answering through Django", error)
        entry = after = None
    except Exception:
        logger.exception("answering before Django failed; answering through Django")
        entry = after = None
    if entry is None:
        return django_application(environ, start_response)
    start_response(entry.wsgi_status(), entry.headers)
    if after is None:
        # A list: granian sends its bytes in one piece; any other iterable it iterates through Python
        # (~30-40 µs more a response, measured with wrk against a WSGI app that returns only bytes).
        return [entry.content]
    return _Body(entry.content, after)


class _Body:
    """The response body; ``after`` runs when the server closes it, once the response is sent (PEP 3333)."""

    __slots__ = ("content", "after")

    def __init__(self, content: bytes, after) -> None:
        self.content, self.after = content, after

    def __iter__(self):
        yield self.content

    def __len__(self) -> int:
        return 1

    def close(self) -> None:
        if self.after is not None:
            try:
                self.after()
            except Exception:
                logger.exception("work after the response failed")
