"""Validation of OGC API query parameters, before pygeoapi sees them.

pygeoapi silently drops unknown parameters and handles CRS with pyproj; here
every parameter is checked (unknown or malformed: a 400 that says which), and
crs, bbox, bbox-crs and datetime are parsed into a RequestState for the
provider, which does the work in PostGIS.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, time

from django.db.models import Q
from django.http import QueryDict
from django.utils.dateparse import parse_date, parse_datetime

from geoportal.errors import InvalidInputError, UnknownCRSError
from ogc.collections import Collection
from ogc.context import RequestState
from ogc.crs import bbox_geometry, crs_get
from ogc.filters import filter_q

COMMON = {"f", "lang"}
ITEMS = COMMON | {
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "properties",
    "sortby",
    "skipGeometry",
    "resulttype",
    "filter",
    "filter-lang",
    "filter-crs",
}
ITEM = COMMON | {"crs"}
# /collections/metadata/items (OGC API Records): no CRS parameters, the record search parameters instead.
RECORD_SEARCH = ("q", "keywords", "type", "ids", "externalIds")
RECORDS = COMMON | {"limit", "offset", "bbox", "datetime", "sortby", *RECORD_SEARCH}
# Parsed here and kept from pygeoapi (which would parse filter as CQL2 text whatever filter-lang says).
OURS = ("bbox", "bbox-crs", "crs", "datetime", "filter", "filter-lang", "filter-crs")


def unknown_check(params: QueryDict, allowed: set[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidInputError(
            f"unknown query parameter(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}", where="query"
        )
    repeated = sorted(k for k in params if len(params.getlist(k)) > 1)
    if repeated:
        raise InvalidInputError(f"parameter(s) given more than once: {', '.join(repeated)}", where="query")


def items_parse(params: QueryDict, collection: Collection, *, user) -> tuple[RequestState, QueryDict]:
    """The state for the provider and the parameters left for pygeoapi."""
    unknown_check(params, ITEMS | set(collection.queryable_fields))
    crs = crs_get(params.get("crs"))
    where_when = _where_when_parse(params)
    names_check(params, collection)
    state = RequestState(
        user=user, crs=crs, filter=filter_parse(params, collection), query=_query_kept(params), **where_when
    )
    left = _left_for_pygeoapi(params)
    if params.get("sortby") is not None:
        left["sortby"] = ",".join(_listed(params, "sortby"))
    return state, left


def _where_when_parse(params: QueryDict) -> dict:
    """bbox (in bbox-crs) and datetime, as RequestState's fields; the same for features and records."""
    bbox, empty = None, False
    if params.get("bbox") is not None:
        bbox = bbox_geometry(bbox_parse(params["bbox"]), crs_get(params.get("bbox-crs")))
        empty = bbox is None
    elif params.get("bbox-crs") is not None:
        raise InvalidInputError("bbox-crs given without bbox", where="bbox-crs")
    given = params.get("datetime") is not None
    start, end = datetime_parse(params["datetime"]) if given else (None, None)
    return {"bbox": bbox, "bbox_empty": empty, "start": start, "end": end, "has_datetime": given}


def _query_kept(params: QueryDict) -> tuple[tuple[str, str], ...]:
    """The request's parameters but offset, for the links to other pages."""
    return tuple((k, v) for k, v in params.items() if k != "offset")


def _left_for_pygeoapi(params: QueryDict) -> QueryDict:
    left = params.copy()
    for name in OURS:
        left.pop(name, None)
    return left


def filter_parse(params: QueryDict, collection: Collection) -> Q | None:
    """filter / filter-lang / filter-crs as a Q object over the collection's queryables."""
    if params.get("filter") is None:
        for name in ("filter-lang", "filter-crs"):
            if params.get(name) is not None:
                raise InvalidInputError(f"{name} given without filter", where=name)
        return None
    try:
        crs = crs_get(params.get("filter-crs"))
    except UnknownCRSError as error:
        raise UnknownCRSError(error.message, where="filter-crs") from None
    return filter_q(params["filter"], lang=params.get("filter-lang"), collection=collection, crs=crs)


def names_check(params: QueryDict, collection: Collection) -> None:
    """sortby names queryables, properties names exposed fields, skipGeometry is a boolean."""
    queryables = list(collection.queryable_fields)
    # An unencoded "+" arrives as a space; strip() makes it the default ascending order.
    for item in _listed(params, "sortby"):
        name = item[1:] if item[:1] in "+-" else item
        if name not in queryables:
            raise InvalidInputError(
                f"cannot sort by {name!r}; sortable (queryables): {', '.join(queryables)}", where="sortby"
            )
    fields = list(collection.fields)
    unknown = [name for name in _listed(params, "properties") if name not in fields]
    if unknown:
        raise InvalidInputError(
            f"unknown propert{'ies' if len(unknown) > 1 else 'y'} {', '.join(map(repr, unknown))}; "
            f"properties: {', '.join(fields)}",
            where="properties",
        )
    skip = params.get("skipGeometry")
    if skip is not None and skip.lower() not in ("true", "false"):
        raise InvalidInputError(f"skipGeometry must be true or false, not {skip!r}", where="skipGeometry")


def _listed(params: QueryDict, name: str) -> list[str]:
    value = params.get(name)
    if value is None:
        return []
    items = [item.strip() for item in value.split(",")]
    if not all(items):
        raise InvalidInputError(f"{name} has an empty entry: {value!r}", where=name)
    return items


def bbox_parse(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidInputError(f"bbox must be 4 or 6 comma-separated numbers, not {text!r}", where="bbox") from None
    if len(values) not in (4, 6) or not all(math.isfinite(v) for v in values):
        raise InvalidInputError(f"bbox must be 4 or 6 comma-separated finite numbers, not {text!r}", where="bbox")
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if values[1] > values[3]:
        raise InvalidInputError("the lower bound of bbox is greater than the upper", where="bbox")
    return values


def datetime_parse(text: str) -> tuple[datetime | None, datetime | None]:
    """An RFC 3339 instant or interval (``start/end``, ``..`` or empty for open) as a closed interval."""
    if "/" in text:
        first, _, second = text.partition("/")
        start = None if first in ("", "..") else _instant(first, end=False)
        end = None if second in ("", "..") else _instant(second, end=True)
        if start is None and end is None and first == second == "":
            raise InvalidInputError("datetime interval has no bounds", where="datetime")
        if start and end and start > end:
            raise InvalidInputError("datetime interval ends before it starts", where="datetime")
        return start, end
    return _instant(text, end=False), _instant(text, end=True)


def _instant(text: str, *, end: bool) -> datetime:
    try:
        value = parse_datetime(text)
        if value is None and parse_date(text) is not None:
            # A date stands for the whole day.
            value = datetime.combine(parse_date(text), time.max if end else time.min)
    except ValueError:
        value = None
    if value is None:
        raise InvalidInputError(f"datetime {text!r} is not an RFC 3339 date or date-time", where="datetime")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def records_parse(
    params: QueryDict, *, user, base_url: str, site_url: str, fallback_extent
) -> tuple[RequestState, QueryDict]:
    """The state for the record provider and the parameters left for pygeoapi (bbox and datetime are ours)."""
    unknown_check(params, RECORDS)
    for name in RECORD_SEARCH:
        if name in params and len(params[name]) > 256:
            raise InvalidInputError(f"{name} is longer than 256 characters", where=name)
    state = RequestState(
        user=user,
        query=_query_kept(params),
        base_url=base_url,
        site_url=site_url,
        fallback_extent=fallback_extent,
        **_where_when_parse(params),
    )
    return state, _left_for_pygeoapi(params)
