"""Reads of the city's base layers. Every read path (pages, OGC API, exports) goes through here.

``user`` is accepted by the public selectors so that role-dependent rules can
be added in one place later; the base layers are public today. Geometries for
web maps are transformed to EPSG:4326 and serialised to GeoJSON in the
database, so pages never loop over coordinates in Python.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.geos import GEOSGeometry
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import CharField, Count, F, Func, Q, QuerySet, Sum, Value

from geoportal.errors import NotFoundError
from layers.models import Address, District, Facility, Layer, Street, StreetIndex, Water
from layers.naming import house_parse, house_slug

User = AbstractBaseUser | AnonymousUser | None

# Six decimals of a degree are about 0.1 m: more is noise in a web map.
WEB_PRECISION = 6


def districts_public(*, user: User = None) -> QuerySet[District]:
    """All districts (city, boroughs, quarters): public administrative geometry."""
    return District.objects.all()


def addresses_public(*, user: User = None) -> QuerySet[Address]:
    """All addresses; callers expose only the public fields (no source identifiers)."""
    return Address.objects.all()


def facilities_public(*, user: User = None) -> QuerySet[Facility]:
    """All city facilities."""
    return Facility.objects.all()


def streets_public(*, user: User = None) -> QuerySet[Street]:
    """All streets: the context layer of the maps (public register data)."""
    return Street.objects.all()


def water_public(*, user: User = None) -> QuerySet[Water]:
    """All water bodies the city loaded (none in the demo)."""
    return Water.objects.all()


def layers_published(*, user: User = None) -> QuerySet[Layer]:
    """Catalogue entries that are published."""
    return Layer.objects.filter(published=True)


def _with_web_geojson(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(geojson=AsGeoJSON(Transform("geom", 4326), precision=WEB_PRECISION))


def district_city() -> District | None:
    """The city itself (level ``city``) with ``geojson`` in EPSG:4326, or None before any import."""
    return _with_web_geojson(districts_public().filter(level=District.Level.CITY)).first()


def district_list(*, level: str) -> QuerySet[District]:
    """Districts of one level with ``geojson`` in EPSG:4326, ordered by name."""
    return _with_web_geojson(districts_public().filter(level=level)).order_by("name")


def layer_list(*, slugs: list[str] | None = None) -> QuerySet[Layer]:
    """Published catalogue entries, optionally only those with the given slugs."""
    queryset = layers_published()
    if slugs is not None:
        queryset = queryset.filter(slug__in=slugs)
    return queryset.order_by("title")


def layer_search(
    *,
    user: User = None,
    terms: list[str] | None = None,
    keywords: list[str] | None = None,
    slugs: list[str] | None = None,
    bbox: GEOSGeometry | None = None,
    fallback_extent: GEOSGeometry | None = None,
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[Layer]:
    """Published catalogue entries matching every given criterion (the OGC API Records search).

    ``terms`` are ORed; a term matches when its German stems occur as a phrase
    (full text, config 'german': "Schule" finds "Schulen") or when it occurs as
    a substring, case-insensitively (German compounds: "faser" finds "Glasfaser",
    which stemming cannot split) in title, abstract or keywords. ``keywords`` are
    ORed, matched case-insensitively and whole. Entries without an extent stand
    for ``fallback_extent`` (the city) in the ``bbox`` test; a missing validity
    bound is open.
    """
    queryset = layers_published(user=user)
    if slugs is not None:
        queryset = queryset.filter(slug__in=slugs)
    if terms:
        keyword_text = Func(F("keywords"), Value(" "), function="array_to_string", output_field=CharField())
        queryset = queryset.annotate(
            search_text=keyword_text,
            search_vector=SearchVector("title", "abstract", keyword_text, config="german"),
        )
        matches = Q()
        for term in terms:
            matches |= (
                Q(search_vector=SearchQuery(term, config="german", search_type="phrase"))
                | Q(title__icontains=term)
                | Q(abstract__icontains=term)
                | Q(search_text__icontains=term)
            )
        queryset = queryset.filter(matches)
    if keywords:
        lowered = Func(
            F("keywords"), template="lower(%(expressions)s::text)::varchar[]", output_field=ArrayField(CharField())
        )
        queryset = queryset.annotate(keywords_lower=lowered).filter(
            keywords_lower__overlap=[k.lower() for k in keywords]
        )
    if bbox is not None:
        within = Q(extent__intersects=bbox)
        if fallback_extent is not None and fallback_extent.intersects(bbox):
            within |= Q(extent__isnull=True)
        queryset = queryset.filter(within)
    if end is not None:
        queryset = queryset.filter(Q(temporal_start__isnull=True) | Q(temporal_start__lte=end))
    if start is not None:
        queryset = queryset.filter(Q(temporal_end__isnull=True) | Q(temporal_end__gte=start))
    return queryset


def address_get(*, pk: int, user: User = None) -> Address:
    """One address by id (NotFoundError when there is none)."""
    address = addresses_public(user=user).select_related("district").filter(pk=pk).first()
    if address is None:
        raise NotFoundError(f"no address {pk}")
    return address


def street_for_slug(*, postcode: str, street_slug: str) -> str | None:
    """The street of ``postcode`` whose slug (layers.naming.slug) is ``street_slug``, or None.

    One index lookup in the street index (kept by the address table's triggers). Two names with one slug
    in one postcode ("Schloßstraße" and "Schlossstraße") would share a permalink: the first by name wins.
    """
    streets = StreetIndex.objects.filter(postcode=postcode, slug=street_slug).order_by("name")
    return streets.values_list("name", flat=True).first()


def address_by_permalink(*, postcode: str, street_slug: str, house: str, user: User = None) -> Address:
    """The address a permalink names (layers.naming); NotFoundError when none does."""
    parsed = house_parse(house)
    street = street_for_slug(postcode=postcode, street_slug=street_slug) if parsed else None
    if street is not None:
        candidates = addresses_public(user=user).select_related("district")
        for address in candidates.filter(postcode=postcode, street=street, house_number=parsed[0]):
            if house_slug(address.house_number, address.house_number_suffix) == house.lower():
                return address
    raise NotFoundError(f"no address {postcode} {street_slug} {house}")


def address_totals() -> dict[str, int]:
    """Number of addresses and of homes (dwellings) at them, in one query."""
    totals = addresses_public().aggregate(addresses=Count("id"), homes=Sum("homes"))
    return {"addresses": totals["addresses"], "homes": totals["homes"] or 0}


def district_count() -> int:
    """Number of Stadtbezirke and Stadtteile (the city itself not counted)."""
    return districts_public().exclude(level=District.Level.CITY).count()
