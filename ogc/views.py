"""Django adapter of pygeoapi, modelled on ``pygeoapi.django_.views``, with what that module lacks.

``pygeoapi.django_`` builds an API object from a static config in settings on
every request. This adapter calls the same ``pygeoapi.api`` functions but
keeps one API object per configuration and host (the configuration comes
from the catalogue, see ogc.config), checks query parameters first (400 for
unknown or malformed ones), does CRS, bbox and datetime itself (ogc.params,
PostGIS) and serves features as application/geo+json with a Content-Crs header.
"""

from __future__ import annotations

import json
import re
from copy import deepcopy
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pygeoapi.api as core_api
import pygeoapi.api.itemtypes as itemtypes_api
from babel.numbers import format_decimal
from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.middleware.csp import get_nonce
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.static import serve
from pygeoapi import l10n
from pygeoapi.api import API, F_HTML, F_JSON, FORMAT_TYPES, APIRequest, apply_gzip
from pygeoapi.openapi import get_oas
from pygeoapi.util import render_j2_template, to_json

from geoportal.demo import demo_data_present
from geoportal.errors import InvalidInputError
from ogc import params, records
from ogc.collections import collection_get
from ogc.config import base_url, config_for_items, config_get, site_url
from ogc.conformance import CONFORMANCE as CONFORMANCE  # re-exported: ogc.views was its home
from ogc.conformance import conformance_document
from ogc.context import RequestState, state_reset, state_set
from ogc.crs import crs_get
from ogc.openapi import openapi_document
from ogc.queryables import queryables_schema
from ogc.tiles import documents as tiles_documents
from ogc.translations import link_title

GEOJSON = "application/geo+json"
_apis: dict[tuple, API] = {}


def _api(request: HttpRequest, *, lean: bool) -> API:
    """One API per configuration, base URL and variant; building one per request is what made pygeoapi slow."""
    version, config = config_get()
    base = base_url(request)
    key = (version, base, lean)
    api = _apis.get(key)
    if api is None:
        variant = config_for_items(config) if lean else deepcopy(config)
        variant["server"]["url"] = base
        if len(_apis) > 64:
            _apis.clear()
        api = _apis[key] = API(variant, {})
    return api


def _execute(request: HttpRequest, function, *args, lean=False, state=None, check_format=True) -> HttpResponse:
    api = _api(request, lean=lean)
    api_request = APIRequest.from_django(request, api.locales)
    if check_format and not api_request.is_valid():
        headers, status, content = api.get_format_exception(api_request)
    else:
        token = state_set(state or RequestState(user=request.user))
        try:
            headers, status, content = function(api, api_request, *args)
        finally:
            state_reset(token)
        if headers.get("Content-Type", "").startswith("text/html") and isinstance(content, str):
            content = _with_demo_banner(_with_nonce(request, content))
        content = apply_gzip(headers, content)
    response = HttpResponse(content, status=status)
    for key, value in headers.items():
        response[key] = value
    return response


def _with_nonce(request: HttpRequest, html: str) -> str:
    """pygeoapi's pages use inline scripts; our CSP allows scripts that carry the request's nonce.

    Safe because the templates are ours (ogc/templates, pygeoapi's) and Jinja escapes the data.
    """
    nonce = get_nonce(request)
    # str() generates the lazy nonce; the middleware then puts it into the header.
    return html if nonce is None else html.replace("<script", f'<script nonce="{nonce!s}"')


# The site's demo banner (templates/base.html) on pygeoapi's pages too, in the colours of static/geoportal/css/site.css.
_DEMO_BANNER = (
    '<p class="banner banner-demo" role="note" style="margin:1rem 0;padding:.75rem 1rem;border-left:6px solid #8a5a00;'
    'background:#fff4d6;color:#1b1b1b"><strong>{title}</strong> {text}</p>'
)


_PAGE_LANGUAGE = re.compile(r'<html lang="([a-z]{2})"')


def _with_demo_banner(html: str) -> str:
    """pygeoapi's HTML with the demo banner at the top of its <main> while demo data is loaded, in the page's
    language (pygeoapi's, from lang= or Accept-Language, which need not be Django's)."""
    if "<main>" not in html or not demo_data_present():
        return html
    language = _PAGE_LANGUAGE.search(html)
    with translation.override(language[1] if language else settings.LANGUAGE_CODE):
        return html.replace("<main>", '<main><div class="container">' + _demo_banner() + "</div>", 1)


