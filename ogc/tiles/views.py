"""OGC API – Tiles endpoints: tile matrix sets, tileset lists and metadata, Mapbox Vector Tiles.

Thin views: parse, look up the source, answer. Tiles come from the shared
cache under a key made of the data versions of the tables the source reads
(geoportal/data_version.py: database triggers, so any write counts), the
audience (what the requesting user may see) and z/x/y; the same key, hashed, is
the weak ETag, so a revalidation costs no tile read at all. Anonymous tiles are also kept whole in the
per-process response cache (ogc/response_cache.py), which answers most repeats
before Django. Path values that do not name a tile
of the tileset are 404s with a JSON message (OGC API – Tiles /req/core/tc-error);
empty tiles inside the limits are 204 No Content (the same requirement allows
204 or an empty 200; 204 tells clients and caches there is nothing to decode).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from functools import lru_cache
from http import HTTPStatus

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from geoportal.cache import shared_cache, shared_cache_set_soon
from geoportal.data_version import data_state
from geoportal.errors import GeoportalError, InvalidInputError, NotFoundError
from ogc import params
from ogc.config import base_url
from ogc.response_cache import tables_read
from ogc.tiles import html
from ogc.tiles.matrix import CRS_3857, TMS_ID, TMS_URI, Limits, city_bbox, limits_for, tile_matrix_set
from ogc.tiles.render import tile_recipe, tile_render
from ogc.tiles.sources import SOURCES, TileSource, source_get

logger = logging.getLogger(__name__)

MVT = "application/vnd.mapbox-vector-tile"
JSON = "application/json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TEMPLATE = "{tileMatrix}/{tileRow}/{tileCol}"
# The documents (not the tiles) are JSON or, for browsers (f=html, Accept: text/html), HTML pages.
FORMATS = ("json", "html")


def _error(error: GeoportalError) -> JsonResponse:
    # CORS, Vary and caching headers come from ogc.middleware.OgcHttpMiddleware, as for all of /ogc.
    return JsonResponse({"code": error.code, "description": str(error)}, status=error.status)


def _json(content: dict) -> JsonResponse:
    return JsonResponse(content, json_dumps_params={"ensure_ascii": False})


def _html_link(href: str, title: str = "This document as HTML") -> dict:
    return {"rel": "alternate", "type": html.HTML, "title": title, "href": f"{href}?f=html"}


def _check(request: HttpRequest, *, formats: tuple[str, ...]) -> None:
    params.unknown_check(request.GET, params.COMMON)
    f = request.GET.get("f")
    if f is not None and f not in formats:
        raise InvalidInputError(f"format {f!r} is not offered here; use f={' or f='.join(formats)}", where="f")


def _source(collection_id: str) -> TileSource:
    source = source_get(collection_id)
    if source is None:
        offered = ", ".join(SOURCES)
        raise NotFoundError(f"collection {collection_id!r} has no vector tiles; tiles exist for {offered}")
    return source


def _tms(tms_id: str) -> None:
    if tms_id != TMS_ID:
        raise NotFoundError(f"tile matrix set {tms_id!r} is not offered; use {TMS_ID}")


def source_limits(source: TileSource, *, query: bool = True) -> Mapping[int, Limits] | None:
    """The tileset's limits per zoom level; ``query=False``: None where finding them needs a query."""
    bbox = city_bbox(query=query)
    return None if bbox is None else limits_for(bbox, min_zoom=source.min_zoom, max_zoom=source.max_zoom)


@require_safe
@html.negotiated(page="tilematrixsets")
def tile_matrix_sets(request: HttpRequest) -> HttpResponse:
    try:
        _check(request, formats=FORMATS)
    except GeoportalError as error:
        return _error(error)
    base = base_url(request)
    tms = tile_matrix_set()
    return _json(
        {
            "tileMatrixSets": [
                {
                    "id": TMS_ID,
                    "title": tms["title"],
                    "uri": TMS_URI,
                    "crs": CRS_3857,
                    "links": [
                        {"rel": "self", "type": JSON, "href": f"{base}/tileMatrixSets/{TMS_ID}"},
                        _html_link(f"{base}/tileMatrixSets/{TMS_ID}"),
                    ],
                }
            ],
            "links": [
                {"rel": "self", "type": JSON, "href": f"{base}/tileMatrixSets"},
                _html_link(f"{base}/tileMatrixSets"),
            ],
        }
    )


