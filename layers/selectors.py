"""Reads of the city's base layers: boundary, districts, catalogue, counts.

Geometries for web maps are transformed to EPSG:4326 and serialised to
GeoJSON in the database, so pages never loop over coordinates in Python.
"""

from __future__ import annotations

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import Count, QuerySet, Sum

from layers.models import Address, District, Facility, Layer

# Six decimals of a degree are about 0.1 m: more is noise in a web map.
WEB_PRECISION = 6


def _with_web_geojson(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(geojson=AsGeoJSON(Transform("geom", 4326), precision=WEB_PRECISION))


def district_city() -> District | None:
    """The city itself (level ``city``) with ``geojson`` in EPSG:4326, or None before any import."""
    return _with_web_geojson(District.objects.filter(level=District.Level.CITY)).first()


def district_list(*, level: str) -> QuerySet[District]:
    """Districts of one level with ``geojson`` in EPSG:4326, ordered by name."""
    return _with_web_geojson(District.objects.filter(level=level)).order_by("name")


def demo_data_present() -> bool:
    """True when any generated (not official) district, address or facility is stored."""
    return any(model.objects.filter(is_demo=True).exists() for model in (District, Address, Facility))


def layer_list(*, slugs: list[str] | None = None) -> QuerySet[Layer]:
    """Published catalogue entries, optionally only those with the given slugs."""
    queryset = Layer.objects.filter(published=True)
    if slugs is not None:
        queryset = queryset.filter(slug__in=slugs)
    return queryset.order_by("title")


def address_totals() -> dict[str, int]:
    """Number of addresses and of homes (dwellings) at them, in one query."""
    totals = Address.objects.aggregate(addresses=Count("id"), homes=Sum("homes"))
    return {"addresses": totals["addresses"], "homes": totals["homes"] or 0}


def district_count() -> int:
    """Number of Stadtbezirke and Stadtteile (the city itself not counted)."""
    return District.objects.exclude(level=District.Level.CITY).count()
