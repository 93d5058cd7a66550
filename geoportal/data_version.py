"""Read the change counters of tables (see layers/migrations/0002_data_version.py and 0003_data_version_notify.py).

A value derived from some tables (a count, a response, a tile) may be cached under the tables' versions:
any write to one of them gives it a new version, committed or not, and a version is never reused.
The ``(epoch)`` row is random per database, so keys made under a dropped and re-created database
(whose sequence starts again) never meet keys of the old one in a persistent cache. Each row also
keeps when its table last changed (layers/migrations/0004_data_version_changed_at.py): the
Last-Modified of what is made from it, the same in every process (``data_state``).

Where the versions come from:

- **Committed versions, without a query**: each process keeps a watcher thread with its own
  connection that ``LISTEN``s on ``data_version`` (the triggers ``pg_notify`` it; PostgreSQL delivers
  notifications at commit, in commit order) and re-reads the few rows of ``data_version`` after each
  notification. A cache hit then costs no round trip at all. Another process's commit is seen as soon
  as the notification arrives (well under a millisecond on one machine; until then that process may
  answer from the state just before the commit, as any HTTP cache would).
- **One query** when the watcher cannot answer exactly: inside a transaction (its own uncommitted
  writes are invisible to the watcher; tests run inside one) or while the watcher is not connected
  (start-up, database restart: it reconnects in the background).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from functools import cache

import psycopg
from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connection, connections

logger = logging.getLogger(__name__)

CHANNEL = "data_version"
EPOCH = "(epoch)"
RECONNECT_SECONDS = 2.0


def data_versions(*, tables: list[str], query: bool = True) -> tuple[int, ...] | None:
    """The versions of ``tables`` in their order (sorted, unique) followed by the database's epoch.

    None when any of them is not watched (then do not cache), and with ``query=False`` also when
    the answer would need a query (the caller then takes its slow path).
    """
    state = data_state(tables=tables, query=query)
    return None if state is None else state[0]


def data_state(*, tables: list[str], query: bool = True) -> tuple[tuple[int, ...], int] | None:
    """``data_versions(tables)`` and when the last of ``tables`` changed (whole seconds since the epoch,
    for Last-Modified), read together. None as for ``data_versions``."""
    # This thread's connection, looked up once: every request answered before Django asks here, and
    # each lookup goes through Django's context-local storage.
    conn = connections[DEFAULT_DB_ALIAS]
    if not conn.in_atomic_block and (found := _watcher(conn).state()) is not None:
        # The same tables under the same watcher state give the same answer: kept until the next change.
        key = tuple(tables)
        derived = _derived.get(key)
        if derived is None or derived[0] is not found:
            if len(_derived) >= MAX_DERIVED:
                _derived.clear()
            derived = _derived[key] = (found, _derive(found, tables))
        return derived[1]
    if not query:
        return None
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, version, extract(epoch FROM changed_at) FROM data_version WHERE table_name = ANY(%s)",
            [[*sorted(set(tables)), EPOCH]],
        )
        return _derive(_state(cursor.fetchall()), tables)


# tuple(tables) -> (the watcher state read, data_state's answer from it)
_derived: dict[tuple[str, ...], tuple[tuple, tuple[tuple[int, ...], int] | None]] = {}
MAX_DERIVED = 256


def _derive(found: tuple[dict[str, int], dict[str, int]], tables: list[str]) -> tuple[tuple[int, ...], int] | None:
    versions, changed = found
    wanted = sorted(set(tables))
    try:
        return (*(versions[t] for t in wanted), versions[EPOCH]), max((changed[t] for t in wanted), default=0)
    except KeyError:
        return None


def _state(rows: list[tuple]) -> tuple[dict[str, int], dict[str, int]]:
    """(versions, change times in whole seconds) by table, from rows of (table_name, version, epoch of changed_at)."""
    return {name: version for name, version, _ in rows}, {name: int(changed) for name, _, changed in rows}


def tables_in_sql(sql: str) -> list[str]:
    """Every model table a compiled statement names, in joins and subqueries alike (sorted)."""
    return sorted(_model_tables() & set(re.findall(r'"([^"]+)"', sql)))


@cache
def _model_tables() -> frozenset[str]:
    return frozenset(model._meta.db_table for model in apps.get_models(include_auto_created=True))


class _Watcher:
    """A daemon thread holding the committed versions of every watched table, per process."""

    def __init__(self, database: str, params: dict) -> None:
        self.pid = os.getpid()
        self.database = database
        self._params = params
        # Versions and change times, replaced as one: a reader sees both of the same read.
        self._state: tuple[dict[str, int], dict[str, int]] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="data-version-watcher", daemon=True)
        self._thread.start()

    def state(self) -> tuple[dict[str, int], dict[str, int]] | None:
        return self._state

    def stop(self) -> None:
        """Ends the thread within about a second (its wait for notifications times out every second)."""
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        lost = False
        while not self._stopping.is_set():
            try:
                with psycopg.connect(**self._params, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    # LISTEN first: a commit after this read is notified, so nothing falls between.
                    self._read(conn)
                    if lost:
                        _pool_check()
                        lost = False
                    while not self._stopping.is_set():
                        # Block until a notification (or a second, to notice stop()); then drain and re-read.
                        notified = False
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            notified = True
                        if notified:
                            for _ in conn.notifies(timeout=0.0):
                                pass
                            self._read(conn)
            except Exception as error:  # noqa: BLE001 - any failure: fall back to queries, then reconnect
                self._state = None
                lost = True
                if self._stopping.is_set():
                    break
                logger.warning("data version watcher lost its connection (%s); retrying", error)
                self._stopping.wait(RECONNECT_SECONDS)
        self._state = None

    def _read(self, conn: psycopg.Connection) -> None:
        self._state = _state(
            conn.execute("SELECT table_name, version, extract(epoch FROM changed_at) FROM data_version").fetchall()
        )


def _pool_check() -> None:
    """After a lost connection (a database restart, say), have the connection pool (if any) drop
    its broken idle connections now, before requests are handed them (pooled connections are not
    checked per request), and the tiles' own connections go too (geoportal/connection_stack.py)."""
    from geoportal.connection_stack import drop_all

    drop_all()

    pool = connections[DEFAULT_DB_ALIAS].pool
    if pool is not None:
        try:
            pool.check()
        except Exception:  # noqa: BLE001 - the pool replaces what it cannot check later
            logger.warning("connection pool check failed", exc_info=True)


