"""The tiles' own connections (geoportal/connection_stack.py): made as Django makes its own, last in first out,
never handed out again once broken, expired or from before the database was gone."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from geoportal import connection_stack


@pytest.fixture
def stack(db):
    connection_stack.drop_all()
    yield connection_stack
    connection_stack.drop_all()  # the test database is dropped after the session: no connection may stay


def _setting(held: connection_stack.Held, name: str) -> str:
    return held.conn.execute(f"SHOW {name}").fetchone()[0]


def test_tile_connections_are_set_up_as_djangos_and_reused_last_in_first_out(stack):
    first, second = stack.take(), stack.take()  # two statements at once: two connections
    assert first.conn.info.backend_pid != second.conn.info.backend_pid
    for held in (first, second):
        # Django's parameters (the site's serial plans, no JIT), its time zone, and a name operators can tell apart.
        assert _setting(held, "max_parallel_workers_per_gather") == "0"
        assert _setting(held, "jit") == "off"
        assert _setting(held, "TimeZone") == connection.timezone_name
        assert _setting(held, "application_name") == "geoportal tiles"
        assert held.conn.info.dbname == connection.settings_dict["NAME"]
        assert held.conn.autocommit
    stack.give(first)
    stack.give(second)
    # One statement after the other meets the connection given back last, again and again.
    pids = set()
    for _ in range(4):
        held = stack.take()
        pids.add(held.conn.info.backend_pid)
        stack.give(held)
    assert pids == {second.conn.info.backend_pid}


def test_a_connection_the_database_dropped_is_closed_and_replaced(stack):
    held = stack.take()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [held.conn.info.backend_pid])
    with pytest.raises(psycopg.OperationalError):
        held.conn.execute("SELECT 1")
    stack.give(held)
    assert held.conn.closed
    again = stack.take()
    assert again.conn is not held.conn
    assert again.conn.execute("SELECT 1").fetchone() == (1,)
    stack.give(again)


def test_after_the_database_was_gone_no_older_connection_is_used(stack):
    idle, busy = stack.take(), stack.take()
    stack.give(idle)
    stack.drop_all()  # as the data version watcher calls it when it reconnects
    assert idle.conn.closed  # idle ones at once
    stack.give(busy)  # one in use when it comes back
    assert busy.conn.closed
    fresh = stack.take()
    assert fresh.conn not in (idle.conn, busy.conn)
    assert fresh.conn.execute("SELECT 1").fetchone() == (1,)
    stack.give(fresh)


def test_connections_are_replaced_after_their_lifetime(stack, monkeypatch):
    monkeypatch.setattr(connection_stack, "MAX_LIFETIME", -1.0)  # every connection has outlived it
    held = stack.take()
    stack.give(held)
    again = stack.take()
    assert held.conn.closed
    assert again.conn is not held.conn
    stack.give(again)


def test_warm_connections_are_made_ahead_and_have_run_the_postgis_warm_up(stack):
    stack.warm(2)
    taken = [stack.take(), stack.take()]  # the two made ahead, not new ones
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = ANY(%s)", [[held.conn.info.backend_pid for held in taken]]
        )
        queries = [query for (query,) in cursor.fetchall()]
    assert len(queries) == 2
    assert all("ST_TileEnvelope(14, 8508, 5445)" in query for query in queries), queries
    for held in taken:
        stack.give(held)
