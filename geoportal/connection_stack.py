"""Database connections for the one statement that answers a request before Django does: an uncached
vector tile (ogc/tiles/fast.py). A stack: the connection given back last is taken first.

Checking a connection out of Django's pool and back for each tile (psycopg_pool's locks, statistics and reset
check, Django's connection handler) cost ~0.05 ms a tile in the server, a tenth of the time a city-size tile
leaves us above the bare statement (bench/README.md). Taking one from this stack is a list's pop under a lock.
Last in, first out, as the site's pool (geoportal/postgis/base.py): tiles one after another meet the same,
warm server process, whichever server thread runs them.

- Made with Django's own connection parameters (host, TLS, the serial-plan and JIT options of
  geoportal/settings.py, adapters), in autocommit, in Django's time zone, warmed as the pool's are, and
  named ``geoportal tiles`` in pg_stat_activity. A server worker makes one per thread when it boots
  (``warm``) and more only while more statements run at once than it has, so at most one per thread:
  with its pool (DATABASE_POOL_SIZE) a worker holds up to twice its thread count in connections.
- Replaced after ``MAX_LIFETIME`` seconds (as the pool's), after an error that broke one, and after the
  database was gone (``drop_all``, called by the data version watcher when it reconnects).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import NamedTuple

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections

from geoportal.postgis.base import WARM_UP

MAX_LIFETIME = 3600.0
APPLICATION_NAME = "geoportal tiles"
logger = logging.getLogger(__name__)


class Held(NamedTuple):
    conn: psycopg.Connection
    generation: int
    expires: float


# Bumped by drop_all: a connection of an older generation is closed instead of used.
_generation = 0
_stack: list[Held] = []
_lock = threading.Lock()


def take() -> Held:
    """A connection for one statement: the one given back last, or a new one. ``give`` it back after."""
    while True:
        with _lock:
            held = _stack.pop() if _stack else None
        if held is None:
            return _connect()
        if held.generation == _generation and time.monotonic() < held.expires and not held.conn.closed:
            return held
        _close(held)


def give(held: Held) -> None:
    """Put a connection taken with ``take`` back, or close it if the statement broke it."""
    if held.conn.broken or held.conn.closed or held.generation != _generation:
        _close(held)
        return
    with _lock:
        _stack.append(held)


def warm(count: int) -> None:
    """Make ``count`` connections now (a server worker booting), so that no request waits for one."""
    made = [_connect() for _ in range(count)]
    with _lock:
        _stack.extend(made)


def drop_all() -> None:
    """The database was gone (a restart, say): close the idle connections; those in use are closed when given
    back."""
    global _generation
    with _lock:
        _generation += 1
        idle = _stack[:]
        _stack.clear()
    for held in idle:
        _close(held)


def _close(held: Held) -> None:
    try:
        held.conn.close()
    except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone either way
        logger.debug("closing a tile connection failed", exc_info=True)


def _connect() -> Held:
    generation = _generation
    wrapper = connections[DEFAULT_DB_ALIAS]
    params = {**wrapper.get_connection_params(), "application_name": APPLICATION_NAME}
    conn = psycopg.connect(**params, autocommit=True)
    try:
        if wrapper.timezone_name and conn.info.parameter_status("TimeZone") != wrapper.timezone_name:
            conn.execute("SELECT set_config('TimeZone', %s, false)", [wrapper.timezone_name])
        conn.execute(WARM_UP)
    except BaseException:
        conn.close()
        raise
    return Held(conn, generation, time.monotonic() + MAX_LIFETIME)
