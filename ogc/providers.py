"""pygeoapi feature provider over the apps' selectors and the Django ORM.

pygeoapi instantiates a provider on every request, so ``__init__`` only reads
the static collection declaration: no database work, no pyproj. Queries run
through the collection's selector (so role rules apply here as everywhere),
geometries are transformed and serialised to GeoJSON by PostGIS
(ST_Transform with integer SRIDs, ST_AsGeoJSON) in the same statement.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.core.cache import cache
from django.db import connections
from django.db.models import F, Func, Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)

from geoportal.data_version import data_versions, tables_in_sql
from geoportal.errors import InvalidInputError
from ogc import filters
from ogc.collections import Collection, collection_get
from ogc.context import RequestState, state_get
from ogc.crs import STORAGE_SRID, SupportedCrs

GEOMETRY = "ogc_geometry"


def provider_attributes_set(provider: BaseProvider, provider_def: dict, *, fields: dict) -> None:
    """What pygeoapi reads of a provider, set without BaseProvider.__init__ (which builds a pyproj CRS per request)."""
    provider.name = provider_def["name"]
    provider.type = provider_def["type"]
    provider.data = provider_def["data"]
    provider.options = provider_def.get("options") or {}
    provider.editable = False
    provider.id_field = "id"
    provider.uri_field = provider.title_field = provider.time_field = None
    provider.x_field = provider.y_field = provider.z_field = None
    provider.properties = []
    provider.file_types = []
    provider.include_extra_query_parameters = False
    provider.filename = None
    provider.axes = []
    provider.crs = None
    provider.num_bands = None
    provider._fields = dict(fields)


class SelectorProvider(BaseProvider):
    """Features of one registered collection (``data`` is the collection id)."""

    def __init__(self, provider_def: dict) -> None:
        self.collection: Collection = collection_get(provider_def["data"])
        if self.collection is None:
            raise RuntimeError(f"no collection {provider_def['data']!r} in ogc.collections")
        provider_attributes_set(self, provider_def, fields=self.collection.fields)
        # pygeoapi then documents POST/PUT/DELETE in the OpenAPI document; ogc.transactions serves them.
        self.editable = self.collection.editable
        self.count = self.collection.count

    def get_fields(self) -> dict:
        return self._fields

    def query(
        self,
        offset: int = 0,
        limit: int = 10,
        resulttype: str = "results",
        properties: list | None = None,
        sortby: list | None = None,
        select_properties: list | None = None,
        skip_geometry: bool = False,
        filterq=None,
        **kwargs,
    ) -> dict:
        state = state_get()
        qs = self._filtered(state, properties or [], filterq)
        if resulttype == "hits":
            return {"type": "FeatureCollection", "features": [], "numberMatched": qs.count(), "numberReturned": 0}
        qs = qs.order_by(*self._ordering(sortby or []))
        names = list(select_properties or self.collection.fields)
        # One row more than asked tells whether a next page exists without counting.
        values = self._values(qs, names, state.crs, skip_geometry, geometry=self.collection.geometry)
        rows = list(values[offset : offset + limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        result = {
            "type": "FeatureCollection",
            "features": [self._feature(row, names) for row in rows],
            "numberReturned": len(rows),
        }
        matched = self._number_matched(qs, offset=offset, returned=len(rows), more=more)
        if matched is not None:
            result["numberMatched"] = matched
        return result

    def get(self, identifier, **kwargs) -> dict:
        try:
            pk = int(identifier)
        except (TypeError, ValueError):
            raise ProviderItemNotFoundError(user_msg=f"no feature {identifier!r}") from None
        state = state_get()
        names = list(self.collection.fields)
        qs = self.collection.queryset(user=state.user).filter(pk=pk)
        row = self._values(qs, names, state.crs, skip_geometry=False, geometry=self.collection.geometry).first()
        if row is None:
            raise ProviderItemNotFoundError(user_msg=f"no feature {identifier!r}")
        return self._feature(row, names)

    def _filtered(self, state: RequestState, properties: list, filterq) -> QuerySet:
        qs = self.collection.queryset(user=state.user)
        if state.bbox_empty:
            return qs.none()
        if state.bbox is not None:
            qs = qs.filter(**{f"{self.collection.geometry}__intersects": state.bbox})
        if state.has_datetime:
            qs = self._in_time(qs, state)
        for name, value in properties:
            qs = qs.filter(**{name: self._typed(name, value)})
        if state.filter is not None:
            qs = qs.filter(state.filter)
        if filterq is not None:
            # Not dead code: pygeoapi parses a request body as CQL2 JSON and passes it here as a pygeofilter
            # expression (the filter parameter never reaches it: the views parse that into state.filter). The
            # items views answer GET only, so that is a GET with a body: refused, never silently ignored.
            # A CQL2 JSON dict (a direct caller of the provider) is evaluated.
            if not isinstance(filterq, dict | bool):
                raise ProviderInvalidQueryError(
                    user_msg="a filter in the request body is not read: send it as the filter query parameter "
                    "(filter-lang cql2-text or cql2-json)"
                )
            try:
                qs = qs.filter(filters.to_q(filterq, self.collection))
            except InvalidInputError as error:
                raise ProviderInvalidQueryError(user_msg=str(error)) from None
        return qs

    def _in_time(self, qs: QuerySet, state: RequestState) -> QuerySet:
        if self.collection.time_field:
            condition = Q()
            if state.start is not None:
                condition &= Q(**{f"{self.collection.time_field}__gte": state.start})
            if state.end is not None:
                condition &= Q(**{f"{self.collection.time_field}__lte": state.end})
            return qs.filter(condition)
        # Without a time field the whole layer is valid over the catalogue's period.
        valid_from, valid_until = self.options.get("valid_from"), self.options.get("valid_until")
        if (state.end is not None and valid_from and state.end.date() < date.fromisoformat(valid_from)) or (
            state.start is not None and valid_until and state.start.date() > date.fromisoformat(valid_until)
        ):
            return qs.none()
        return qs

    def _typed(self, name: str, value: str):
        kind = self.collection.fields[name].get("type")
        if kind == "integer":
            try:
                return int(value)
            except ValueError:
                raise ProviderInvalidQueryError(user_msg=f"{name} must be a whole number, not {value!r}") from None
        if self.collection.fields[name].get("format") in ("date", "date-time"):
            parse = parse_date if self.collection.fields[name]["format"] == "date" else parse_datetime
            try:
                parsed = parse(value)
            except ValueError:  # well-formed but impossible, such as 2027-13-45
                parsed = None
            if parsed is None:
                raise ProviderInvalidQueryError(user_msg=f"{name} must be an RFC 3339 date, not {value!r}")
            return parsed
        if kind == "number":
            try:
                return float(value)
            except ValueError:
                raise ProviderInvalidQueryError(user_msg=f"{name} must be a number, not {value!r}") from None
        if kind == "boolean":
            if value.lower() not in {"true", "false"}:
                raise ProviderInvalidQueryError(user_msg=f"{name} must be true or false, not {value!r}")
            return value.lower() == "true"
        return value

    def _ordering(self, sortby: list) -> list[str]:
        order = [("-" if s["order"] == "-" else "") + s["property"] for s in sortby]
        # The primary key last keeps paging stable whatever the sort.
        return [*order, "pk"]

    def _number_matched(self, qs: QuerySet, *, offset: int, returned: int, more: bool) -> int | None:
        if not more and (returned or offset == 0):
            return offset + returned
        return _count(qs) if self.count else None

    @staticmethod
    def _values(
        qs: QuerySet, names: list[str], crs: SupportedCrs, skip_geometry: bool, geometry: str = "geom"
    ) -> QuerySet:
        if skip_geometry:
            return qs.values("pk", *names)
        geometry = F(geometry) if crs.srid == STORAGE_SRID else Transform(geometry, crs.srid)
        if crs.lat_first:
            geometry = Func(geometry, function="ST_FlipCoordinates", output_field=GeometryField(srid=crs.srid))
        return qs.values("pk", *names, **{GEOMETRY: AsGeoJSON(geometry, precision=crs.precision)})

    @staticmethod
    def _feature(row: dict, names: list[str]) -> dict:
        geometry = row.get(GEOMETRY)
        properties = {}
        for name in names:
            value = row[name]
            properties[name] = value.isoformat() if isinstance(value, date | datetime) else value
        return {
            "type": "Feature",
            "id": row["pk"],
            "geometry": json.loads(geometry) if geometry else None,
            "properties": properties,
        }


def _count(qs: QuerySet) -> int:
    """``qs.count()``, cached under the data versions of the tables it reads: exact, because any write to one of
    them changes the key. The first page of a large collection is always full, so without this every items
    request counted the whole table (~30 ms at 1,000,000 addresses; see bench/README.md)."""
    connection = connections[qs.db]
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    # Tables of subqueries too (visibility of plan versions is a subquery), not only the joins.
    versions = data_versions(tables=tables_in_sql(sql))
    if versions is None:
        return qs.count()
    # The SQL with its parameters quoted in (geometries as EWKB) identifies the condition whatever its source.
    text = connection.ops.compose_sql(sql, params)
    key = "ogc:count:" + hashlib.sha256(f"{versions}|{text}".encode()).hexdigest()
    count = cache.get(key)
    if count is None:
        count = qs.count()
        cache.set(key, count, timeout=24 * 3600)
    return count
