"""OGC API – Records: the catalogue of the portal's layers as the record collection ``metadata``.

The collection is served by pygeoapi's own Records path (a provider of type
``record``: items, item, HTML, OpenAPI) through our view wrapper, which parses
bbox and datetime itself and rejects unknown parameters. Records are built
from the published catalogue entries (``layers.selectors.layer_search``), one
per Layer, id = the layer's slug. Each record links to its OGC API collection
and to the open-data downloads of the same data (ogc.exports).
"""

from __future__ import annotations

from django.conf import settings
from pygeoapi.provider.base import BaseProvider, ProviderInvalidQueryError, ProviderItemNotFoundError

from layers.models import Layer
from ogc.context import state_get
from ogc.exports import FORMATS, download_collection
from ogc.providers import provider_attributes_set

RECORDS_ID = "metadata"
RECORD_CORE = "http://www.opengis.net/spec/ogcapi-records-1/1.0/req/record-core"
CONF = "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf"
# What /conformance claims for the catalogue; each is proven in tests/ogc/test_records.py.
CONFORMANCE = [
    f"{CONF}/record-core",
    f"{CONF}/record-collection",
    f"{CONF}/record-core-query-parameters",
    f"{CONF}/records-api",
    f"{CONF}/searchable-catalog",
    f"{CONF}/json",
    f"{CONF}/html",
]
RECORD_TYPE = "dataset"
# Licences with an SPDX identifier, by the URL the catalogue gives (Records: SPDX id or "other").
SPDX_BY_URL = {
    "https://creativecommons.org/publicdomain/zero/1.0/": "CC0-1.0",
    "https://creativecommons.org/licenses/by/4.0/": "CC-BY-4.0",
    "https://www.govdata.de/dl-de/by-2-0": "DL-DE-BY-2.0",
    "https://www.govdata.de/dl-de/zero-2-0": "DL-DE-ZERO-2.0",
}
FIELDS = {
    "title": {"type": "string"},
    "description": {"type": "string"},
    "keywords": {"type": "array", "items": {"type": "string"}},
    "type": {"type": "string"},
    "license": {"type": "string"},
    "updated": {"type": "string", "format": "date-time"},
}
SORTABLE = {"title": "title", "updated": "updated"}


def licence_spdx(layer: Layer) -> str:
    return SPDX_BY_URL.get(layer.licence_url.rstrip("/") + "/", SPDX_BY_URL.get(layer.licence_url, "other"))


def record_build(layer: Layer, *, base_url: str, site_url: str, city_extent=None) -> dict:
    """One OGC API record (GeoJSON) for a catalogue entry; geometry in CRS84."""
    extent = layer.extent or city_extent
    collection = download_collection(layer.slug)
    properties = {
        "type": RECORD_TYPE,
        "title": layer.title,
        "description": layer.abstract,
        "keywords": list(layer.keywords),
        "language": {"code": "de", "name": "Deutsch"},
        "updated": layer.updated.isoformat(),
        "license": licence_spdx(layer),
        "rights": layer.attribution,
        "contacts": [
            {
                "organization": f"Stadt {settings.CITY_NAME}",
                "roles": ["publisher"],
                "links": [{"rel": "about", "type": "text/html", "href": site_url}],
            },
            {"organization": layer.source, "roles": ["originator"]}
            | (
                {"links": [{"rel": "about", "type": "text/html", "href": layer.source_url}]} if layer.source_url else {}
            ),
        ],
        "updateFrequency": layer.update_frequency,
        "demo": layer.is_demo,
    }
    if collection is not None:
        properties["formats"] = [{"name": f.name, "mediaType": f.media_type} for f in FORMATS.values()]
    return {
        "id": layer.slug,
        "type": "Feature",
        "conformsTo": [RECORD_CORE],
        "time": _time(layer),
        "geometry": _polygon(extent),
        "properties": properties,
        "links": _links(layer, collection, base_url=base_url, site_url=site_url),
    }


def _time(layer: Layer) -> dict | None:
    if layer.temporal_start is None and layer.temporal_end is None:
        return None
    start = layer.temporal_start.isoformat() if layer.temporal_start else ".."
    end = layer.temporal_end.isoformat() if layer.temporal_end else ".."
    return {"interval": [start, end]}