@require_safe
@html.negotiated(page="tilematrixset")
def tile_matrix_set_view(request: HttpRequest, tms_id: str) -> HttpResponse:
    try:
        _check(request, formats=FORMATS)
        _tms(tms_id)
    except GeoportalError as error:
        return _error(error)
    href = f"{base_url(request)}/tileMatrixSets/{TMS_ID}"
    return _json({**tile_matrix_set(), "links": [{"rel": "self", "type": JSON, "href": href}, _html_link(href)]})


def _tileset_links(base: str, source: TileSource) -> list[dict]:
    tileset = f"{base}/collections/{source.id}/tiles/{TMS_ID}"
    return [
        {"rel": "self", "type": JSON, "title": f"{source.title}: {TMS_ID} tileset", "href": tileset},
        _html_link(tileset, f"{source.title}: {TMS_ID} tileset as HTML, with a map"),
        {"rel": REL_TILING_SCHEME, "type": JSON, "title": TMS_ID, "href": f"{base}/tileMatrixSets/{TMS_ID}"},
    ]


@require_safe
@html.negotiated(page="tilesets")
def tilesets(request: HttpRequest, collection_id: str) -> HttpResponse:
    try:
        _check(request, formats=FORMATS)
        source = _source(collection_id)
    except GeoportalError as error:
        return _error(error)
    base = base_url(request)
    return _json(
        {
            "tilesets": [
                {
                    "title": source.title,
                    "dataType": "vector",
                    "crs": CRS_3857,
                    "tileMatrixSetURI": TMS_URI,
                    "links": _tileset_links(base, source),
                }
            ],
            "links": [
                {"rel": "self", "type": JSON, "href": f"{base}/collections/{source.id}/tiles"},
                _html_link(f"{base}/collections/{source.id}/tiles"),
                {"rel": "collection", "type": JSON, "href": f"{base}/collections/{source.id}"},
            ],
        }
    )


@require_safe
@html.negotiated(page="tileset")
def tileset(request: HttpRequest, collection_id: str, tms_id: str) -> HttpResponse:
    try:
        _check(request, formats=FORMATS)
        source = _source(collection_id)
        _tms(tms_id)
    except GeoportalError as error:
        return _error(error)
    base = base_url(request)
    west, south, east, north = city_bbox()
    limits = source_limits(source)
    links = _tileset_links(base, source)
    links += [
        {
            "rel": "item",
            "type": MVT,
            "title": f"{source.title} as Mapbox Vector Tiles",
            "href": f"{base}/collections/{source.id}/tiles/{TMS_ID}/{TEMPLATE}",
            "templated": True,
        },
        {"rel": "collection", "type": JSON, "href": f"{base}/collections/{source.id}"},
    ]
    return _json(
        {
            "title": source.title,
            "description": source.description or source.title,
            "dataType": "vector",
            "crs": CRS_3857,
            "tileMatrixSetURI": TMS_URI,
            "tileMatrixSetLimits": [limit.as_json() for limit in limits.values()],
            "boundingBox": {"lowerLeft": [west, south], "upperRight": [east, north], "crs": CRS84},
            "centerPoint": {
                "coordinates": [round((west + east) / 2, 6), round((south + north) / 2, 6)],
                "crs": CRS84,
                "tileMatrix": str(max(source.min_zoom, 14)),
            },
            "layers": [
                {
                    "id": source.id,
                    "title": source.title,
                    "dataType": "vector",
                    "geometryDimension": source.dimension,
                    "minTileMatrix": str(source.min_zoom),
                    "maxTileMatrix": str(source.max_zoom),
                    "propertiesSchema": {
                        "type": "object",
                        "properties": {
                            p.name: {"type": p.type, **({"description": p.description} if p.description else {})}
                            for p in source.properties
                        },
                    },
                }
            ],
            "links": links,
        }
    )


def _tile_index(name: str, text: str) -> int:
    if not text.isdigit() or len(text) > 9:
        raise NotFoundError(f"{name} {text!r} is not a tile index (a whole number ≥ 0)")
    return int(text)


def _tile_check(source: TileSource, z: int, row: int, col: int) -> None:
    limits = source_limits(source).get(z)
    if limits is None:
        raise NotFoundError(
            f"tileMatrix {z} is not part of this tileset; it has tile matrices {source.min_zoom} to {source.max_zoom}"
        )
    if not limits.contains(row=row, col=col):
        raise NotFoundError(
            f"tile {z}/{row}/{col} lies outside the tileset's limits at tileMatrix {z}: rows "
            f"{limits.min_row}-{limits.max_row}, columns {limits.min_col}-{limits.max_col}"
        )


