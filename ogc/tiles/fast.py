"""Anonymous vector tiles made without Django's request cycle (called from geoportal/wsgi.py).

At city size a z14 tile's statement takes ~1.2 ms; through Django the request around it cost as
much again (twelve middleware, the view's checks, the cache write). Map clients ask for tiles as
plain anonymous GETs, so for exactly those this module makes the tile itself:

- the same statement for the same audience ("public": ogc.tiles.render with an anonymous user,
  the selectors' published-only rule included), the same shared-cache key, ETag and
  Last-Modified as the view and the middleware (ogc/tiles/views.py, ogc/middleware.py);
- every other header copied from the last response Django made for a tile of the same collection
  with the same status and the same request variant (Accept, Accept-Language, language cookie,
  host and forwarding headers): learned from Django's own answer (``learn``, called by
  OgcEarlyCacheMiddleware), not written a second time here;
- the response is kept in ogc.response_cache under the key Django's path would use.

Everything else goes through Django: other query parameters, a session cookie, a token, conditional
requests, unknown collections, tiles outside the tileset (their 404 explains), a data version or
tileset limits that would need a query, and any variant whose headers Django has not shown yet.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from functools import cache, partial
from http import HTTPStatus

import psycopg
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signals
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse

from geoportal import connection_stack
from geoportal.cache import shared_cache, shared_cache_set_soon
from ogc import response_cache
from ogc.tiles.matrix import TMS_ID
from ogc.tiles.render import tile_render, tile_sql_text
from ogc.tiles.sources import source_get

TILE_PATH = re.compile(
    rf"^/ogc/collections/(?P<collection>[^/]+)/tiles/{TMS_ID}/(?P<z>\d{{1,9}})/(?P<y>\d{{1,9}})/(?P<x>\d{{1,9}})$"
)
# Set per tile; everything else comes from the learned template.
PER_TILE = frozenset({"etag", "last-modified", "content-length"})
QUERIES = ("", "f=mvt")
_ANONYMOUS = AnonymousUser()

# (request variant, status) -> the headers Django sent and which of PER_TILE it sent.
_templates: dict[tuple[str, int], tuple[list[tuple[str, str]], frozenset[str]]] = {}
_templates_lock = threading.Lock()
MAX_TEMPLATES = 256


def _variant(meta: dict, collection_id: str) -> str:
    """What a tile response's headers may depend on besides the tile and the status: the request's variant
    (as in ogc.response_cache's key, minus the path) and the collection."""
    return f"{response_cache.request_variant(meta, path=False)}|{collection_id}"


def learn(meta: dict, response: HttpResponse) -> None:
    """Remember the headers of a tile response Django made for a plain anonymous GET."""
    match = TILE_PATH.match(meta.get("PATH_INFO", ""))
    if match is None or response.status_code not in (HTTPStatus.OK, HTTPStatus.NO_CONTENT) or not _plain(meta):
        return  # the path first: every cacheable OGC response passes here, features too
    if not response.has_header("ETag") or response.cookies or response.has_header("Set-Cookie"):
        return
    headers = [(name, value) for name, value in response.items() if name.lower() not in PER_TILE]
    present = frozenset(name.lower() for name in response.headers if name.lower() in PER_TILE)
    with _templates_lock:
        if len(_templates) >= MAX_TEMPLATES:
            _templates.clear()
        _templates[_variant(meta, match["collection"]), response.status_code] = (headers, present)


def forget() -> None:
    """Forget every learned template and how long tiles took to make (tests)."""
    with _templates_lock:
        _templates.clear()
    _made_ms.clear()


def _plain(meta: dict) -> bool:
    return (
        meta.get("REQUEST_METHOD") == "GET"
        and meta.get("QUERY_STRING", "") in QUERIES
        and "HTTP_AUTHORIZATION" not in meta
        and not any(name in meta for name in response_cache.CONDITIONAL)
        and response_cache.session_free(meta)
    )


def wsgi_tile(environ: dict) -> tuple[response_cache.Entry, Callable[[], None] | None] | None:
    """The tile response for a plain anonymous GET and what to do once it is sent (keep a tile just
    made in the shared cache), or None: then Django answers."""
    match = TILE_PATH.match(environ.get("PATH_INFO", ""))
    if match is None or not _plain(environ):
        return None
    source = source_get(match["collection"])
    if source is None:
        return None
    # Imported here: the views module imports this one's neighbours, and the limits are the view's.
    from ogc.tiles.views import source_limits, tile_etag, tile_key, tile_last_modified

    zoom, row, col = int(match["z"]), int(match["y"]), int(match["x"])
    # Limits that need the city's extent read again (every EXTENT_TTL) are found by Django: the one
    # statement here is the tile's, on a connection of the tiles' own (_render).
    limits = source_limits(source, query=False)
    limits = None if limits is None else limits.get(zoom)
    if limits is None or not limits.contains(row=row, col=col):
        return None
    variant = _variant(environ, source.id)
    if (variant, HTTPStatus.OK) not in _templates and (variant, HTTPStatus.NO_CONTENT) not in _templates:
        return None  # Django has not shown the headers of this variant yet
    cache_key = response_cache.key_once(environ, query=False)
    if cache_key is None:
        return None
    # The data state the key was made with (the tile's key and Last-Modified use the same versions).
    state = environ.get(response_cache.STATE_META)
    if state is None:
        return None
    versions, changed = state
    # None for a tile recipe new to this process: Django answers, and reads when it was first served.
    modified = tile_last_modified(source, changed, query=False)
    if modified is None:
        return None
    key = tile_key(source, versions, source.audience_key(user=_ANONYMOUS), zoom, col, row)
    content = shared_cache().get(key) if _worth_looking(source.id, zoom) else None
    rendered = content is None
    if rendered:
        started = time.perf_counter()
        content = _render(source, environ, z=zoom, x=col, y=row)
        render_ms = 1000 * (time.perf_counter() - started)
        _made(source.id, zoom, render_ms)
    status = HTTPStatus.OK if content else HTTPStatus.NO_CONTENT
    template = _templates.get((variant, status))
    if template is None:
        if rendered:
            shared_cache().set(key, content)  # Django answers from it, and shows the headers
        return None
    headers, present = template
    etag = tile_etag(key)
    headers = [*headers, ("ETag", etag)]
    if "last-modified" in present:
        headers.append(("Last-Modified", modified))
    if "content-length" in present:
        headers.append(("Content-Length", str(len(content))))
    entry = response_cache.Entry(status, headers, content)
    response_cache.store(cache_key, entry)
    # Tiles that took a while to make go to the shared cache too (for the other workers, and past a
    # restart), handed to its writer thread once the response is out (the server calls close()).
    # Cheaper ones stay in this process's response cache only: writing the file (~0.3 ms of I/O
    # competing with the next request) cost a third of what making a city-size tile costs.
    share = rendered and render_ms >= settings.TILE_SHARE_MIN_MS
    return entry, (partial(shared_cache_set_soon, key, content) if share else None)


# (collection, zoom) -> how long its tiles took to make here lately, in ms (a moving average).
_made_ms: dict[tuple[str, int], float] = {}
MADE_WEIGHT = 0.2  # of the newest tile in the average


def _made(collection_id: str, zoom: int, ms: float) -> None:
    before = _made_ms.get((collection_id, zoom))
    _made_ms[collection_id, zoom] = ms if before is None else before + MADE_WEIGHT * (ms - before)


def _worth_looking(collection_id: str, zoom: int) -> bool:
    """Whether to look for a tile of this zoom in the shared cache before making it. Tiles made here go
    there only when they took TILE_SHARE_MIN_MS or more, so for a zoom whose tiles lately took less than
    half of that the look (a file system call for a file that is not there, ~0.03 ms in the server) is
    nearly always in vain; making the tile costs less than that threshold. Until a zoom's first tile,
    and for tiles of slower zooms, it looks."""
    made = _made_ms.get((collection_id, zoom))
    return made is None or made >= settings.TILE_SHARE_MIN_MS / 2


def _render(source, environ: dict, *, z: int, x: int, y: int) -> bytes:
    if not _server():
        # As Django's handler does around a request: its connection is opened or reused, and closed
        # when too old, by these signals' handlers.
        signals.request_started.send(sender=__name__, environ=environ)
        try:
            return tile_render(source, user=_ANONYMOUS, z=z, x=x, y=y)
        finally:
            signals.request_finished.send(sender=__name__)
    # In the server: a connection of the tiles' own stack (geoportal/connection_stack.py), not one
    # checked out of Django's pool for this one statement (~0.05 ms a tile), let alone Django's handling
    # around it (~0.15 ms). It is set up with Django's parameters (time zone, autocommit, serial plans).
    # Not Django's cursor: the tile comes back as binary, not as hex text twice its size that both ends
    # then encode and decode (~0.03-0.05 ms); and the statement carries its values in its text, with no
    # parameters to dump and bind (render.tile_sql_text, ~0.03 ms).
    sql = tile_sql_text(source, z=z, x=x, y=y)
    held = connection_stack.take()
    try:
        cursor = psycopg.Cursor(held.conn)
        try:
            row = cursor.execute(sql, binary=True).fetchone()
        finally:
            cursor.close()
    finally:
        connection_stack.give(held)
    return row[0] if row and row[0] is not None else b""


@cache
def _server() -> bool:
    """In a server worker (DATABASE_POOL_SIZE: scripts/serve.sh), not in tests or runserver."""
    return connections[DEFAULT_DB_ALIAS].pool is not None
