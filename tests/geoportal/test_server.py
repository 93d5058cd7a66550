"""The site as `make run` serves it (scripts/serve.sh): granian, worker processes, pooled database connections.

The rest of the suite goes through Django's test client and live server; this starts the real
server on the test database and checks what only it does: workers that boot with their pools
filled (connections named "geoportal", warmed before the first request) and their tiles' own
connections made ("geoportal tiles"), answers over kept-alive connections, the tile path before
Django, a pool and tile connections that recover when PostgreSQL drops its connections (the data
version watcher has them checked and replaced), and a stop that ends the server even while its
workers are still loading the site."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone

from geoportal.data_version import watcher_stop
from layers.models import SRID
from ogc.tiles.render import tile_render
from ogc.tiles.sources import source_get
from tests.factories import AddressFactory, PlanAreaFactory, PlanVersionFactory, ProviderFactory, square
from tests.ogc.conftest import city_load
from tests.ogc.test_tiles import CENTRE, decode, tile_of, tile_url

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    """DATABASE_URL with the test database's name (its host may be a socket directory in the query)."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))


def _pooled(name: str = "geoportal") -> list[tuple[str, str]]:
    """State and last statement of the server's connections: its pools' ("geoportal"), or its tiles' own
    ("geoportal tiles", geoportal/connection_stack.py)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT state, coalesce(query, '') FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [name],
        )
        return cursor.fetchall()


def _count(name: str, condition: str, params: list) -> int:
    """The test database's connections named ``name`` (application_name) that meet ``condition``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            f" AND application_name = %s AND {condition}",
            [name, *params],
        )
        return cursor.fetchone()[0]


def _server_env(port: int, tmp_path: Path) -> dict[str, str]:
    """scripts/serve.sh's environment: two workers of two threads, each with its pool (one connection
    per thread, the default when DATABASE_POOL_SIZE is unset)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_POOL_SIZE"}
    return {
        **env,
        "VENV": sys.prefix,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "THREADS": "2",
        "DATABASE_URL": _database_url(),
        "DEBUG": "false",
        "SECRET_KEY": "server-test",
        "SHARED_CACHE_DIR": str(tmp_path / "cache"),
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def server(transactional_db, tmp_path):
    city_load()
    for i in range(5):
        AddressFactory(geom=Point(CENTRE[0] + 7 * i, CENTRE[1], srid=SRID))
    # This process's own data version watcher goes (it comes back when a test asks for versions): the
    # workers' watchers are told from it only by when they connected, and it reconnects in the background
    # after a test before ended every connection, maybe just after this server started.
    watcher_stop()
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    process = _serve(_server_env(port, tmp_path), log, "--log-level", "warning")
    client = None
    try:
        _wait_until_ready(process, port, tmp_path / "server.log")
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        client.log, client.process = tmp_path / "server.log", process
        yield client
    finally:
        if client is not None:
            client.close()
        _stop(process)
        log.close()
        # Django's test teardown drops the database: no connection of the server may be left.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def _serve(env: dict[str, str], log, *options: str) -> subprocess.Popen:
    """scripts/serve.sh with ``env`` and granian ``options``, its output to ``log``; in a session of its own,
    so that the workers can be stopped too if the server hangs on the way out."""
    command = ["bash", str(ROOT / "scripts" / "serve.sh"), *options]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _wait_until_ready(process: subprocess.Popen, port: int, log: Path) -> None:
    """Until both workers have booted: each opens and warms its pool, makes its tiles' connections and
    starts its data version watcher while loading the application, and binds its listening socket
    (granian's workers share the port on Linux) only after that; the port answers once the first has.
    A loaded machine may take a while; what matters here is what is true once they are up."""
    deadline = time.monotonic() + 120
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        [started] = cursor.fetchone()

    def watchers() -> int:
        """The workers' watchers: those connected since the server started (this process's is stopped)."""
        return _count("geoportal data version watcher", "backend_start >= %s", [started])

    def booted() -> bool:
        pooled, tiles = _pooled(), _pooled("geoportal tiles")
        return (
            _listening(port)
            and len(pooled) == 4
            and len(tiles) == 4
            and all(state == "idle" for state, _ in pooled + tiles)
            and watchers() == 2
        )

    while not booted():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, ("the workers did not boot", _pooled(), log.read_text()[-3000:])
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    else:
        try:  # workers the server left behind
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _get(client: http.client.HTTPConnection, path: str) -> tuple[int, dict, bytes]:
    try:
        client.request("GET", path)
        response = client.getresponse()
    except ConnectionError as error:
        state = f"server exit code {client.process.poll()}"
        raise AssertionError(f"{path}: {error!r}; {state}; log:\n{client.log.read_text()[-3000:]}") from error
    return response.status, dict(response.getheaders()), response.read()


def _get_settled(client: http.client.HTTPConnection, path: str) -> tuple[int, dict, bytes]:
    """``_get``, then a moment for the worker: Django gives its pooled connection back in the response's
    close(), after the bytes are out, so a request sent at once may find it still taken (on a loaded
    machine) and take another, whatever the pool's order."""
    answer = _get(client, path)
    time.sleep(0.3)
    return answer