def _demo_banner() -> str:
    return _DEMO_BANNER.format(
        title=escape(_("Demo data:")),
        text=escape(
            _(
                "district boundaries, addresses, facilities, providers and their rollout plans are generated, "
                "not official data."
            )
        ),
    )


def _bad_request(error: InvalidInputError) -> JsonResponse:
    return JsonResponse({"code": error.code, "description": str(error)}, status=error.status)


def _checked(request: HttpRequest, allowed: set[str]) -> JsonResponse | None:
    try:
        params.unknown_check(request.GET, allowed)
    except InvalidInputError as error:
        return _bad_request(error)
    return None


@require_safe
def landing_page(request: HttpRequest) -> HttpResponse:
    response = _checked(request, params.COMMON) or _execute(request, core_api.landing_page)
    return _json_patched(request, response, tiles_documents.landing_links_fix)


def _json_patched(request: HttpRequest, response: HttpResponse, patch) -> HttpResponse:
    """Apply ``patch(content, base=...)`` to a successful, uncompressed JSON response of pygeoapi."""
    if (
        response.status_code != 200
        or not response.get("Content-Type", "").startswith("application/json")
        or response.get("Content-Encoding") is not None
    ):
        return response
    base = _api(request, lean=False).base_url
    # Our additions speak the language pygeoapi chose for the document (lang, Accept-Language).
    with translation.override(response.get("Content-Language") or settings.LANGUAGE_CODE):
        content = patch(json.loads(response.content), base=base)
    response.content = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return response


@require_safe
def conformance(request: HttpRequest) -> HttpResponse:
    return _checked(request, params.COMMON) or _execute(request, conformance_document)


@require_safe
def openapi(request: HttpRequest) -> HttpResponse:
    api = _api(request, lean=False)
    if not api.openapi:
        # Generated on first use per configuration; it instantiates every provider.
        api.openapi = openapi_document(
            tiles_documents.openapi_paths_add(get_oas(api.config, fail_on_invalid_collection=False))
        )
    return _execute(request, core_api.openapi_)


@require_safe
def collections(request: HttpRequest, collection_id: str | None = None) -> HttpResponse:
    response = _checked(request, params.COMMON) or _execute(request, core_api.describe_collections, collection_id)
    return _json_patched(request, response, _collections_fixed)


def _collections_fixed(content: dict, *, base: str) -> dict:
    """The collections document (list or one) as we serve it, patched in one parse of pygeoapi's JSON:
    the catalogue says ``"type": "Catalog"`` (Records; pygeoapi leaves it out), collections with vector
    tiles link their tilesets."""
    for collection in content.get("collections", []) if "collections" in content else [content]:
        if collection.get("id") == records.RECORDS_ID:
            collection["type"] = "Catalog"
    return tiles_documents.collection_links_add(content, base=base)


def _queryables(api: API, api_request: APIRequest, collection_id: str) -> tuple[dict, int, str]:
    """JSON Schema 2020-12 with additionalProperties: false (pygeoapi's is 2019-09 and open)."""
    headers = api_request.get_response_headers(**api.api_headers)
    collection = collection_get(collection_id)
    resource = api.config["resources"].get(collection_id)
    if collection is None or resource is None:
        return api.get_exception(HTTPStatus.NOT_FOUND, headers, api_request.format, "NotFound", "Collection not found")
    dataset_path = f"{api.get_collections_url()}/{collection_id}"
    title = l10n.translate(resource["title"], api_request.locale)
    content = queryables_schema(collection=collection, url=f"{dataset_path}/queryables", title=title)
    if api_request.format == F_HTML:
        data = {**content, "collections_path": api.get_collections_url(), "dataset_path": dataset_path}
        html = render_j2_template(
            api.tpl_config, api.config["server"]["templates"], "collections/queryables.html", data, api_request.locale
        )
        return headers, HTTPStatus.OK, html
    headers["Content-Type"] = "application/schema+json"
    return headers, HTTPStatus.OK, to_json(content, api.pretty_print)


