"""Whole-response cache for anonymous GETs of features and queryables (``/ogc/collections/{id}/items``,
``/items/{id}``, ``/queryables``), used by ogc.middleware.

A hit costs one query (the data versions) instead of the ORM, pygeoapi and the JSON
round trips (~4-7 ms). Exact: the key holds the full URL (host and query), ``Accept``,
``Accept-Language``, the configuration version and the data versions of every table the
collection's selector reads (``geoportal/data_version.py``: statement triggers bump them on any
insert, update, delete or truncate, committed by the ORM, the admin or raw SQL). A collection
that reads an unwatched table is never cached.

Anonymous only: a logged-in user or a token (``Authorization``) may see unpublished plans,
so such requests neither read nor fill the cache. Only JSON bodies are kept (HTML pages carry
the request's CSP nonce), and only 200s without cookies.

Per process (an LRU bounded in bytes) rather than the shared cache: the configuration version
is a per-process counter, and a hit here is a dict lookup where the shared file cache reads,
unpickles and decompresses a file (see ogc/README.md for the numbers).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from geoportal.data_version import data_versions, tables_in_sql
from ogc.collections import collection_get
from ogc.config import config_get

PATH = re.compile(r"^/ogc/collections/(?P<collection>[^/]+)/(?P<kind>items(?:/[^/]+)?|queryables)$")
CACHED_TYPES = ("application/geo+json", "application/json", "application/schema+json")

_entries: OrderedDict[str, tuple[bytes, list[tuple[str, str]]]] = OrderedDict()
_size = 0
_lock = threading.Lock()


def key_for(request: HttpRequest, *, anonymous: bool | None = None) -> str | None:
    """The cache key of an anonymous GET/HEAD this cache serves, or None.

    ``anonymous`` is known before authentication when the request carries no session cookie.
    """
    if request.method not in ("GET", "HEAD") or "Authorization" in request.headers:
        return None
    match = PATH.match(request.path_info)
    if match is None or not (anonymous if anonymous is not None else not request.user.is_authenticated):
        return None
    collection = collection_get(match["collection"])
    if collection is None:
        return None
    versions: tuple = ()
    if match["kind"] != "queryables":  # queryables come from the registry and configuration only
        versions = data_versions(tables=tables_read(collection.id))
        if versions is None:
            return None
    config_version, _ = config_get()
    accept, language = request.headers.get("Accept", ""), request.headers.get("Accept-Language", "")
    return f"{request.build_absolute_uri()}|{accept}|{language}|{config_version}|{versions}"


@cache
def tables_read(collection_id: str) -> list[str]:
    """Every table named in the SQL of the collection's public QuerySet (joins and subqueries)."""
    qs = collection_get(collection_id).queryset(user=AnonymousUser())
    sql, _ = qs.query.get_compiler(using=qs.db).as_sql()
    return tables_in_sql(sql)


def get(request: HttpRequest, key: str) -> HttpResponse | None:
    """The cached response for ``key``, answered conditionally (304) and without body for HEAD."""
    with _lock:
        entry = _entries.get(key)
        if entry is None:
            return None
        _entries.move_to_end(key)
    content, headers = entry
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    if request.method == "HEAD":
        response["Content-Length"] = str(len(content))
    last_modified = parse_http_date_safe(response["Last-Modified"])
    conditional = get_conditional_response(
        request, etag=response["ETag"], last_modified=last_modified, response=response
    )
    if conditional is not response:
        return conditional
    if request.method == "HEAD":
        response.content = b""
    return response


def put(key: str, response: HttpResponse) -> None:
    """Keep a complete 200 JSON response of a GET (after ETag and Last-Modified are set)."""
    global _size
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or response.has_header("Content-Encoding")
        or not response.has_header("ETag")
        or not response.get("Content-Type", "").startswith(CACHED_TYPES)
    ):
        return
    content = response.content
    limit = settings.OGC_RESPONSE_CACHE_BYTES
    if len(content) > limit // 16:
        return
    with _lock:
        old = _entries.pop(key, None)
        if old is not None:
            _size -= len(old[0])
        _entries[key] = (content, list(response.items()))
        _size += len(content)
        while _size > limit:
            _, (dropped, _) = _entries.popitem(last=False)
            _size -= len(dropped)


def clear() -> None:
    global _size
    with _lock:
        _entries.clear()
        _size = 0
