"""The fast paths of cached anonymous OGC responses with committed data (transactional tests, as in production):
the per-process data version watcher (geoportal/data_version.py) and the answer before Django
(geoportal/wsgi.py, ogc/response_cache.py). Requests go through the real WSGI application gunicorn serves."""

from __future__ import annotations

import io
import sys
import time

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geoportal import data_version
from geoportal.wsgi import application
from layers.models import SRID, Address
from ogc import response_cache
from tests.factories import AddressFactory, ProviderFactory, member_of
from tests.ogc.conftest import city_load
from tests.ogc.test_tiles import CENTRE, tile_of, tile_url

ITEMS = "/ogc/collections/addresses/items"


@pytest.fixture
def committed(transactional_db, own_tile_cache):
    city_load()
    addresses = [AddressFactory(geom=Point(CENTRE[0] + 7 * i, CENTRE[1], srid=SRID)) for i in range(5)]
    response_cache.clear()
    assert data_version.watcher_wait(), "the watcher did not connect"
    watcher_caught_up()
    yield addresses
    response_cache.clear()


class Wsgi:
    """Calls geoportal.wsgi.application as gunicorn does, counting the queries on this thread."""

    def __init__(self) -> None:
        self.queries = 0

    def get(self, path: str, query: str = "", **headers: str) -> tuple[int, dict, bytes]:
        environ = {
            "REQUEST_METHOD": headers.pop("method", "GET"),
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            **{"HTTP_" + name.upper(): value for name, value in headers.items()},
        }
        started: list = []

        def start_response(status, response_headers, exc_info=None):
            started.append((int(status.split()[0]), dict(response_headers)))

        with CaptureQueriesContext(connection) as context:
            result = application(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        self.queries = len(context.captured_queries)
        return started[0][0], started[0][1], body


def watcher_caught_up() -> None:
    """Wait until the watcher holds the committed versions (its notifications arrive asynchronously)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM data_version WHERE table_name <> '(epoch)'")
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT version FROM data_version WHERE table_name = ANY(%s) ORDER BY table_name", [tables])
        exact = tuple(row[0] for row in cursor.fetchall())
    deadline = time.monotonic() + 5
    while (data_version.data_versions(tables=tables, query=False) or ())[:-1] != exact:
        assert time.monotonic() < deadline, "the watcher never caught up with the committed versions"
        time.sleep(0.01)


def wait_for_new_versions(tables: list[str], before: tuple) -> tuple:
    deadline = time.monotonic() + 5
    while (now := data_version.data_versions(tables=tables, query=False)) == before:
        assert time.monotonic() < deadline, "the watcher never saw the commit"
        time.sleep(0.01)
    return now


def test_the_watcher_knows_committed_versions_without_a_query(committed):
    tables = ["layers_address"]
    with CaptureQueriesContext(connection) as context:
        before = data_version.data_versions(tables=tables)
    assert len(context.captured_queries) == 0
    assert before is not None
    AddressFactory(geom=Point(*CENTRE, srid=SRID))  # committed at once (autocommit)
    after = wait_for_new_versions(tables, before)
    assert after[0] > before[0]
    assert after[-1] == before[-1]  # the database's epoch
    # inside a transaction the watcher cannot see the transaction's own writes: one query answers exactly
    from django.db import transaction

    with transaction.atomic():
        Address.objects.filter(pk=committed[0].pk).update(homes=7)
        with CaptureQueriesContext(connection) as context:
            inside = data_version.data_versions(tables=tables)
        assert len(context.captured_queries) == 1
        assert inside[0] > after[0]


def test_a_repeated_get_is_answered_before_django_with_the_same_bytes_and_headers(committed):
    wsgi = Wsgi()
    status, headers, body = wsgi.get(ITEMS, "limit=3")
    assert status == 200
    assert wsgi.queries > 0
    status, again_headers, again = wsgi.get(ITEMS, "limit=3")
    assert (status, again) == (200, body)
    assert wsgi.queries == 0
    assert again_headers == {**headers, "Content-Length": str(len(body))}
    # headers of the middleware outside the OGC one are kept too
    assert again_headers["X-Content-Type-Options"] == "nosniff"
    assert again_headers["Access-Control-Allow-Origin"] == "*"
    assert again_headers["Content-Type"] == "application/geo+json"
    # another query string, Accept or language is another response
    status, _, other = wsgi.get(ITEMS, "limit=2")
    assert wsgi.queries > 0
    assert other != body


def test_a_committed_change_reaches_the_next_request(committed):
    wsgi = Wsgi()
    url = f"{ITEMS}/{committed[0].pk}"
    tables = ["layers_address"]
    assert wsgi.get(url)[0] == 200
    before = data_version.data_versions(tables=tables, query=False)
    status, _, body = wsgi.get(url)
    assert wsgi.queries == 0
    assert b"Umbenannt" not in body
    Address.objects.filter(pk=committed[0].pk).update(street="Umbenannte Straße")
    wait_for_new_versions(tables, before)
    status, _, body = wsgi.get(url)
    assert status == 200
    assert "Umbenannte Straße" in body.decode()
    before = data_version.data_versions(tables=tables, query=False)
    Address.objects.filter(pk=committed[0].pk).delete()
    wait_for_new_versions(tables, before)
    assert wsgi.get(url)[0] == 404


def test_cached_tiles_cost_no_query_and_revalidate_with_304(committed):
    wsgi = Wsgi()
    url = tile_url("addresses", *tile_of(*CENTRE, 16))
    status, headers, body = wsgi.get(url)
    assert status == 200
    assert body
    status, _, again = wsgi.get(url)
    assert (status, again, wsgi.queries) == (200, body, 0)
    status, not_modified_headers, empty = wsgi.get(url, if_none_match=headers["ETag"])
    assert (status, empty, wsgi.queries) == (304, b"", 0)
    assert not_modified_headers["Access-Control-Allow-Origin"] == "*"
    # an empty tile (204) is kept as well
    empty_tile = tile_url("addresses", *tile_of(CENTRE[0] + 3000, CENTRE[1] + 3000, 16))
    assert wsgi.get(empty_tile)[0] == 204
    assert wsgi.get(empty_tile)[0] == 204
    assert wsgi.queries == 0


def test_session_cookies_tokens_and_head_are_not_answered_before_django(committed):
    wsgi = Wsgi()
    wsgi.get(ITEMS, "limit=1")
    assert wsgi.get(ITEMS, "limit=1")[0] == 200
    assert wsgi.queries == 0
    # a session cookie, even a stale one, goes through authentication
    status, _, _ = wsgi.get(ITEMS, "limit=1", cookie="sessionid=not-a-session")
    assert status == 200
    assert wsgi.queries > 0
    # a token is checked (and refused when unknown), never answered from the public cache
    status, _, _ = wsgi.get(ITEMS, "limit=1", authorization="Bearer unknown")
    assert status == 401
    # HEAD: the first middleware answers it from the cache, without body
    status, headers, body = wsgi.get(ITEMS, "limit=1", method="HEAD")
    assert status == 200
    assert body == b""
    assert int(headers["Content-Length"]) > 0


def test_a_members_session_never_gets_the_public_tile_nor_fills_the_cache(committed, client):
    provider = ProviderFactory()
    member = member_of(provider)
    client.force_login(member)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    wsgi = Wsgi()
    url = tile_url("rollout-areas", *tile_of(*CENTRE, 14))
    size = len(response_cache._entries)
    status, headers, _ = wsgi.get(url, cookie=cookie)
    assert status in (200, 204)
    assert "private" in headers["Cache-Control"]
    assert len(response_cache._entries) == size


def test_without_its_connection_the_watcher_falls_back_to_queries_and_reconnects(committed):
    tables = ["layers_address"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'geoportal data version watcher' AND datname = current_database()"
        )
    deadline = time.monotonic() + 5
    while data_version.data_versions(tables=tables, query=False) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    # meanwhile exact answers by query
    AddressFactory(geom=Point(*CENTRE, srid=SRID))
    with CaptureQueriesContext(connection) as context:
        versions = data_version.data_versions(tables=tables)
    assert versions is not None
    assert len(context.captured_queries) == 1
    assert data_version.watcher_wait(timeout=10)
    assert data_version.data_versions(tables=tables, query=False) == versions
