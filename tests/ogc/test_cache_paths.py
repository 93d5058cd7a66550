"""The fast paths of cached anonymous OGC responses with committed data (transactional tests, as in production):
the per-process data version watcher (geoportal/data_version.py) and the answer before Django
(geoportal/wsgi.py, ogc/response_cache.py, ogc/tiles/fast.py). Requests go through the real WSGI application
the server runs."""

from __future__ import annotations

import io
import logging
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import parse_http_date

from geoportal import data_version
from geoportal.cache import shared_cache
from geoportal.wsgi import application
from layers.models import SRID, Address
from ogc import response_cache
from ogc.tiles import fast as tiles_fast
from ogc.tiles import views as tiles_views
from ogc.tiles.matrix import city_bbox_forget
from tests.factories import AddressFactory, ProviderFactory, member_of
from tests.ogc.conftest import city_load
from tests.ogc.test_tiles import CENTRE, tile_of, tile_url

ITEMS = "/ogc/collections/addresses/items"


@pytest.fixture
def committed(transactional_db, own_tile_cache):
    city_load()
    addresses = [AddressFactory(geom=Point(CENTRE[0] + 7 * i, CENTRE[1], srid=SRID)) for i in range(5)]
    response_cache.clear()
    assert data_version.watcher_wait(timeout=30), "the watcher did not connect"
    watcher_caught_up()
    yield addresses
    response_cache.clear()


class Wsgi:
    """Calls geoportal.wsgi.application as the server does, counting the queries on this thread."""

    def __init__(self) -> None:
        self.queries = 0
        self.body_type: type | None = None

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
            self.body_type = type(result)
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
    deadline = time.monotonic() + 15
    while (data_version.data_versions(tables=tables, query=False) or ())[:-1] != exact:
        assert time.monotonic() < deadline, "the watcher never caught up with the committed versions"
        time.sleep(0.01)


def wait_for_new_versions(tables: list[str], before: tuple) -> tuple:
    deadline = time.monotonic() + 15
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
    # a list, which granian sends in one piece (other iterables it iterates through Python)
    assert wsgi.body_type is list
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


def test_a_tiles_last_modified_is_when_its_data_changed_in_every_worker(committed, senders):
    wsgi = Wsgi()
    tables = ["layers_address"]
    url = tile_url("addresses", *tile_of(*CENTRE, 16))
    tiles_views._recipe_first_served.clear()  # as in a worker just started
    before = data_version.data_versions(tables=tables, query=False)
    written = time.time()
    Address.objects.filter(pk=committed[0].pk).update(homes=7)
    wait_for_new_versions(tables, before)
    status, headers, _ = wsgi.get(url)
    assert status == 200
    modified = parse_http_date(headers["Last-Modified"])
    assert int(written) <= modified <= time.time()
    # Another worker, or this one after a restart, a second later: nothing of the first answer is known there
    # (neither its response cache nor the default cache), and it names the same time, made by Django ...
    time.sleep(1.1)
    response_cache.clear()
    tiles_fast.forget()
    cache.clear()
    tiles_views._recipe_first_served.clear()
    assert wsgi.get(url)[1]["Last-Modified"] == headers["Last-Modified"]
    assert senders.django() == 2
    # ... and before Django, for a tile made there.
    other = tile_url("addresses", *tile_of(*CENTRE, 17))
    status, other_headers, _ = wsgi.get(other)
    assert (status, senders.fast()) == (200, 1)
    assert other_headers["Last-Modified"] == headers["Last-Modified"]
    # A client that kept the time is told nothing changed, until the data changes.
    assert wsgi.get(other, if_modified_since=headers["Last-Modified"])[0] == 304
    time.sleep(1.1)
    before = data_version.data_versions(tables=tables, query=False)
    Address.objects.filter(pk=committed[0].pk).update(homes=8)
    wait_for_new_versions(tables, before)
    status, headers, _ = wsgi.get(other, if_modified_since=headers["Last-Modified"])
    assert status == 200
    assert parse_http_date(headers["Last-Modified"]) > modified


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
    deadline = time.monotonic() + 15
    while data_version.data_versions(tables=tables, query=False) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    # meanwhile exact answers by query
    AddressFactory(geom=Point(*CENTRE, srid=SRID))
    with CaptureQueriesContext(connection) as context:
        versions = data_version.data_versions(tables=tables)
    assert versions is not None
    assert len(context.captured_queries) == 1
    assert data_version.watcher_wait(timeout=30)
    assert data_version.data_versions(tables=tables, query=False) == versions


# -- tiles made before Django (ogc/tiles/fast.py) -------------------------------------------------------------


class Senders:
    """Who sent request_started: Django's handler (WSGIHandler) or the tile path before Django."""

    def __init__(self) -> None:
        self.seen: list = []

    def __call__(self, sender, **kwargs) -> None:
        self.seen.append(sender)

    def django(self) -> int:
        return sum(1 for s in self.seen if s is not tiles_fast.__name__)

    def fast(self) -> int:
        return self.seen.count(tiles_fast.__name__)