def _polygon(extent) -> dict | None:
    if extent is None:
        return None
    minx, miny, maxx, maxy = (round(v, 6) for v in extent.extent)
    ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
    return {"type": "Polygon", "coordinates": [ring]}


def _links(layer: Layer, collection, *, base_url: str, site_url: str) -> list[dict]:
    links = []
    if collection is not None:
        href = f"{base_url}/collections/{collection.id}"
        links += [
            {"rel": "item", "type": "application/json", "title": f"{layer.title} (OGC API Features)", "href": href},
            {"rel": "items", "type": "application/geo+json", "title": layer.title, "href": f"{href}/items"},
        ]
        for fmt in FORMATS.values():
            links.append(
                {
                    "rel": "enclosure",
                    "type": fmt.media_type,
                    "title": f"{layer.title} ({fmt.name}, {layer.licence})",
                    "href": f"{site_url}daten/{layer.slug}.{fmt.ext}",
                }
            )
    if layer.licence_url:
        links.append({"rel": "license", "type": "text/html", "title": layer.licence, "href": layer.licence_url})
    if layer.source_url:
        links.append({"rel": "describedby", "type": "text/html", "title": layer.source, "href": layer.source_url})
    links.append(
        {"rel": "alternate", "type": "text/html", "title": "Offene Daten", "href": f"{site_url}daten/#{layer.slug}"}
    )
    return links


class LayerRecordProvider(BaseProvider):
    """Records of the published catalogue entries (pygeoapi provider type ``record``)."""

    def __init__(self, provider_def: dict) -> None:
        # As SelectorProvider: no database work and no pyproj per request.
        provider_attributes_set(self, provider_def, fields=FIELDS)
        self.title_field = "title"
        # Record parameters reach query() as properties (validated by our view first).
        self.include_extra_query_parameters = True

    def get_fields(self) -> dict:
        return self._fields

    def query(
        self,
        offset: int = 0,
        limit: int = 10,
        resulttype: str = "results",
        properties: list | None = None,
        sortby: list | None = None,
        q: str | None = None,
        **kwargs,
    ) -> dict:
        from layers.selectors import layer_search

        state = state_get()
        given = dict(properties or [])
        types = _split(given.pop("type", None))
        if (types is not None and RECORD_TYPE not in types) or _split(given.pop("externalIds", None)):
            # Every record is a dataset, and none carries external identifiers.
            queryset = Layer.objects.none()
        else:
            queryset = layer_search(
                user=state.user,
                terms=_split(q),
                keywords=_split(given.pop("keywords", None)),
                slugs=_split(given.pop("ids", None)),
                bbox=state.bbox,
                fallback_extent=state.fallback_extent,
                start=state.start.date() if state.start else None,
                end=state.end.date() if state.end else None,
            )
            if state.bbox_empty:
                queryset = queryset.none()
        for name, value in given.items():
            raise ProviderInvalidQueryError(user_msg=f"records cannot be filtered by {name}={value!r}")
        order = [
            ("-" if s["order"] == "-" else "") + SORTABLE[s["property"]]
            for s in sortby or []
            if s["property"] in SORTABLE
        ]
        if len(order) != len(sortby or []):
            raise ProviderInvalidQueryError(user_msg=f"records can be sorted by {', '.join(SORTABLE)} only")
        queryset = queryset.order_by(*order, "title", "slug")
        matched = queryset.count()
        layers = [] if resulttype == "hits" else list(queryset[offset : offset + limit])
        return {
            "type": "FeatureCollection",
            "features": [self._record(layer, state) for layer in layers],
            "numberMatched": matched,
            "numberReturned": len(layers),
        }

    def get(self, identifier, **kwargs) -> dict:
        from layers.selectors import layers_published

        state = state_get()
        layer = layers_published(user=state.user).filter(slug=str(identifier)).first()
        if layer is None:
            raise ProviderItemNotFoundError(user_msg=f"no record {identifier!r}")
        return self._record(layer, state)

    @staticmethod
    def _record(layer: Layer, state) -> dict:
        return record_build(layer, base_url=state.base_url, site_url=state.site_url, city_extent=state.fallback_extent)


def _split(value: str | None) -> list[str] | None:
    """A comma-separated list (empty items dropped), or None when the parameter is absent."""
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]
