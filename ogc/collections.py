"""The registry of OGC API collections: one small declaration per collection.

A collection names a selector (dotted path to a function ``f(*, user) -> QuerySet``),
the fields it exposes (statically: pygeoapi builds the provider on every request,
so nothing here may touch the database) and the catalogue entry (``Layer.slug``)
that supplies title, abstract, keywords, licence and extents.
Rollout collections are declared the same way, over selectors that filter by the
request's user (rollout.selectors): confidential plan versions never reach a
collection whose selector does not show them to that user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Any

# JSON Schema snippets for the field declarations.
STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
NUMBER = {"type": "number"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}


@dataclass(frozen=True)
class Collection:
    """One feature collection over a selector."""

    id: str
    selector: str
    layer: str
    fields: dict[str, dict[str, Any]]
    title: str = ""
    description: str = ""
    geometry_type: str = "Geometry"
    # Fields usable in property filters, sortby and CQL2; all exposed fields by default.
    queryables: tuple[str, ...] | None = None
    # Optional date/datetime field for ``datetime``; without one the layer's validity period applies.
    time_field: str | None = None
    # Count numberMatched on full pages; switch off for very large layers.
    count: bool = True
    limits: dict[str, int] = field(default_factory=lambda: {"default_items": 100, "max_items": 1000})
    # The geometry: a field or an annotation of the selector's QuerySet, or a path such as "address__geom".
    geometry: str = "geom"
    # Provider members' programs add, replace and delete items with a provider token (Part 4, ogc.transactions).
    editable: bool = False

    @property
    def queryable_fields(self) -> dict[str, dict[str, Any]]:
        names = self.queryables if self.queryables is not None else tuple(self.fields)
        return {name: self.fields[name] for name in names}

    def queryset(self, *, user=None):
        """The selector's QuerySet for ``user``."""
        return _import(self.selector)(user=user)