@pytest.fixture
def senders():
    from django.core import signals

    tiles_fast.forget()
    receiver = Senders()
    signals.request_started.connect(receiver)
    yield receiver
    signals.request_started.disconnect(receiver)
    tiles_fast.forget()


def test_uncached_anonymous_tiles_are_made_before_django_with_djangos_headers(committed, senders):
    wsgi = Wsgi()
    first = tile_url("addresses", *tile_of(*CENTRE, 16))
    second = tile_url("addresses", *tile_of(*CENTRE, 17))
    # The first tile of a collection goes through Django, which shows the headers of such a response.
    status, _, _ = wsgi.get(first)
    assert (status, senders.django(), senders.fast()) == (200, 1, 0)
    status, fast_headers, fast_body = wsgi.get(second)
    assert (status, senders.django(), senders.fast()) == (200, 1, 1)
    assert fast_body
    assert wsgi.queries == 1
    # The same tile made by Django from scratch: the same bytes and the same headers.
    response_cache.clear()
    tiles_fast.forget()
    shared_cache().clear()
    status, django_headers, django_body = wsgi.get(second)
    assert (status, senders.django(), senders.fast()) == (200, 2, 1)
    assert django_body == fast_body
    assert django_headers == fast_headers
    assert fast_headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert fast_headers["Access-Control-Allow-Origin"] == "*"
    # and the fast path kept its answer: the next request is a hit without any query
    tiles_fast.forget()
    response_cache.clear()
    wsgi.get(second)  # Django again (templates forgotten): fills the response cache
    assert wsgi.get(second)[2] == fast_body
    assert wsgi.queries == 0


def test_empty_tiles_made_before_django_are_204_like_djangos(committed, senders):
    wsgi = Wsgi()
    empty = [tile_url("addresses", *tile_of(CENTRE[0] + 3000, CENTRE[1] + 3000 + 100 * i, 17)) for i in range(3)]
    assert wsgi.get(empty[0])[0] == 204
    status, headers, body = wsgi.get(empty[1])
    assert (status, body, senders.fast()) == (204, b"", 1)
    response_cache.clear()
    tiles_fast.forget()
    shared_cache().clear()
    assert wsgi.get(empty[1])[:2] == (204, headers)


def test_only_plain_anonymous_tile_gets_are_made_before_django(committed, senders):
    wsgi = Wsgi()
    wsgi.get(tile_url("addresses", *tile_of(*CENTRE, 16)))  # Django shows the headers
    z, row, col = tile_of(*CENTRE, 17)
    url = tile_url("addresses", z, row, col)
    cases = [
        ({"cookie": "sessionid=not-a-session"}, "", 200),
        ({"authorization": "Bearer unknown"}, "", 200),  # tiles do not read tokens; Django decides
        ({"if_none_match": 'W/"nothing"'}, "", 200),
        ({}, "f=json", 400),  # Django's view explains the format
        ({}, "limit=3", 400),  # and the unknown parameter
    ]
    for headers, query, expected in cases:
        response_cache.clear()
        shared_cache().clear()
        assert wsgi.get(url, query, **dict(headers))[0] == expected, (headers, query)
    assert senders.fast() == 0
    # outside the tileset's limits: Django's 404 with its message
    status, _, body = wsgi.get(tile_url("addresses", 17, 0, 0))
    assert status == 404
    assert b"outside" in body
    assert senders.fast() == 0
    # the plain GET is made before Django; with f=mvt too, once Django has shown that variant
    assert wsgi.get(url)[0] == 200
    assert senders.fast() == 1
    assert wsgi.get(tile_url("addresses", *tile_of(*CENTRE, 15)), "f=mvt")[0] == 200
    assert wsgi.get(tile_url("addresses", *tile_of(*CENTRE, 14)), "f=mvt")[0] == 200
    assert senders.fast() == 2


def test_tiles_whose_limits_need_a_query_are_left_to_django(committed, senders):
    # In the server the fast path's one statement is the tile's, on one of the tiles' own connections;
    # the city's extent (the tileset limits) is read again by Django's path when it is stale.
    wsgi = Wsgi()
    wsgi.get(tile_url("addresses", *tile_of(*CENTRE, 16)))  # Django shows the headers
    city_bbox_forget()
    status, _, stale_body = wsgi.get(tile_url("addresses", *tile_of(*CENTRE, 17)))
    assert (status, senders.django(), senders.fast()) == (200, 2, 0)
    assert stale_body
    # Django read the extent again: the next tile is made before Django, with only its own statement.
    status, _, body = wsgi.get(tile_url("addresses", *tile_of(*CENTRE, 18)))
    assert (status, senders.django(), senders.fast()) == (200, 2, 1)
    assert body
    assert wsgi.queries == 1


