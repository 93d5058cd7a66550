"""Whole-response cache for anonymous GETs of features, queryables and vector tiles
(``/ogc/collections/{id}/items``, ``/items/{id}``, ``/queryables``, ``/tiles/WebMercatorQuad/{z}/{y}/{x}``).

Exact: the key holds what the response depends on in the request (scheme, host and forwarding
headers, path, query, ``Accept``, ``Accept-Language``, the language cookie), the configuration version
and the data versions of every table the collection's public selector reads
(``geoportal/data_version.py``: statement triggers bump them on any insert, update, delete or truncate,
by the ORM, the admin or raw SQL). A collection that reads an unwatched table is never cached.

Anonymous only: a logged-in user or a token (``Authorization``) may see unpublished plans, so such
requests neither read nor fill the cache. Only JSON and vector tile bodies are kept (HTML pages carry
the request's CSP nonce), only 200s (and empty tiles' 204s) without cookies.

What is kept is the response as it leaves the outermost middleware (every header included), so a hit
can be answered at three depths, each for the requests it can judge:

1. ``wsgi_hit``, before Django (geoportal/wsgi.py): GETs without session cookie and without
   conditional headers, when the versions are known without a query (the watcher of
   geoportal/data_version.py) -- no request object, no middleware, no database: the body as bytes.
2. ``OgcEarlyCacheMiddleware`` (first middleware): the rest of the requests without session cookie
   (HEAD, conditional, during start-up), answered with 304 where they allow.
3. ``OgcHttpMiddleware`` (after authentication): requests with a session cookie whose user is anonymous.

Per process (an LRU bounded in bytes) rather than the shared cache: the configuration version is a
per-process counter, and a hit here is a dict lookup where the shared file cache reads, unpickles and
decompresses a file (see ogc/README.md for the numbers).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from geoportal.data_version import data_state, tables_in_sql
from ogc.collections import collection_get
from ogc.config import config_get, config_version_fresh
from ogc.tiles.sources import source_get

PATH = re.compile(
    r"^/ogc/collections/(?P<collection>[^/]+)/"
    r"(?P<kind>items(?:/[^/]+)?|queryables|tiles/WebMercatorQuad/\d{1,9}/\d{1,9}/\d{1,9})$"
)
CACHED_TYPES = (
    "application/geo+json",
    "application/json",
    "application/schema+json",
    "application/vnd.mapbox-vector-tile",
)
# Everything in the request a cached response may depend on, besides the cookie named LANGUAGE_COOKIE_NAME.
VARY_META = (
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PROTO",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_LANGUAGE",
)
# Where the key of a request, once made, is kept in its environ (request.META), and the data state
# (geoportal.data_version.data_state) it was made with.
KEY_META = "geoportal.ogc_cache_key"
STATE_META = "geoportal.ogc_data_state"
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")


@dataclass(frozen=True, slots=True)
class Entry:
    status: int
    headers: list[tuple[str, str]]
    content: bytes

    def wsgi_status(self) -> str:
        line = _STATUS_LINES.get(self.status)
        if line is None:
            line = _STATUS_LINES[self.status] = f"{self.status} {HTTPStatus(self.status).phrase}"
        return line


_STATUS_LINES: dict[int, str] = {}  # the few statuses cached responses have


_entries: OrderedDict[str, Entry] = OrderedDict()
_size = 0
_lock = threading.Lock()


def key_for_meta(meta: dict, *, query: bool = True) -> str | None:
    """The cache key of a GET/HEAD this cache serves (anonymity is the caller's to judge), or None.

    With ``query=False`` no database query and no configuration rebuild: None when they would be needed.
    """
    if meta.get("REQUEST_METHOD") not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in meta:
        return None
    match = PATH.match(meta.get("PATH_INFO", ""))
    if match is None:
        return None
    kind = "queryables" if match["kind"] == "queryables" else "tiles" if match["kind"][0] == "t" else "items"
    tables = tables_read(match["collection"], kind)
    if tables is None:
        return None
    versions: tuple = ()
    if kind != "queryables":  # queryables come from the registry and configuration only
        state = data_state(tables=tables, query=query)
        if state is None:
            return None
        meta[STATE_META] = state  # the tile made before Django is keyed by the same versions
        versions = state[0]
    config_version = config_get()[0] if query else config_version_fresh()
    if config_version is None:
        return None
    return f"{request_variant(meta)}|{config_version}|{versions}"


_VARY_META_BUT_PATH = tuple(name for name in VARY_META if name != "PATH_INFO")


def request_variant(meta: dict, *, path: bool = True) -> str:
    """What a response may differ by besides the data: the request's VARY_META values (the path among
    them unless ``path`` is False) and the language cookie, which LocaleMiddleware's choice depends on."""
    names = VARY_META if path else _VARY_META_BUT_PATH
    return "|".join([*(str(meta.get(name, "")) for name in names), _language_cookie(meta)])


def _language_cookie(meta: dict) -> str:
    if "HTTP_COOKIE" in meta and settings.LANGUAGE_COOKIE_NAME in meta["HTTP_COOKIE"]:
        return parse_cookie(meta["HTTP_COOKIE"]).get(settings.LANGUAGE_COOKIE_NAME, "")
    return ""