@cache
def _import(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(import_module(module), name)


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in [
        Collection(
            id="districts",
            selector="layers.selectors.districts_public",
            layer="stadtbezirke",
            title="Districts",
            geometry_type="MultiPolygon",
            fields={"code": STRING, "name": STRING, "level": STRING, "parent_id": INTEGER},
        ),
        Collection(
            id="addresses",
            selector="layers.selectors.addresses_public",
            layer="adressen",
            title="Addresses",
            geometry_type="Point",
            fields={
                "street": STRING,
                "house_number": INTEGER,
                "house_number_suffix": STRING,
                "postcode": STRING,
                "city": STRING,
                "district_id": INTEGER,
                "homes": INTEGER,
            },
        ),
        Collection(
            id="facilities",
            selector="layers.selectors.facilities_public",
            layer="einrichtungen",
            title="Facilities",
            geometry_type="Point",
            fields={
                "name": STRING,
                "category": STRING,
                "address": STRING,
                "opening_hours": STRING,
                "url": STRING,
            },
        ),
        Collection(
            id="schools",
            selector="schools.selectors.schools_public",
            layer="schulen",
            title="Schools",
            geometry_type="Point",
            fields={
                "school_number": STRING,
                "name": STRING,
                "school_type": STRING,
                "street": STRING,
                "postcode": STRING,
                "city": STRING,
                "district_id": INTEGER,
                "pupils": INTEGER,
                "social_index": INTEGER,
                "startchancen": BOOLEAN,
                "is_school": BOOLEAN,
                "website": STRING,
            },
        ),
        Collection(
            id="streets",
            selector="layers.selectors.streets_public",
            layer="strassen",
            title="Streets",
            geometry_type="MultiLineString",
            fields={"name": STRING, "postcode": STRING, "district_id": INTEGER},
        ),
        Collection(
            id="water",
            selector="layers.selectors.water_public",
            layer="gewaesser",
            title="Water bodies",
            # MultiPolygons (lakes, river surfaces) and MultiLineStrings (centre lines) side by side.
            geometry_type="Geometry",
            fields={"name": STRING, "kind": STRING},
        ),
        Collection(
            id="school-connectivity",
            selector="schools.selectors.school_connectivity_features",
            layer="schulanbindung",
            title="School connectivity",
            geometry_type="Point",
            fields={
                "school_number": STRING,
                "name": STRING,
                "school_type": STRING,
                "district_id": INTEGER,
                "district_name": STRING,
                "pupils": INTEGER,
                "status": STRING,
                "planned_date": DATE,
                "connected_date": DATE,
                "technology": STRING,
                "contracted_down_mbits": INTEGER,
                "contracted_up_mbits": INTEGER,
                "provider_label": STRING,
                "funding": STRING,
                "required_down_mbits": NUMBER,
                "measured_down_mbits": NUMBER,
                "measured_up_mbits": NUMBER,
                "measurement_count": INTEGER,
                "benchmark_class": STRING,
                "benchmark_basis": STRING,
                "fibre_source": STRING,
                "gigabit_offered": BOOLEAN,
                "gigabit": BOOLEAN,
                "needs_attention": BOOLEAN,
                "connection_is_demo": BOOLEAN,
            },
        ),
        Collection(
            id="school-measurements",
            selector="schools.selectors.measurement_aggregate_features",
            layer="schul-messungen",
            title="School measurements per day and week",
            geometry_type="Point",
            geometry="school__geom",
            time_field="period_start",
            fields={
                "school_id": INTEGER,
                "school_number": STRING,
                "school_name": STRING,
                "period": STRING,
                "period_start": DATE,
                "measurements": INTEGER,
                "down_median_mbits": NUMBER,
                "down_p10_mbits": NUMBER,
                "down_max_mbits": NUMBER,
                "up_median_mbits": NUMBER,
                "latency_median_ms": NUMBER,
                "jitter_median_ms": NUMBER,
                "packet_loss_mean_percent": NUMBER,
                "is_demo": BOOLEAN,
            },
        ),
        Collection(
            id="rollout-areas",
            editable=True,
            selector="rollout.selectors.plan_area_features",
            layer="ausbaugebiete",
            title="Rollout areas",
            geometry_type="MultiPolygon",
            geometry="shape",
            time_field="expected_date",
            fields={
                "key": STRING,
                "name": STRING,
                "provider_slug": STRING,
                "provider_name": STRING,
                "version_number": INTEGER,
                "published": BOOLEAN,
                "address_list": BOOLEAN,
                "stage": STRING,
                "technology": STRING,
                "max_down_mbits": INTEGER,
                "max_up_mbits": INTEGER,
                "expected_date": DATE,
                "expected_precision": STRING,
                "quota_percent": INTEGER,
                "quota_deadline": DATE,
                "cancel_reason": STRING,
                "funding": STRING,
                "subsidy_programme": STRING,
                "target_group": STRING,
            },
        ),
        Collection(
            id="availability",
            selector="rollout.selectors.availability_features",
            layer="verfuegbarkeit",
            title="Availability per address",
            geometry_type="Point",
            geometry="address__geom",
            time_field="expected_date",
            fields={
                "address_id": INTEGER,
                "street": STRING,
                "house_number": INTEGER,
                "house_number_suffix": STRING,
                "postcode": STRING,
                "provider_slug": STRING,
                "provider_name": STRING,
                "stage": STRING,
                "technology": STRING,
                "max_down_mbits": INTEGER,
                "max_up_mbits": INTEGER,
                "expected_date": DATE,
                "expected_precision": STRING,
                "last_confirmed": DATETIME,
            },
        ),
        Collection(
            id="address-status",
            selector="rollout.selectors.address_status",
            layer="ausbaustand",
            title="Rollout status per address",
            geometry_type="Point",
            fields={
                "street": STRING,
                "house_number": INTEGER,
                "house_number_suffix": STRING,
                "postcode": STRING,
                "district_id": INTEGER,
                "stage": STRING,
                "provider_count": INTEGER,
                "max_down_mbits": INTEGER,
            },
        ),
        Collection(
            id="district-statistics",
            selector="rollout.selectors.district_statistics",
            layer="ausbau-statistik",
            title="District statistics",
            geometry_type="MultiPolygon",
            fields={
                "code": STRING,
                "name": STRING,
                "level": STRING,
                "address_count": INTEGER,
                "homes": INTEGER,
                "homes_fibre": INTEGER,
                "homes_under_construction": INTEGER,
                "homes_planned": INTEGER,
                "fibre_share_percent": NUMBER,
                "provider_count": INTEGER,
            },
        ),
    ]
}


def collection_get(collection_id: str) -> Collection | None:
    return COLLECTIONS.get(collection_id)