def test_tiles_made_before_django_show_only_published_plans(committed, senders, tmp_path):
    from django.utils import timezone

    from tests.factories import PlanAreaFactory, PlanVersionFactory, square
    from tests.ogc.test_tiles import decode

    provider = ProviderFactory()
    published = PlanVersionFactory(provider=provider, number=1, published_at=timezone.now())
    PlanAreaFactory(version=published, key="a", name="Veröffentlicht", stage="planned")
    unpublished = PlanVersionFactory(provider=provider, number=2)
    PlanAreaFactory(
        version=unpublished,
        key="a",
        name="Geheim",
        stage="under_construction",
        geom=square(CENTRE[0] - 100, CENTRE[1] - 100, CENTRE[0] + 100, CENTRE[1] + 100),
    )
    watcher_caught_up()
    wsgi = Wsgi()
    wsgi.get(tile_url("rollout-areas", *tile_of(*CENTRE, 13)))  # Django shows the headers
    z, row, col = tile_of(*CENTRE, 14)
    status, _, body = wsgi.get(tile_url("rollout-areas", z, row, col))
    assert (status, senders.fast()) == (200, 1)
    names = list(decode(body, z, row, col, tmp_path)["name"])
    assert names == ["Veröffentlicht"]


def test_slow_tiles_made_before_django_are_shared_with_the_other_workers(committed, senders, settings):
    from geoportal.cache import shared_cache_flush

    wsgi = Wsgi()
    wsgi.get(tile_url("addresses", *tile_of(*CENTRE, 16)))  # Django shows the headers
    shared_cache_flush()
    shared_cache().clear()
    settings.TILE_SHARE_MIN_MS = 10_000  # nothing is that slow: kept in this process only
    cheap = tile_url("addresses", *tile_of(*CENTRE, 17))
    assert wsgi.get(cheap)[0] == 200
    shared_cache_flush()
    assert senders.fast() == 1
    assert not list(Path(shared_cache()._dir).glob("*.bin"))
    settings.TILE_SHARE_MIN_MS = 0  # everything counts as slow: written to the shared cache too
    slow = tile_url("addresses", *tile_of(*CENTRE, 18))
    assert wsgi.get(slow)[0] == 200
    shared_cache_flush()
    assert senders.fast() == 2
    assert len(list(Path(shared_cache()._dir).glob("*.bin"))) == 1


def test_a_tile_another_worker_shared_is_read_unless_its_zoom_is_cheap_to_make(committed, senders, settings):
    from geoportal.cache import shared_cache_flush

    wsgi = Wsgi()
    wsgi.get(tile_url("addresses", *tile_of(*CENTRE, 16)))  # Django shows the headers
    settings.TILE_SHARE_MIN_MS = 0  # every tile counts as slow: shared, and looked for before it is made
    url = tile_url("addresses", *tile_of(*CENTRE, 17))
    status, _, made = wsgi.get(url)
    assert (status, senders.fast(), wsgi.queries) == (200, 1, 1)
    shared_cache_flush()
    response_cache.clear()  # as another worker finds it: in the shared cache, not in its own
    assert wsgi.get(url)[2] == made
    assert (senders.fast(), wsgi.queries) == (1, 0)  # read, not made
    # Tiles of this zoom took less than half of the threshold to make here: one that is shared is made
    # again rather than looked for (a look costs more than it is likely to save).
    settings.TILE_SHARE_MIN_MS = 10_000
    response_cache.clear()
    assert wsgi.get(url)[2] == made
    assert (senders.fast(), wsgi.queries) == (2, 1)
    # Until a zoom's first tile it looks: the same tile at another zoom, shared, is read.
    other = tile_url("addresses", *tile_of(*CENTRE, 15))
    settings.TILE_SHARE_MIN_MS = 0
    made = wsgi.get(other)[2]
    shared_cache_flush()
    response_cache.clear()
    tiles_fast._made_ms.clear()
    settings.TILE_SHARE_MIN_MS = 10_000
    assert wsgi.get(other)[2] == made
    assert (senders.fast(), wsgi.queries) == (3, 0)


def test_a_database_failure_before_django_is_one_warning_and_django_answers(committed, senders, monkeypatch, caplog):
    # As when PostgreSQL restarts under a running server: the pooled connection the tile takes is broken.
    wsgi = Wsgi()
    wsgi.get(tile_url("addresses", *tile_of(*CENTRE, 16)))  # Django shows the headers

    def broken(*args, **kwargs):
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(tiles_fast, "tile_render", broken)
    with caplog.at_level(logging.WARNING, logger="geoportal.wsgi"):
        status, _, body = wsgi.get(tile_url("addresses", *tile_of(*CENTRE, 17)))
    assert (status, senders.django()) == (200, 2)  # Django made it (its own connection works here)
    assert body
    [record] = [r for r in caplog.records if r.name == "geoportal.wsgi"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "database unavailable (server closed the connection unexpectedly)" in record.getMessage()
