"""Schools with their connectivity: connection record, fibre at the address, benchmark class, planners' flag.

One annotated queryset (``school_connectivity``) serves the list, the map, the OGC collection, the district
snippet and the planners' panel, so each figure has one definition and all schools are computed in one
statement.

Fibre at the school's address is derived from the rollout data, never typed in: for a school with a registered
address (schools.models.SchoolAddress) the public availability of that address (the same rows its address page
shows: plan areas containing it and plans listing it); for a school without one, the published plan areas
containing the school's point. Both come from rollout.selectors for the anonymous user, so every school page
shows published plans only, whoever reads it: the school pages are public pages.
"""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, JSONObject, NullIf

from layers.models import District
from rollout.models import Availability, PlanArea
from rollout.roles import AnyUser
from rollout.selectors import availability_visible, plan_areas_visible
from rollout.stages import STAGE_RANK, Stage, Technology
from schools.benchmark import benchmark_annotate
from schools.models import School
from schools.selectors.registry import school_list
from schools.vocabulary import GIGABIT_MBITS, ON_THE_WAY, BenchmarkClass, ConnectionStatus

# What the rollout data must promise for a school to count as "gigabit planned or available".
GIGABIT = Q(max_down_mbits__gte=GIGABIT_MBITS) | Q(technology__in=[Technology.FTTH, Technology.FTTB])
# What an offer at the school shows: fields of both Availability and PlanArea rows.
OFFER_FIELDS = ("stage", "technology", "max_down_mbits", "max_up_mbits", "expected_date", "expected_precision")


def _stage_rank() -> Case:
    return Case(
        *(When(stage=stage, then=Value(rank)) for stage, rank in STAGE_RANK.items()), output_field=IntegerField()
    )


def _best(queryset: QuerySet) -> QuerySet:
    """The most advanced live offer first (as availability ranks a provider's areas), then the fastest."""
    return (
        queryset.exclude(stage=Stage.CANCELLED)
        .annotate(rank=_stage_rank())
        .order_by("-rank", F("max_down_mbits").desc(nulls_last=True), "pk")
    )


def _at_address() -> QuerySet[Availability]:
    return availability_visible(user=None).filter(address_id=OuterRef("matched_address_id"))


def _in_area() -> QuerySet[PlanArea]:
    # Only areas with a polygon: address lists reach a school only through its registered address.
    return plan_areas_visible(user=None).filter(geom__isnull=False, geom__intersects=OuterRef("geom"))


def _offer(queryset: QuerySet, provider: str) -> Subquery:
    """The best live offer of ``queryset`` as one JSON object (one subquery instead of one per field)."""
    fields = {key: key for key in OFFER_FIELDS}
    best = _best(queryset).values(offer=JSONObject(**fields, provider=provider))[:1]
    return Subquery(best, output_field=JSONField())


def school_connectivity(*, user: AnyUser = None) -> QuerySet[School]:
    """Every school (offices not) with its connection, fibre at its address, benchmark and planners' flag.

    Annotations: ``status`` ('' where no record exists yet), ``planned_date``, ``connected_date``, ``technology``,
    ``contracted_down_mbits``/``_up_``, ``provider_label``, ``funding``; ``matched_address_id``/``address_match``;
    ``fibre`` (the best published offer there as a dict: stage, technology, max_down_mbits, max_up_mbits,
    expected_date, expected_precision, provider; None without one), ``fibre_source`` ("address", "area", ""),
    ``gigabit_offered`` (a published plan promises gigabit there); the benchmark's figures and
    ``benchmark_class`` (schools.benchmark); ``gigabit`` (on fibre, or a gigabit contract on another line) and
    ``needs_attention`` (neither gigabit nor a plan for it: the planners' list).
    """
    schools = (
        school_list()
        .select_related("district")
        .annotate(
            status=Coalesce(F("connection__status"), Value("")),
            planned_date=F("connection__planned_date"),
            connected_date=F("connection__connected_date"),
            technology=Coalesce(F("connection__technology"), Value("")),
            contracted_down_mbits=F("connection__contracted_down_mbits"),
            contracted_up_mbits=F("connection__contracted_up_mbits"),
            provider_label=Coalesce(F("connection__provider__name"), NullIf(F("connection__provider_name"), Value(""))),
            funding=Coalesce(F("connection__funding"), Value("")),
            connection_is_demo=Coalesce(F("connection__is_demo"), Value(False)),
            district_name=F("district__name"),
            # A LEFT JOIN on the view (once), not a subquery repeated by every expression that reads it.
            matched_address_id=F("registered__address_id"),
            address_match=Coalesce(F("registered__match"), Value("")),
        )
    )
    schools = schools.annotate(
        fibre=Case(
            When(matched_address_id__isnull=False, then=_offer(_at_address(), "provider__name")),
            default=_offer(_in_area(), "version__provider__name"),
            output_field=JSONField(),
        ),
        fibre_source=Case(
            When(matched_address_id__isnull=False, then=Value("address")),
            When(Exists(_in_area()), then=Value("area")),
            default=Value(""),
        ),
        gigabit_offered=Case(
            When(matched_address_id__isnull=False, then=Exists(_best(_at_address()).filter(GIGABIT))),
            default=Exists(_best(_in_area()).filter(GIGABIT)),
            output_field=BooleanField(),
        ),
    )
    schools = benchmark_annotate(schools, contracted="contracted_down_mbits")
    # On fibre (a gigabit-capable line, whatever today's contract) or contracted gigabit on another line.
    # Cases, not negated Qs: NOT over a NULL contract would be NULL (neither true nor false) in SQL.
    yes, no = Value(True), Value(False)
    schools = schools.annotate(
        gigabit=Case(
            When(status=ConnectionStatus.CONNECTED, then=yes),
            When(contracted_down_mbits__gte=GIGABIT_MBITS, then=yes),
            default=no,
            output_field=BooleanField(),
        )
    )
    return schools.annotate(
        needs_attention=Case(
            When(gigabit=True, then=no),
            When(status__in=ON_THE_WAY, then=no),
            When(gigabit_offered=True, then=no),
            default=yes,
            output_field=BooleanField(),
        )
    )