@require_safe
def tile(request: HttpRequest, collection_id: str, tms_id: str, z: str, y: str, x: str) -> HttpResponse:
    """One Mapbox Vector Tile: ``z`` tile matrix, ``y`` tile row, ``x`` tile column (OGC order in the path)."""
    try:
        _check(request, formats=("mvt",))
        source = _source(collection_id)
        _tms(tms_id)
        zoom, row, col = _tile_index("tileMatrix", z), _tile_index("tileRow", y), _tile_index("tileCol", x)
        _tile_check(source, zoom, row, col)
    except GeoportalError as error:
        return _error(error)
    audience = source.audience_key(user=request.user)
    state = data_state(tables=tables_read(source.id, "tiles"))
    if state is None:
        raise RuntimeError(f"tiles of {source.id} read a table without data version trigger")
    versions, changed = state
    key = tile_key(source, versions, audience, zoom, col, row)
    etag = tile_etag(key)
    if etag in _if_none_match(request):
        response = HttpResponse(status=HTTPStatus.NOT_MODIFIED)
    else:
        cached = shared_cache().get(key)
        content = cached if cached is not None else tile_render(source, user=request.user, z=zoom, x=col, y=row)
        status = HTTPStatus.OK if content else HTTPStatus.NO_CONTENT
        if cached is None:  # made now: to the shared cache once sent
            response = _TileResponse(content, content_type=MVT, status=status, cache_key=key)
        else:
            response = HttpResponse(content, content_type=MVT, status=status)
        if not content:
            del response["Content-Type"]
    response["ETag"] = etag
    response["Last-Modified"] = tile_last_modified(source, changed)
    public = audience == "public"
    response["Cache-Control"] = f"public, max-age={settings.TILE_MAX_AGE}" if public else "private, no-cache"
    return response


def tile_key(source: TileSource, versions: tuple[int, ...], audience: str, zoom: int, col: int, row: int) -> str:
    """The tile's shared-cache key: how it is made (the statement's recipe), what from (data versions) and for
    whom (audience)."""
    return f"tile:{source.id}:{tile_recipe(source)}:{'.'.join(map(str, versions))}:{audience}:{zoom}/{col}/{row}"


def tile_last_modified(source: TileSource, changed: int, *, query: bool = True) -> str | None:
    """Last-Modified of a tile: when the data it is made from last changed (``changed``, geoportal/data_version.py)
    or, if later, when its recipe (how tiles are made, see tile_key) was first served; the same in every worker
    and after restarts. So a client that revalidates with If-Modified-Since alone also gets the tiles of a new
    release. None with ``query=False`` when that would need a query (once per process and recipe)."""
    recipe = tile_recipe(source)
    first = _recipe_first_served.get((source.id, recipe))
    if first is None:
        if not query:
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tile_recipe (source, recipe) VALUES (%s, %s) ON CONFLICT DO NOTHING", [source.id, recipe]
            )
            cursor.execute(
                "SELECT extract(epoch FROM first_served) FROM tile_recipe WHERE source = %s AND recipe = %s",
                [source.id, recipe],
            )
            first = _recipe_first_served[source.id, recipe] = int(cursor.fetchone()[0])
    return _http_date(max(changed, first))


# (source id, recipe) -> when the recipe was first served (epoch seconds), from the table tile_recipe.
_recipe_first_served: dict[tuple[str, str], int] = {}


@lru_cache(maxsize=16)
def _http_date(seconds: int) -> str:
    return http_date(seconds)


def tile_etag(key: str) -> str:
    """The tile's ETag, a hash of its key: a 304 needs neither the tile nor a hash of its bytes."""
    return 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:24] + '"'


class _TileResponse(HttpResponse):
    """A freshly made tile, handed to the shared cache's writer once the response is sent (the server then calls
    close())."""

    def __init__(self, content: bytes, *, cache_key: str, **kwargs):
        super().__init__(content, **kwargs)
        self._cache_key, self._tile = cache_key, content

    def close(self):
        try:
            shared_cache_set_soon(self._cache_key, self._tile)
        finally:
            super().close()


def _if_none_match(request: HttpRequest) -> set[str]:
    header = request.headers.get("If-None-Match", "")
    return {tag.strip() for tag in header.split(",") if tag.strip()}