@require_safe
def queryables(request: HttpRequest, collection_id: str) -> HttpResponse:
    return _checked(request, params.COMMON) or _execute(request, _queryables, collection_id)


def _records_state(request: HttpRequest, query) -> tuple[RequestState, object]:
    """Parses the Records search parameters; the city's extent stands in for entries without one."""
    _, config = config_get()
    city = Polygon.from_bbox(config["resources"][records.RECORDS_ID]["extents"]["spatial"]["bbox"])
    city.srid = 4326
    return params.records_parse(
        query, user=request.user, base_url=base_url(request), site_url=site_url(request), fallback_extent=city
    )


def _record_items(request: HttpRequest) -> HttpResponse:
    try:
        state, left = _records_state(request, request.GET)
    except InvalidInputError as error:
        return _bad_request(error)
    return _items_answer(request, records.RECORDS_ID, state, left)


def _record_item(request: HttpRequest, item_id: str) -> HttpResponse:
    try:
        params.unknown_check(request.GET, params.COMMON)
        state, _ = _records_state(request, request.GET)
    except InvalidInputError as error:
        return _bad_request(error)
    response = _execute(request, itemtypes_api.get_collection_item, records.RECORDS_ID, item_id, lean=True, state=state)
    return _features_finish(response, state, links=False)


@require_safe
def items(request: HttpRequest, collection_id: str) -> HttpResponse:
    if collection_id == records.RECORDS_ID:
        return _record_items(request)
    collection = collection_get(collection_id)
    if collection is None:
        return _execute(request, itemtypes_api.get_collection_items, collection_id, lean=True)
    try:
        state, left = params.items_parse(request.GET, collection, user=request.user)
    except InvalidInputError as error:
        return _bad_request(error)
    return _items_answer(request, collection_id, state, left)


def _items_answer(request: HttpRequest, collection_id: str, state: RequestState, left: QueryDict) -> HttpResponse:
    """Items as GeoJSON, or as pygeoapi's HTML page made from the GeoJSON document with its links fixed.

    pygeoapi builds every link of a page (next, prev, JSON) from the parameters it saw, and those we
    parse ourselves (crs, bbox, filter, ...) are kept from it: so for HTML it builds the GeoJSON document,
    whose links ``_links_fixed`` completes, and the page is rendered from that.
    """
    offset = left.get("offset", "0")
    html = APIRequest.from_django(request, _api(request, lean=True).locales).format == F_HTML
    if html:
        left["f"] = F_JSON
    request.GET = left
    if html:
        return _features_finish(
            _execute(request, _items_page, collection_id, state, offset, lean=True, state=state), state, links=False
        )
    response = _execute(
        request, itemtypes_api.get_collection_items, collection_id, lean=True, state=state, check_format=False
    )
    return _features_finish(response, state, links=True, offset=offset)


def _items_page(
    api: API, api_request: APIRequest, collection_id: str, state: RequestState, offset: str
) -> tuple[dict, int, str]:
    headers, status, content = itemtypes_api.get_collection_items(api, api_request, collection_id)
    if status != HTTPStatus.OK:
        return headers, status, content
    data = json.loads(content)
    data["links"] = _html_links(_links_fixed(data, state, language=str(api_request.locale), offset=offset))
    # What pygeoapi adds for its template (itemtypes.get_collection_items), from the provider's definition.
    provider = api.config["resources"][collection_id]["providers"][0]
    items_path = f"{api.get_collections_url()}/{collection_id}/items"
    data.update(
        itemtype=provider["type"],
        items_path=items_path,
        dataset_path=items_path.rsplit("/", 1)[0],
        collections_path=api.get_collections_url(),
        offset=int(offset),
        id_field=provider.get("id_field"),
        limit_options=_limit_options(api, api_request.locale),
    )
    if provider.get("uri_field"):
        data["uri_field"] = provider["uri_field"]
    if provider.get("title_field"):
        data["title_field"] = data["id_field"] = l10n.translate(provider["title_field"], api_request.locale)
    headers["Content-Type"] = FORMAT_TYPES[F_HTML]
    templates = api.get_dataset_templates(collection_id)
    html = render_j2_template(api.tpl_config, templates, "collections/items/index.html", data, api_request.locale)
    return headers, status, html


