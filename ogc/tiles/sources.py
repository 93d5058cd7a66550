"""What each vector tileset is made of: a small table, one entry per collection id.

Like ogc.collections, a source names a selector ``f(*, user) -> QuerySet`` by
dotted path, so the rules of the app (published only, per provider) hold in
tiles too. The table is kept apart from the collection registry on purpose
(the rollout collections are added there separately); merging means moving
these fields onto ``Collection``.

Zoom ranges: below z13 an address tile covers most of the city (a z12 tile is
about 6 km wide here, ~20,000 addresses, a tile of several hundred kB), which
no map draws usefully; from z13 a tile holds at most a few thousand points.
Rollout areas are a few hundred polygons, readable from z10 (the whole city in
a few tiles); so are streets (about 1,300 in the city, lines simplified by the tile
grid) and water, the context of every map. Above z18 clients overzoom the z18 tiles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rollout.stages import Stage, Technology


@dataclass(frozen=True)
class Prop:
    """One attribute of the tile features: its name in the tile, the ORM path it comes from, its JSON type."""

    name: str
    path: str
    type: str = "string"
    description: str = ""


@dataclass(frozen=True)
class TileSource:
    id: str
    title: str
    selector: str
    # ORM path of the stored (EPSG:25832) geometry with a GiST index: "geom", "address__geom".
    geometry: str
    # 0 points, 1 lines, 2 polygons (OGC geometryDimension).
    dimension: int
    properties: tuple[Prop, ...]
    min_zoom: int
    max_zoom: int
    # Where ``geometry`` is an annotation that falls back to something unindexed (rollout areas:
    # ``Coalesce(geom, circles around listed addresses)``), the indexed field it prefers: tiles then
    # filter ``field && box OR (field IS NULL AND geometry && box)``, which the GiST index answers
    # (GiST also finds NULLs).
    indexed_geometry: str | None = None
    # Dotted path to ``f(*, user) -> str``: the part of the cache key that says what this
    # (logged-in) user may see. Users with the same key get the same tiles. None: one key per user.
    audience: str | None = None
    description: str = ""

    def queryset(self, *, user) -> QuerySet:
        return _import(self.selector)(user=user)

    def audience_key(self, *, user) -> str:
        """ "public" for anonymous users (all see the same); otherwise a key of what the user may see."""
        if user is None or not user.is_authenticated:
            return "public"
        if self.audience is None:
            return f"user-{user.pk}"
        return _import(self.audience)(user=user)


@cache
def _import(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(import_module(module), name)


def rollout_audience(*, user) -> str:
    """The set of plan versions the user sees: equal sets give equal rollout tiles (areas never change)."""
    from rollout.selectors import plan_versions_current

    ids = sorted(plan_versions_current(user=user).values_list("pk", flat=True))
    return "versions-" + hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]


# Fields shared by rollout areas and availability.
_PLAN_FIELDS = (
    Prop("stage", "stage", description=", ".join(Stage.values)),
    Prop("technology", "technology", description=", ".join(Technology.values)),
    Prop("max_down_mbits", "max_down_mbits", "integer", _("maximum download in Mbit/s")),
    Prop("max_up_mbits", "max_up_mbits", "integer", _("maximum upload in Mbit/s")),
    Prop("expected_date", "expected_date", description=_("expected date (first day of a quarter), ISO 8601")),
)

SOURCES: dict[str, TileSource] = {
    s.id: s
    for s in [
        TileSource(
            id="addresses",
            title=_("Addresses"),
            selector="layers.selectors.addresses_public",
            geometry="geom",
            dimension=0,
            properties=(
                Prop("id", "id", "integer"),
                Prop("street", "street"),
                Prop("house_number", "house_number", "integer"),
                Prop("house_number_suffix", "house_number_suffix"),
                Prop("postcode", "postcode"),
                Prop("district_id", "district_id", "integer"),
                Prop("homes", "homes", "integer", _("number of homes (dwellings)")),
            ),
            min_zoom=13,
            max_zoom=18,
        ),
        TileSource(
            id="rollout-areas",
            title=_("Rollout areas"),
            description=_("Areas of each provider's current plan; unpublished ones only for its members and planners."),
            # Address-list areas have no polygon of their own; ``shape`` draws them (see plan_area_features).
            selector="rollout.selectors.plan_area_features",
            geometry="shape",
            indexed_geometry="geom",
            dimension=2,
            properties=(
                Prop("id", "id", "integer"),
                Prop("provider", "version__provider__slug"),
                Prop("provider_name", "version__provider__name"),
                Prop("colour", "version__provider__colour", description=_("the provider's colour, #rrggbb")),
                Prop("version", "version__number", "integer"),
                Prop("published_at", "version__published_at", description=_("empty while the version is unpublished")),
                Prop("key", "key", description=_("the provider's identifier of the area")),
                Prop("name", "name"),
                Prop("address_list", "address_list", "boolean", _("drawn from the listed addresses (10 m circles)")),
                *_PLAN_FIELDS,
                Prop("funding", "funding"),
            ),
            min_zoom=10,
            max_zoom=18,
            audience="ogc.tiles.sources.rollout_audience",
        ),
        TileSource(
            id="address-status",
            title=_("Rollout status per address"),
            description=_(
                "One point per address with published availability: the best stage across providers, the number "
                "of providers with a live plan and the best maximum download. The residents' map."
            ),
            selector="rollout.selectors.address_status",
            geometry="geom",
            dimension=0,
            properties=(
                Prop("id", "id", "integer", _("the address's id (/adresse/nr/<id>/)")),
                Prop("stage", "stage", description=_("best stage across providers: ") + ", ".join(Stage.values)),
                Prop("providers", "provider_count", "integer", _("providers whose plan here is not cancelled")),
                Prop("max_down_mbits", "max_down_mbits", "integer", _("best maximum download in Mbit/s")),
                Prop("street", "street"),
                Prop("house_number", "house_number", "integer"),
                Prop("house_number_suffix", "house_number_suffix"),
                Prop("postcode", "postcode"),
            ),
            min_zoom=13,
            max_zoom=18,
        ),
        TileSource(
            id="streets",
            title=pgettext_lazy("tileset", "Streets"),
            selector="layers.selectors.streets_public",
            geometry="geom",
            dimension=1,
            properties=(Prop("id", "id", "integer"), Prop("name", "name"), Prop("postcode", "postcode")),
            min_zoom=10,
            max_zoom=18,
        ),
        TileSource(
            id="water",
            title=pgettext_lazy("tileset", "Water bodies"),
            description=_("Rivers, lakes and canals as the city loaded them: areas and centre lines."),
            selector="layers.selectors.water_public",
            geometry="geom",
            dimension=2,
            properties=(Prop("id", "id", "integer"), Prop("name", "name"), Prop("kind", "kind")),
            min_zoom=10,
            max_zoom=18,
        ),
        TileSource(
            id="availability",
            title=_("Availability per address"),
            description=_("What the published plans promise at each address, one point per address and provider."),
            selector="rollout.selectors.availability_visible",
            geometry="address__geom",
            dimension=0,
            properties=(
                Prop("id", "id", "integer"),
                Prop("address_id", "address_id", "integer"),
                Prop("provider", "provider__slug"),
                *_PLAN_FIELDS,
            ),
            min_zoom=13,
            max_zoom=18,
        ),
        TileSource(
            id="school-connectivity",
            title=_("School connectivity"),
            description=_("Every school with the status of its fibre connection and its rating against the benchmark."),
            selector="schools.selectors.school_connectivity_features",
            geometry="geom",
            dimension=0,
            properties=(
                Prop("id", "id", "integer"),
                Prop("school_number", "school_number"),
                Prop("name", "name"),
                Prop("school_type", "school_type"),
                Prop("pupils", "pupils", "integer"),
                Prop("status", "status", description="not_connected, planned, under_construction, connected"),
                Prop("contracted_down_mbits", "contracted_down_mbits", "integer", _("contracted download in Mbit/s")),
                Prop("measured_down_mbits", "measured_down_mbits", "number", _("median measured download in Mbit/s")),
                Prop("required_down_mbits", "required_down_mbits", "number", _("benchmark download in Mbit/s")),
                Prop("benchmark_class", "benchmark_class", description="good, moderate, insufficient, unknown"),
                Prop("needs_attention", "needs_attention", "boolean", _("neither gigabit nor a plan for it")),
            ),
            min_zoom=10,
            max_zoom=18,
        ),
        TileSource(
            id="school-measurements",
            title=_("School measurements per week"),
            description=_("The weekly figures of the schools' measurements (the collection also has daily ones)."),
            selector="schools.selectors.measurement_weeks_features",
            geometry="school__geom",
            dimension=0,
            properties=(
                Prop("id", "id", "integer"),
                Prop("school_number", "school_number"),
                Prop("period_start", "period_start", description=_("first day of the week, ISO 8601")),
                Prop("measurements", "measurements", "integer"),
                Prop("down_median_mbits", "down_median_mbits", "number", _("median download in Mbit/s")),
                Prop("up_median_mbits", "up_median_mbits", "number", _("median upload in Mbit/s")),
                Prop("latency_median_ms", "latency_median_ms", "number", _("median latency in ms")),
            ),
            min_zoom=10,
            max_zoom=18,
        ),
    ]
}


def source_get(collection_id: str) -> TileSource | None:
    return SOURCES.get(collection_id)
