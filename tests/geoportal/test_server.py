"""The site as scripts/run.sh serve runs it: granian, two worker processes, pooled database connections.

The rest of the suite goes through Django's test client and live server; this starts the real
server on the test database and checks what only it does: workers that boot with their pools
filled (connections named "geoportal", warmed before the first request), answers over kept-alive
connections, the tile path before Django, and a pool that recovers when PostgreSQL drops its
connections (the data version watcher has the pool check them)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from layers.models import SRID
from tests.factories import AddressFactory
from tests.ogc.conftest import city_load
from tests.ogc.test_tiles import CENTRE, tile_of, tile_url

ROOT = Path(__file__).resolve().parents[2]
GRANIAN = Path(sys.executable).parent / "granian"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    """DATABASE_URL with the test database's name (its host may be a socket directory in the query)."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))


def _pooled() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT state, coalesce(query, '') FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = 'geoportal'"
        )
        return cursor.fetchall()


@pytest.fixture
def server(transactional_db, tmp_path):
    city_load()
    for i in range(5):
        AddressFactory(geom=Point(CENTRE[0] + 7 * i, CENTRE[1], srid=SRID))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DATABASE_POOL_SIZE": "2",
        "DEBUG": "false",
        "SECRET_KEY": "server-test",
        "SHARED_CACHE_DIR": str(tmp_path / "cache"),
        "LOG_LEVEL": "WARNING",
    }
    command = [str(GRANIAN), "--interface", "wsgi", "geoportal.wsgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "2", "--blocking-threads", "2", "--log-level", "warning"]
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while len(_pooled()) < 4:  # two workers, two connections each, opened at boot
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the workers did not fill their pools"
            time.sleep(0.2)
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        client.log, client.process = tmp_path / "server.log", process
        yield client
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        # Django's test teardown drops the database: no connection of the server may be left.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def _get(client: http.client.HTTPConnection, path: str) -> tuple[int, dict, bytes]:
    try:
        client.request("GET", path)
        response = client.getresponse()
    except ConnectionError as error:
        state = f"server exit code {client.process.poll()}"
        raise AssertionError(f"{path}: {error!r}; {state}; log:\n{client.log.read_text()[-3000:]}") from error
    return response.status, dict(response.getheaders()), response.read()


def test_workers_boot_with_warmed_pools_and_serve_over_kept_alive_connections(server):
    # Warmed at boot: each pooled connection has run the PostGIS warm-up (geoportal/postgis/base.py).
    pooled = _pooled()
    assert len(pooled) == 4
    assert all(state == "idle" and "ST_Transform" in query for state, query in pooled), pooled
    status, headers, body = _get(server, "/ogc/collections/addresses/items?limit=2")
    assert status == 200
    assert headers["content-type"] == "application/geo+json"
    assert b'"numberMatched":5' in body.replace(b" ", b"")
    # Tiles: the first through Django, the next ones before it, with Django's headers; then from the cache.
    first = tile_url("addresses", *tile_of(*CENTRE, 16))
    second = tile_url("addresses", *tile_of(*CENTRE, 17))
    assert _get(server, first)[0] == 200
    status, tile_headers, tile = _get(server, second)
    assert status == 200
    assert tile
    assert tile_headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert tile_headers["access-control-allow-origin"] == "*"
    assert _get(server, second)[2] == tile
    # Pages too (whitenoise serves the collected static files only after collectstatic; a page needs none).
    assert _get(server, "/ogc/conformance?f=json")[0] == 200


def test_the_pool_recovers_when_postgresql_drops_its_connections(server):
    assert _get(server, "/ogc/collections/addresses/items?limit=1")[0] == 200
    # As after a database restart: every connection of the server is gone, the watchers' included.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    # The watchers reconnect within ~2 s and have their pools replace the broken connections.
    deadline = time.monotonic() + 20
    while len([p for p in _pooled() if p[0] == "idle"]) < 4:
        assert time.monotonic() < deadline, (_pooled(), server.log.read_text()[-3000:])
        time.sleep(0.2)
    # A request that is not cached needs the database: it is answered, not a 500.
    for limit in (3, 4, 5):
        status, _, body = _get(server, f"/ogc/collections/addresses/items?limit={limit}")
        assert status == 200, body[:300]