def test_workers_boot_with_warmed_pools_and_serve_over_kept_alive_connections(server):
    # Warmed at boot: each pooled connection has run the PostGIS warm-up (geoportal/postgis/base.py).
    pooled = _pooled()
    assert len(pooled) == 4
    assert all(state == "idle" and "ST_Transform" in query for state, query in pooled), pooled
    # And so are the tiles' own connections, one per thread as well.
    tiles = _pooled("geoportal tiles")
    assert len(tiles) == 4
    assert all(state == "idle" and "ST_Transform" in query for state, query in tiles), tiles
    status, headers, body = _get_settled(server, "/ogc/collections/addresses/items?limit=2")
    assert status == 200
    assert headers["content-type"] == "application/geo+json"
    assert b'"numberMatched":5' in body.replace(b" ", b"")
    # Tiles: the first through Django, the next ones before it, with Django's headers; then from the cache.
    first = tile_url("addresses", *tile_of(*CENTRE, 16))
    second_tile = tile_of(*CENTRE, 17)
    second = tile_url("addresses", *second_tile)
    assert _get_settled(server, first)[0] == 200
    status, tile_headers, tile = _get_settled(server, second)
    assert status == 200
    assert tile
    assert tile_headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert tile_headers["access-control-allow-origin"] == "*"
    # Made on one of the tiles' own connections: the same tile as Django's path makes.
    assert tile == tile_render(source_get("addresses"), user=AnonymousUser(), z=17, x=second_tile[2], y=second_tile[1])
    assert _get_settled(server, second)[2] == tile
    # More tiles one after another meet the same connection (given back last, taken first); the others
    # still show the warm-up.
    for zoom in (15, 14):
        assert _get_settled(server, tile_url("addresses", *tile_of(*CENTRE, zoom)))[0] == 200
    made = [query for _, query in _pooled("geoportal tiles") if "ST_AsMVT(q" in query]
    assert len(made) == 1, _pooled("geoportal tiles")
    # Pages too (whitenoise serves the collected static files only after collectstatic; a page needs none).
    assert _get_settled(server, "/ogc/conformance?f=json")[0] == 200
    # One request after the other, over one kept-alive connection (so one worker): the pool hands out
    # the connection returned last, so one of them served everything and the others still show the
    # warm-up as their last statement (psycopg's pool would have rotated through them).
    for limit in (1, 2, 3, 4):
        assert _get_settled(server, f"/ogc/collections/addresses/items?limit={limit}")[0] == 200
    used = [query for _, query in _pooled() if "ST_TileEnvelope(14, 8508, 5445)" not in query]
    assert len(used) == 1, used


def test_the_servers_anonymous_tiles_show_only_published_plans(server, tmp_path):
    provider = ProviderFactory()
    published = PlanVersionFactory(provider=provider, number=1, published_at=timezone.now())
    PlanAreaFactory(version=published, key="a", name="Veröffentlicht", stage="planned")
    unpublished = PlanVersionFactory(provider=provider, number=2)
    around = square(CENTRE[0] - 100, CENTRE[1] - 100, CENTRE[0] + 100, CENTRE[1] + 100)
    PlanAreaFactory(version=unpublished, key="a", name="Geheim", geom=around)
    assert _get(server, tile_url("rollout-areas", *tile_of(*CENTRE, 13)))[0] == 200  # through Django
    for zoom in (14, 15):  # made before Django, on one of the tiles' own connections
        z, row, col = tile_of(*CENTRE, zoom)
        status, _, body = _get(server, tile_url("rollout-areas", z, row, col))
        assert status == 200
        assert list(decode(body, z, row, col, tmp_path)["name"]) == ["Veröffentlicht"]


def test_the_pool_recovers_when_postgresql_drops_its_connections(server):
    assert _get(server, "/ogc/collections/addresses/items?limit=1")[0] == 200
    # As after a database restart: every connection of the server is gone, the watchers' included.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(pid) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        [terminated] = cursor.fetchone()

    # The watchers reconnect within ~2 s and have their pools replace the broken connections. Counted are
    # new ones only: a terminated backend may still be listed, idle, for a moment after
    # pg_terminate_backend returned (counting those sent a request to a pool with broken connections).
    deadline = time.monotonic() + 60
    while _count("geoportal", "state = 'idle' AND NOT pid = ANY(%s)", [terminated]) < 4:
        assert time.monotonic() < deadline, (_pooled(), server.log.read_text()[-3000:])
        time.sleep(0.2)
    # A request that is not cached needs the database: it is answered, not a 500.
    for limit in (3, 4, 5):
        status, _, body = _get(server, f"/ogc/collections/addresses/items?limit={limit}")
        assert status == 200, (body[:300], server.log.read_text()[-3000:])
    # The tiles' own connections were dropped with the pools' (none of them would work): new tiles are
    # made before Django again, on new connections, without a fall-back to Django.
    assert _get(server, tile_url("addresses", *tile_of(*CENTRE, 15)))[0] == 200  # Django shows the headers
    for zoom in (16, 17):
        status, _, body = _get(server, tile_url("addresses", *tile_of(*CENTRE, zoom)))
        assert status == 200
        assert body
    assert any("ST_AsMVT(q" in query for _, query in _pooled("geoportal tiles"))
    assert "database unavailable" not in server.log.read_text()


def test_a_server_stopped_while_its_workers_boot_ends_instead_of_hanging(transactional_db, tmp_path):
    # A worker told to stop while it is still loading the site misses the signal (granian installs its
    # handlers only once the worker serves); scripts/serve.sh has granian kill such workers after
    # WORKERS_KILL_TIMEOUT seconds, so that Ctrl-C or `systemctl stop` right after a start never hangs.
    env = {**_server_env(_free_port(), tmp_path), "WORKERS_KILL_TIMEOUT": "2"}
    with (tmp_path / "server.log").open("w") as log:
        process = _serve(env, log)
        try:
            deadline = time.monotonic() + 30
            while "Spawning worker-2" not in (tmp_path / "server.log").read_text():
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.05)
            process.terminate()
            assert process.wait(timeout=30) == 0
            with pytest.raises(ProcessLookupError):  # no worker left behind
                os.killpg(process.pid, 0)
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