def school_connectivity_features(*, user: AnyUser = None) -> QuerySet[School]:
    """``school_connectivity`` for the OGC API, tiles and downloads (its fields: ogc.collections)."""
    return school_connectivity(user=user)


def school_connectivity_get(*, school: School, user: AnyUser = None) -> School:
    """The one school with the annotations of ``school_connectivity``."""
    return school_connectivity(user=user).get(pk=school.pk)


def schools_needing_attention(*, user: AnyUser = None) -> QuerySet[School]:
    """For the planners' dashboard: schools without gigabit and without a plan for it, the largest first.

    "Without gigabit": not connected to fibre and no contract of at least 1 Gbit/s. "Without a plan": no
    connection planned or under construction in the school's record, and no published rollout plan that
    promises gigabit at its address. Schools without a record count as without both.
    """
    return (
        school_connectivity(user=user).filter(needs_attention=True).order_by(F("pupils").desc(nulls_last=True), "name")
    )


def schools_in_district(*, district: District, user: AnyUser = None) -> QuerySet[School]:
    """Schools in ``district`` or the districts below it (a Stadtbezirk holds Stadtteile), by name."""
    inside = Q(district=district) | Q(district__parent=district) | Q(district__parent__parent=district)
    return school_connectivity(user=user).filter(inside).order_by("name")


def connectivity_counts(schools: QuerySet[School]) -> dict:
    """How many of ``schools`` are in each status and each benchmark class (one query)."""
    rows = schools.order_by().values_list("status", "benchmark_class", "needs_attention")
    counts = {
        "total": 0,
        "status": {value: 0 for value in ["", *ConnectionStatus.values]},
        "class": dict.fromkeys(BenchmarkClass.values, 0),
        "needs_attention": 0,
    }
    for status, klass, attention in rows:
        counts["total"] += 1
        counts["status"][status] += 1
        counts["class"][klass] += 1
        counts["needs_attention"] += bool(attention)
    return counts


STATUS_RANK = {"": 0, **{status: rank for rank, status in enumerate(ConnectionStatus.values, start=1)}}
CLASS_RANK = {
    BenchmarkClass.UNKNOWN: 0,
    BenchmarkClass.INSUFFICIENT: 1,
    BenchmarkClass.MODERATE: 2,
    BenchmarkClass.GOOD: 3,
}


def schools_filtered(
    *, school_type: str = "", district: District | None = None, status: str | None = None, rating: str = "",
    user: AnyUser = None,
) -> QuerySet[School]:  # fmt: skip
    """``school_connectivity`` narrowed by type, district (with the districts below it), status ('' = no record
    yet; None = any) and benchmark class, with ``status_rank`` and ``class_rank`` to sort by."""
    schools = school_connectivity(user=user) if district is None else schools_in_district(district=district, user=user)
    if school_type:
        schools = schools.filter(school_type=school_type)
    if status is not None:
        schools = schools.filter(status=status)
    if rating:
        schools = schools.filter(benchmark_class=rating)
    return schools.annotate(
        status_rank=Case(*(When(status=k, then=Value(v)) for k, v in STATUS_RANK.items()), output_field=IntegerField()),
        class_rank=Case(
            *(When(benchmark_class=k, then=Value(v)) for k, v in CLASS_RANK.items()), output_field=IntegerField()
        ),
    )


def school_offers(*, school: School, user: AnyUser = None) -> list[dict]:
    """Every provider's published offer at the school (its address's availability, else the plan areas at its
    point; rollout.selectors, published only), the most advanced first: dicts of OFFER_FIELDS and provider."""
    if getattr(school, "matched_address_id", None):
        rows = _best(availability_visible(user=None).filter(address_id=school.matched_address_id))
        provider = "provider__name"
    else:
        rows = _best(plan_areas_visible(user=None).filter(geom__isnull=False, geom__intersects=school.geom))
        provider = "version__provider__name"
    offers, seen = [], set()
    for row in rows.values(*OFFER_FIELDS, provider_label=F(provider)):
        # Areas: a provider's best area only, as availability keeps one row per provider.
        name = row.pop("provider_label")
        if name not in seen:
            seen.add(name)
            day = row["expected_date"]
            offers.append({**row, "provider": name, "expected_date": day.isoformat() if day else None})
    return offers