_current: _Watcher | None = None
_lock = threading.Lock()
# This process's id, kept: os.getpid() is a system call, and _serves_here runs for every request.
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def _watcher(conn=None) -> _Watcher:
    """This process's watcher (a forked worker starts its own), for the database in use now (that of
    ``conn``, this thread's Django connection)."""
    global _current
    conn = connection if conn is None else conn
    if _serves_here(_current, conn):
        return _current
    with _lock:
        if not _serves_here(_current, conn):
            if _current is not None and _current.pid == _pid:
                _current.stop()
            _current = _Watcher(conn.settings_dict["NAME"], _connect_params())
        return _current


def _serves_here(watcher: _Watcher | None, conn) -> bool:
    return watcher is not None and watcher.pid == _pid and watcher.database == conn.settings_dict["NAME"]


def _connect_params() -> dict:
    """Django's own connection parameters (host, TLS, options ...) for the watcher's connection."""
    params = {k: v for k, v in connection.get_connection_params().items() if k not in ("cursor_factory", "context")}
    return {**params, "application_name": "geoportal data version watcher"}


def watcher_stop() -> None:
    """Close this process's watcher connection (tests, before their database is dropped)."""
    global _current
    with _lock:
        if _current is not None and _current.pid == os.getpid():
            _current.stop()
        _current = None


def watcher_wait(timeout: float = 5.0) -> bool:
    """Wait until the watcher has read the versions (tests, start-up checks); False on timeout."""
    deadline = time.monotonic() + timeout
    watcher = _watcher()
    while watcher.state() is None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
