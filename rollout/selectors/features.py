"""Rollout data as the OGC API and tiles serve it: plan areas, availability, address status, district statistics."""

from __future__ import annotations

from django.contrib.gis.db.models import GeometryField, MultiPolygonField, Union
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf, Round

from layers.models import SRID, Address, District
from rollout.models import Availability, PlanArea
from rollout.roles import AnyUser
from rollout.selectors.access import ADDRESS_LIST_RADIUS_M, availability_visible, plan_areas_visible
from rollout.stages import STAGE_RANK, Stage, Technology


def _address_list_shape() -> Subquery:
    """The union of small circles around an address-list area's addresses: exactly those, nothing between."""
    circles = Func(
        "geom", Value(ADDRESS_LIST_RADIUS_M), Value(4), function="ST_Buffer", output_field=GeometryField(srid=SRID)
    )
    union = Func(Union(circles), function="ST_Multi", output_field=MultiPolygonField(srid=SRID))
    listed = Address.objects.filter(plan_areas=OuterRef("pk")).order_by().values("plan_areas")
    return Subquery(listed.annotate(shape=union).values("shape")[:1], output_field=MultiPolygonField(srid=SRID))


def plan_area_features(*, user: AnyUser) -> QuerySet[PlanArea]:
    """``plan_areas_visible`` (current versions) with the attributes the OGC API and exports show.

    ``shape`` is the area's polygon, or for address-list areas the union of 10 m circles around
    their addresses (so every plan area has a MultiPolygon; ``address_list`` tells which is which).
    """
    return plan_areas_visible(user=user).annotate(
        provider_slug=F("version__provider__slug"),
        provider_name=F("version__provider__name"),
        version_number=F("version__number"),
        published=ExpressionWrapper(Q(version__published_at__isnull=False), output_field=BooleanField()),
        address_list=ExpressionWrapper(Q(geom__isnull=True), output_field=BooleanField()),
        shape=Coalesce("geom", _address_list_shape(), output_field=MultiPolygonField(srid=SRID)),
    )


def availability_features(*, user: AnyUser) -> QuerySet[Availability]:
    """``availability_visible`` with the address's and provider's public attributes side by side."""
    return availability_visible(user=user).annotate(
        street=F("address__street"),
        house_number=F("address__house_number"),
        house_number_suffix=F("address__house_number_suffix"),
        postcode=F("address__postcode"),
        provider_slug=F("provider__slug"),
        provider_name=F("provider__name"),
    )


def stage_rank() -> Case:
    """rollout.stages.STAGE_RANK of a row's ``stage`` in SQL (cancelled lowest, bookable highest)."""
    return Case(
        *(When(stage=stage, then=Value(rank)) for stage, rank in STAGE_RANK.items()), output_field=IntegerField()
    )


def address_status(*, user: AnyUser = None) -> QuerySet[Address]:
    """One row per address with published availability: its best stage across providers, how many providers
    plan, build or offer there, and the best maximum download any of them promises. The residents' map.

    ``stage`` is the most advanced stage (STAGE_RANK; a cancelled plan only where no live one is left; between
    equal stages the faster offer), ``provider_count`` counts providers whose plan is not cancelled, and
    ``max_down_mbits`` is the highest download of those (None where none says). Published data only: the
    rows come from the public Availability table (``availability_visible``), whoever asks. Correlated
    subqueries on the (address, provider) index, so a tile of this set costs about what an availability
    tile costs (bench/README.md), with one point per address instead of one per provider.
    """
    rows = availability_visible(user=user).filter(address=OuterRef("pk")).order_by()
    live = rows.exclude(stage=Stage.CANCELLED)
    best = rows.annotate(rank=stage_rank()).order_by("-rank", F("max_down_mbits").desc(nulls_last=True), "provider_id")
    return Address.objects.filter(Exists(rows)).annotate(
        stage=Subquery(best.values("stage")[:1]),
        provider_count=Coalesce(Subquery(live.annotate(n=_count("pk")).values("n")), 0),
        max_down_mbits=Subquery(live.annotate(n=_sum("max_down_mbits", "MAX")).values("n")),
    )