# The page sizes the items page offers besides the default, up to the server's maximum.
PAGE_SIZES = (100, 1000, 2000)


def _limit_options(api: API, locale) -> list[tuple[int, str]]:
    """The page-size selector's (value, label) pairs, labels in the reader's number format ("1.000" in German)."""
    most = api.config["server"]["limits"]["max_items"]
    return [(size, format_decimal(size, locale=locale)) for size in PAGE_SIZES if size <= most]


def _html_links(links: list[dict]) -> list[dict]:
    """The GeoJSON document's links as the HTML page's: the page is "self", next and prev stay HTML."""
    fixed = []
    for link in links:
        parts = urlsplit(link["href"])
        query = dict(parse_qsl(parts.query))
        rel = link["rel"]
        if rel in ("next", "prev"):
            query["f"] = F_HTML
        elif rel in ("self", "alternate") and parts.path.endswith("/items"):
            rel = "self" if query.get("f") == F_HTML else "alternate"
        fixed.append({**link, "rel": rel, "href": parts._replace(query=urlencode(query)).geturl()})
    return fixed


@require_safe
def item(request: HttpRequest, collection_id: str, item_id: str) -> HttpResponse:
    if collection_id == records.RECORDS_ID:
        return _record_item(request, item_id)
    try:
        params.unknown_check(request.GET, params.ITEM)
        state = RequestState(user=request.user, crs=crs_get(request.GET.get("crs")))
    except InvalidInputError as error:
        return _bad_request(error)
    left = request.GET.copy()
    left.pop("crs", None)
    request.GET = left
    response = _execute(request, itemtypes_api.get_collection_item, collection_id, item_id, lean=True, state=state)
    return _features_finish(response, state, links=False)


def _features_finish(response: HttpResponse, state: RequestState, *, links: bool, offset: str = "0") -> HttpResponse:
    """GeoJSON media type, Content-Crs, and paging links that keep the parameters pygeoapi did not see."""
    if response.status_code != 200:
        return response
    response["Content-Crs"] = f"<{state.crs.uri}>"
    if not response.get("Content-Type", "").startswith("application/json"):
        return response
    response["Content-Type"] = GEOJSON
    if response.get("Content-Encoding") is None:
        content = json.loads(response.content)
        # pygeoapi stamps every response with the time it was made; without it, the same
        # data gives the same body and ETag, and conditional requests work (ogc.middleware).
        content.pop("timeStamp", None)
        if links:
            language = response.get("Content-Language") or settings.LANGUAGE_CODE
            content["links"] = _links_fixed(content, state, language=language, offset=offset)
        response.content = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return response


def _links_fixed(content: dict, state: RequestState, *, language: str, offset: str = "0") -> list[dict]:
    """Links to items with every parameter of the request: next and prev with their own offset, the
    document's other representations (self, alternate) with the request's (pygeoapi drops it there),
    and titled in the document's language (pygeoapi leaves its output formats' titles English)."""
    matched = content.get("numberMatched")
    fixed = []
    for link in content.get("links", []):
        if "title" in link:
            link = {**link, "title": link_title(link["title"], language)}
        parts = urlsplit(link["href"])
        if not parts.path.endswith("/items"):
            fixed.append(link)
            continue
        own = dict(parse_qsl(parts.query))
        # pygeoapi offers "next" whenever a page is full, even the last one.
        if link["rel"] == "next" and matched is not None and int(own.get("offset", 0)) >= matched:
            continue
        query = dict(state.query)
        if link["rel"] in ("self", "alternate") and offset != "0":
            query["offset"] = offset
        query.update({k: v for k, v in own.items() if k in ("f", "offset")})
        fixed.append({**link, "href": parts._replace(query=urlencode(query)).geturl()})
    return fixed


@require_safe
def pygeoapi_static(request: HttpRequest, path: str) -> HttpResponse:
    """pygeoapi's pages link ``{server url}/static/...``: its CSS and images, collected under STATIC_ROOT/pygeoapi."""
    return serve(request, path, document_root=Path(settings.STATIC_ROOT) / "pygeoapi")
