"""The connection pool hands out the connection returned last (geoportal/postgis/base.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from psycopg_pool import ConnectionPool

from geoportal.postgis.base import reuse_last_returned


@pytest.fixture
def pool(db):
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with ConnectionPool(kwargs=params, min_size=3, max_size=3, open=True) as pool:
        pool.wait(timeout=30)
        yield pool


def _pid(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        return conn.info.backend_pid


def test_psycopg_pool_rotates_through_its_connections(pool):
    # What the stack is for: requests one after another would meet a different server process each time.
    assert len({_pid(pool) for _ in range(6)}) == 3


def test_the_connection_returned_last_is_handed_out_first(pool):
    reuse_last_returned(pool)
    assert len({_pid(pool) for _ in range(6)}) == 1
    # Concurrent use still gets distinct connections, and the one given back last comes out first.
    first, second = pool.getconn(), pool.getconn()
    assert first.info.backend_pid != second.info.backend_pid
    pool.putconn(first)
    pool.putconn(second)
    assert _pid(pool) == second.info.backend_pid
    reuse_last_returned(pool)  # twice is harmless
    assert _pid(pool) == second.info.backend_pid