def address_status_counts(*, user: AnyUser = None) -> dict[str, int]:
    """How many addresses have each best stage (as ``address_status`` gives it), in one statement: the numbers
    behind the map's legend. Stages no address has are left out."""
    ranks = {rank: stage for stage, rank in STAGE_RANK.items()}
    best = availability_visible(user=user).order_by().values("address_id").annotate(best=Max(stage_rank()))
    sql, params = best.values("best").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT best, count(*) FROM ({sql}) AS per_address GROUP BY best", params)
        return {ranks[rank]: count for rank, count in cursor.fetchall()}


def provider_address_counts(*, user: AnyUser = None) -> dict[int, int]:
    """Per provider id, the addresses where its published plan is live (not cancelled): the legend of its layer."""
    rows = availability_visible(user=user).exclude(stage=Stage.CANCELLED).order_by().values("provider_id")
    return dict(rows.annotate(n=Count("address_id")).values_list("provider_id", "n"))


def _count(expression: str) -> Func:
    # As _sum: the subquery's WHERE already picks one address's rows.
    return Func(F(expression), function="COUNT", output_field=IntegerField())


# What the district statistics count (published data only: they read the public Availability table).
FIBRE = {"technology__in": [Technology.FTTH, Technology.FTTB], "stage__in": [Stage.BOOKABLE, Stage.HOMES_CONNECTED]}
BUILDING = {"stage": Stage.UNDER_CONSTRUCTION}
PLANNING = {"stage__in": [Stage.PLANNED, Stage.PRE_MARKETING]}


def _sum(expression: str, function: str = "SUM") -> Func:
    # An aggregate the ORM does not group by: the subquery's WHERE already picks one district's rows.
    return Func(F(expression), function=function, output_field=IntegerField())


def district_statistics(*, user: AnyUser = None) -> QuerySet[District]:
    """Per Stadtbezirk and Stadtteil: addresses, homes, homes by stage of fibre, share, providers. One statement.

    An address belongs to a district when its own district is that one or lies below it (two levels).
    Homes are counted once per category even where several providers build; categories may overlap
    (one provider's plan, another's construction). Only published plans count (Availability is public).
    """
    # The district and those below it. Used inside the per-district subqueries, so two levels up
    # is the outer District row; PostgreSQL turns it into a small semi-join per district.
    district = OuterRef(OuterRef("pk"))
    member = District.objects.filter(Q(pk=district) | Q(parent=district) | Q(parent__parent=district)).values("pk")
    addresses = Address.objects.filter(district__in=member).order_by()

    def homes(**condition) -> Coalesce:
        chosen = addresses
        if condition:
            chosen = chosen.filter(Exists(Availability.objects.filter(address=OuterRef("pk"), **condition)))
        return Coalesce(Subquery(chosen.annotate(n=_sum("homes")).values("n")[:1]), 0)

    count = Subquery(addresses.annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField())).values("n"))
    providers = Subquery(
        Availability.objects.filter(address__district__in=member)
        .exclude(stage=Stage.CANCELLED)
        .order_by()
        .annotate(
            n=Func(F("provider_id"), function="COUNT", template="COUNT(DISTINCT %(expressions)s)",
                   output_field=IntegerField())
        )
        .values("n")
    )  # fmt: skip
    return (
        District.objects.filter(level__in=[District.Level.BOROUGH, District.Level.QUARTER])
        .annotate(
            address_count=count,
            homes=homes(),
            homes_fibre=homes(**FIBRE),
            homes_under_construction=homes(**BUILDING),
            homes_planned=homes(**PLANNING),
            provider_count=Coalesce(providers, 0),
        )
        .annotate(
            fibre_share_percent=Cast(
                Round(100.0 * F("homes_fibre") / NullIf(F("homes"), 0), 1), output_field=FloatField()
            )
        )
    )