def key_for(request: HttpRequest, *, anonymous: bool | None = None) -> str | None:
    """``key_for_meta`` for a request whose user is anonymous (known before authentication when the
    request carries no session cookie)."""
    if anonymous is None:
        if request.method not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in request.META:
            return None
        anonymous = not request.user.is_authenticated
    if not anonymous:
        return None
    return key_once(request.META, query=True)


def key_once(meta: dict, *, query: bool) -> str | None:
    """``key_for_meta``, kept in the environ once found: the WSGI entry, the early and the late middleware
    of one request share it instead of reading versions and parsing cookies up to three times."""
    key = meta.get(KEY_META)
    if key is None:
        key = key_for_meta(meta, query=query)
        if key is not None:
            meta[KEY_META] = key
    return key


def session_free(meta: dict) -> bool:
    """No session cookie: the request is certainly anonymous (tokens are refused by key_for_meta)."""
    cookie = meta.get("HTTP_COOKIE")
    return not cookie or settings.SESSION_COOKIE_NAME not in parse_cookie(cookie)


def tables_read(collection_id: str, kind: str) -> list[str] | None:
    """Every table named in the SQL of the collection's public QuerySet (joins and subqueries), or None
    when the collection (or its tileset) does not exist. Remembered for registered ids only: the id
    comes from the URL, and a cache keyed by any path would grow without bound."""
    if _source(collection_id, kind) is None:
        return None
    return _tables_read(collection_id, kind)


def _source(collection_id: str, kind: str):
    return source_get(collection_id) if kind == "tiles" else collection_get(collection_id)


@cache
def _tables_read(collection_id: str, kind: str) -> list[str]:
    qs = _source(collection_id, kind).queryset(user=AnonymousUser())
    sql, _ = qs.query.get_compiler(using=qs.db).as_sql()
    return tables_in_sql(sql)


def lookup(key: str) -> Entry | None:
    with _lock:
        entry = _entries.get(key)
        if entry is not None:
            _entries.move_to_end(key)
    return entry


def wsgi_hit(environ: dict) -> Entry | None:
    """A cached response for a plain anonymous GET, decided from the WSGI environ alone (no database)."""
    if (
        environ.get("REQUEST_METHOD") != "GET"
        or not environ.get("PATH_INFO", "").startswith("/ogc/collections/")
        or any(name in environ for name in CONDITIONAL)
        or not session_free(environ)
    ):
        return None
    key = key_once(environ, query=False)
    return lookup(key) if key is not None else None


def get(request: HttpRequest, key: str) -> HttpResponse | None:
    """The cached response for ``key``, answered conditionally (304) and without body for HEAD."""
    entry = lookup(key)
    if entry is None:
        return None
    response = HttpResponse(entry.content, status=entry.status)
    for name, value in entry.headers:
        response[name] = value
    if entry.status != HTTPStatus.OK:
        return response
    if request.method == "HEAD":
        response["Content-Length"] = str(len(entry.content))
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    conditional = get_conditional_response(
        request, etag=response.get("ETag"), last_modified=last_modified, response=response
    )
    if conditional is not response:
        # A 304 keeps the validators Django copies; CORS too, or browsers cannot read it cross-origin.
        for name, value in entry.headers:
            if name.startswith("Access-Control-"):
                conditional[name] = value
        return conditional
    if request.method == "HEAD":
        response.content = b""
    return response


def mark(response: HttpResponse, key: str) -> None:
    """Have the outermost middleware keep this response under ``key`` once every header is set."""
    response._ogc_cache_key = key


def put_marked(response: HttpResponse) -> bool:
    """Keep the response if OgcHttpMiddleware marked it; True if it was marked."""
    key = getattr(response, "_ogc_cache_key", None)
    if key is not None:
        put(key, response)
    return key is not None


def put(key: str, response: HttpResponse) -> None:
    """Keep a complete 200 (or empty-tile 204) response of a GET, with its ETag."""
    if (
        response.status_code not in (HTTPStatus.OK, HTTPStatus.NO_CONTENT)
        or response.streaming
        or response.cookies
        or response.has_header("Set-Cookie")
        or response.has_header("Content-Encoding")
        or not response.has_header("ETag")
        or (response.status_code == HTTPStatus.OK and not response.get("Content-Type", "").startswith(CACHED_TYPES))
    ):
        return
    content = response.content
    headers = [(name, value) for name, value in response.items() if name.lower() != "content-length"]
    if response.status_code == HTTPStatus.OK:
        headers.append(("Content-Length", str(len(content))))
    store(key, Entry(response.status_code, headers, content))


def store(key: str, entry: Entry) -> None:
    """Keep ``entry`` (a complete response) under ``key``, dropping the least recently used beyond the limit."""
    global _size
    content = entry.content
    limit = settings.OGC_RESPONSE_CACHE_BYTES
    if len(content) > limit // 16:
        return
    with _lock:
        old = _entries.pop(key, None)
        if old is not None:
            _size -= len(old.content)
        _entries[key] = entry
        _size += len(content)
        while _size > limit:
            _, dropped = _entries.popitem(last=False)
            _size -= len(dropped.content)


def clear() -> None:
    global _size
    with _lock:
        _entries.clear()
        _size = 0
