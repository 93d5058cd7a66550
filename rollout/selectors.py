"""Every read of rollout data goes through here: this module alone decides what a user may see.

Pages, the OGC API, tiles and exports call these functions with the requesting
user. Unpublished plan versions are confidential: visible to the provider's
members and to city planners (and administrators) at once, to everybody else
only once published. The stored Availability table holds published data only,
so it is public; the planners' preview over unpublished versions is computed
on the fly (``availability_preview``) and never stored.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time

from django.contrib.gis.db.models import GeometryField, MultiPolygonField, Union
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf, Round
from django.utils import timezone

from geoportal.errors import NotFoundError, PermissionDeniedError
from layers.models import SRID, Address, District
from rollout.models import Availability, FieldMapping, PlanArea, PlanSubmission, PlanVersion, Provider
from rollout.roles import AnyUser, can_read_unpublished, is_planner, member_provider_ids
from rollout.stages import Stage, Technology
from rollout.staging import diff_keys, features_staged

# An address-list area is drawn as the union of circles of this radius (metres) around its addresses.
ADDRESS_LIST_RADIUS_M = 10


def plan_versions_visible(*, user: AnyUser) -> QuerySet[PlanVersion]:
    """All plan versions (every provider, every number) the user may read."""
    versions = PlanVersion.objects.select_related("provider")
    if is_planner(user):
        return versions
    own = member_provider_ids(user)
    return versions.filter(Q(published_at__isnull=False) | Q(provider_id__in=own))


def plan_versions_current(*, user: AnyUser) -> QuerySet[PlanVersion]:
    """Per provider, the newest version the user may read (for the public: the newest published one)."""
    visible = plan_versions_visible(user=user)
    newest = visible.filter(provider=OuterRef("provider")).order_by("-number").values("pk")[:1]
    return visible.filter(pk=Subquery(newest))


def plan_areas_visible(*, user: AnyUser, current_only: bool = True) -> QuerySet[PlanArea]:
    """Plan areas the user may read; by default only those of each provider's current visible version."""
    versions = plan_versions_current(user=user) if current_only else plan_versions_visible(user=user)
    return PlanArea.objects.filter(version__in=versions.values("pk")).select_related("version__provider")


def availability_visible(*, user: AnyUser) -> QuerySet[Availability]:
    """Availability per address and provider. The table holds published data only, hence the same for everyone."""
    return Availability.objects.select_related("provider", "address")


def submissions_visible(*, user: AnyUser) -> QuerySet[PlanSubmission]:
    """Submissions are never public: own provider's members, planners and administrators only."""
    submissions = PlanSubmission.objects.select_related("provider")
    if is_planner(user):
        return submissions
    return submissions.filter(provider_id__in=member_provider_ids(user))


def plan_as_of(*, provider: Provider, when: datetime, user: AnyUser) -> PlanVersion | None:
    """The provider's plan as it stood at ``when``, as far as the user may know it.

    Readers of unpublished data see the newest version accepted by then; the
    public sees the newest version published by then.
    """
    versions = plan_versions_visible(user=user).filter(provider=provider)
    if can_read_unpublished(user, provider):
        versions = versions.filter(accepted_at__lte=when)
    else:
        versions = versions.filter(published_at__lte=when)
    return versions.order_by("-number").first()


def provider_track_record(*, provider: Provider, user: AnyUser) -> dict:
    """Slipped dates and cancellations of a provider, computed from consecutive visible versions."""
    from rollout.diff import plan_diff, snapshot_of_version

    versions = list(plan_versions_visible(user=user).filter(provider=provider).order_by("number"))
    record = {"versions": len(versions), "slipped": [], "cancelled": []}
    previous = None
    for version in versions:
        snapshot = snapshot_of_version(version)
        if previous is not None:
            diff = plan_diff(old=previous, new=snapshot)
            for change in diff["date_moved"]:
                if change["new"] is None or (change["old"] is not None and change["new"] > change["old"]):
                    record["slipped"].append({"version": version.number, **change})
            for change in diff["stage_changed"]:
                if change["new"] == "cancelled":
                    record["cancelled"].append({"version": version.number, **change})
        previous = snapshot
    return record


def availability_preview(*, user: AnyUser, provider: Provider) -> list[dict]:
    """Availability of one provider as its newest version (published or not) would give it. Not stored."""
    if not can_read_unpublished(user, provider):
        raise PermissionDeniedError("only the provider's members and city planners see unpublished plans")
    from rollout.availability import availability_rows

    return availability_rows(provider_id=provider.pk, include_unpublished=True)


def providers_workable(*, user: AnyUser) -> QuerySet[Provider]:
    """Providers whose unpublished plans the user works on: planners all, members their own, others none."""
    if is_planner(user):
        return Provider.objects.all()
    return Provider.objects.filter(pk__in=member_provider_ids(user))


def field_mapping_of(*, provider: Provider, user: AnyUser) -> dict:
    """The provider's saved column mapping (empty when none); only for those who work on its plans."""
    if not can_read_unpublished(user, provider):
        raise PermissionDeniedError("only the provider's members and city planners see its field mapping")
    saved = FieldMapping.objects.filter(provider=provider).first()
    return dict(saved.mapping) if saved else {}


# A diff map draws at most this many areas per kind; the table lists them all.
DIFF_MAP_LIMIT = 2000


def submission_features(*, submission: PlanSubmission, user: AnyUser, keys: set[str] | None = None) -> list[dict]:
    """A submission's validated features (those its diff names, unless ``keys`` is given), as importers give them.

    Small files keep them as JSON on the submission; larger ones only in the staging table (rollout.staging).
    """
    if not submissions_visible(user=user).filter(pk=submission.pk).exists():
        raise PermissionDeniedError("you may not read this submission")
    keys = diff_keys(submission.diff or {}) if keys is None else keys
    if submission.features:
        return [f for f in submission.features if f["key"] in keys]
    return features_staged(submission=submission, keys=keys)


def submission_diff_shapes(*, submission: PlanSubmission, user: AnyUser) -> dict[str, list[dict]]:
    """The shapes behind a submission's diff, as GeoJSON features in EPSG:4326, by kind.

    ``added`` and ``changed`` come from the file's validated features; ``removed``
    from the version the file was compared with (the newest accepted before it
    arrived). Address-list areas are drawn as their addresses' points.
    """
    visible = submissions_visible(user=user).filter(pk=submission.pk)
    if not visible.exists():
        raise PermissionDeniedError("you may not read this submission")
    diff = submission.diff or {}
    changed_keys = (
        {c["key"] for c in diff.get("date_moved", [])}
        | {c["key"] for c in diff.get("stage_changed", [])}
        | set(diff.get("geometry_changed", []))
        | set(diff.get("addresses_added", {}))
        | set(diff.get("addresses_removed", {}))
    )
    added_keys = set(diff.get("added", []))
    by_kind: dict[str, list[dict]] = {"added": [], "removed": [], "changed": []}
    address_ids: dict[int, tuple[str, str]] = {}
    for feature in submission.features or features_staged(submission=submission, keys=added_keys | changed_keys):
        kind = "added" if feature["key"] in added_keys else "changed" if feature["key"] in changed_keys else None
        if kind is None or len(by_kind[kind]) >= DIFF_MAP_LIMIT:
            continue
        if feature.get("geom"):
            by_kind[kind].append(_shape(feature["geom"], key=feature["key"], stage=feature["stage"]))
        for address_id in feature.get("addresses") or []:
            address_ids[address_id] = (kind, feature["key"])
    base = (
        plan_versions_visible(user=user)
        .filter(provider_id=submission.provider_id, accepted_at__lt=submission.received_at)
        .order_by("-number")
        .first()
    )
    if base is not None and diff.get("removed"):
        removed = PlanArea.objects.filter(version=base, key__in=diff["removed"][:DIFF_MAP_LIMIT])
        for area in removed.annotate(geojson=AsGeoJSON(Transform("geom", 4326), precision=6)):
            if area.geojson:
                by_kind["removed"].append(_feature(area.geojson, key=area.key, stage=area.stage))
        through = PlanArea.addresses.through.objects.filter(planarea__in=removed)
        for key, address_id in through.values_list("planarea__key", "address_id"):
            address_ids.setdefault(address_id, ("removed", key))
    points = Address.objects.filter(pk__in=list(address_ids)[: DIFF_MAP_LIMIT * 10])
    for address in points.annotate(geojson=AsGeoJSON(Transform("geom", 4326), precision=6)):
        kind, key = address_ids[address.pk]
        by_kind[kind].append(_feature(address.geojson, key=key, stage=""))
    return by_kind


def _shape(ewkt: str, *, key: str, stage: str) -> dict:
    geom = GEOSGeometry(ewkt)
    geom.transform(4326)
    return _feature(geom.json, key=key, stage=stage)


def _feature(geojson: str, *, key: str, stage: str) -> dict:
    return {"type": "Feature", "geometry": json.loads(geojson), "properties": {"key": key, "stage": stage}}


def addresses_labelled(*, ids: list[int], user: AnyUser) -> dict[int, str]:
    """ "Street number, postcode" of registered addresses (public register data), by id."""
    rows = Address.objects.filter(pk__in=ids).values_list(
        "pk", "street", "house_number", "house_number_suffix", "postcode"
    )
    return {pk: f"{street} {number}{suffix}, {postcode}" for pk, street, number, suffix, postcode in rows}


def provider_workable_get(*, slug: str, user: AnyUser) -> Provider:
    """The provider with that slug if the user works on its plans; NotFoundError otherwise (not 403: other
    providers' members must not learn what exists)."""
    provider = providers_workable(user=user).filter(slug=slug).first()
    if provider is None:
        raise NotFoundError(f"no provider {slug!r} for you")
    return provider


def submission_visible_get(*, pk: int, user: AnyUser) -> PlanSubmission:
    """One submission the user may read; NotFoundError for any other (whether or not it exists)."""
    submission = submissions_visible(user=user).select_related("received_by", "decided_by").filter(pk=pk).first()
    if submission is None:
        raise NotFoundError(f"no submission {pk}")
    return submission


def version_visible_get(*, pk: int, user: AnyUser) -> PlanVersion:
    """One plan version the user may read; NotFoundError for any other."""
    version = plan_versions_visible(user=user).filter(pk=pk).first()
    if version is None:
        raise NotFoundError(f"no plan version {pk}")
    return version


def _with_newer_published(versions: QuerySet[PlanVersion]) -> QuerySet[PlanVersion]:
    """Annotate ``newer_published``: a later version of the same provider is public (this one can no longer be)."""
    newer = PlanVersion.objects.filter(
        provider=OuterRef("provider"), number__gt=OuterRef("number"), published_at__isnull=False
    )
    return versions.annotate(newer_published=Exists(newer))


def provider_workspace(*, provider: Provider, user: AnyUser) -> dict:
    """What the provider page shows: every version (newest first), the submissions, the saved mapping."""
    versions = (
        plan_versions_visible(user=user)
        .filter(provider=provider)
        .select_related("submission", "accepted_by", "published_by")
        .annotate(area_count=Count("areas"))
        .order_by("-number")
    )
    versions = _with_newer_published(versions)
    submissions = submissions_visible(user=user).filter(provider=provider).select_related("received_by", "version")
    return {
        "versions": list(versions),
        "submissions": list(submissions.defer("features", "diff")),
        "mapping": field_mapping_of(provider=provider, user=user),
    }


def review_overview(*, user: AnyUser) -> dict:
    """The planners' review: pending submissions and unpublished versions of all providers, track records."""
    if not is_planner(user):
        raise PermissionDeniedError("only city planners review all providers")
    pending = (
        submissions_visible(user=user)
        .filter(state=PlanSubmission.State.RECEIVED)
        .select_related("received_by")
        .defer("features")
        .order_by("received_at")
    )
    unpublished = (
        plan_versions_visible(user=user)
        .filter(published_at__isnull=True)
        .select_related("submission", "accepted_by")
        .annotate(area_count=Count("areas"))
        .order_by("provider__name", "-number")
    )
    unpublished = _with_newer_published(unpublished)
    providers = list(Provider.objects.order_by("name"))
    return {
        "pending": list(pending),
        "unpublished": list(unpublished),
        "records": [(p, provider_track_record(provider=p, user=user)) for p in providers],
    }


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


# --- Plan history pages: one version, the plan as of a day, the track record ----------------------------------------

# A version's map draws at most this many areas (and ten times as many listed addresses); its table pages through all.
VERSION_MAP_LIMIT = 2000


def provider_version_get(*, provider: Provider, number: int, user: AnyUser) -> PlanVersion:
    """Version ``number`` of the provider, if the user may read it (NotFoundError otherwise), with ``area_count``,
    ``newer_published`` and ``is_newest`` (no newer version the user may read)."""
    visible = plan_versions_visible(user=user).filter(provider=provider)
    newer = visible.filter(number__gt=OuterRef("number"))
    version = (
        _with_newer_published(visible.filter(number=number))
        .select_related("submission", "accepted_by", "published_by")
        .annotate(area_count=Count("areas"), is_newest=~Exists(newer))
        .first()
    )
    if version is None:
        raise NotFoundError(f"no version {number} of {provider.slug!r}")
    return version


def _version_check(version: PlanVersion, user: AnyUser) -> None:
    if not plan_versions_visible(user=user).filter(pk=version.pk).exists():
        raise NotFoundError(f"no plan version {version.pk}")


def version_neighbours(*, version: PlanVersion, user: AnyUser) -> dict[str, PlanVersion | None]:
    """The versions of the same provider just before and after ``version`` that the user may read."""
    _version_check(version, user)
    visible = plan_versions_visible(user=user).filter(provider_id=version.provider_id)
    return {
        "previous": visible.filter(number__lt=version.number).order_by("-number").first(),
        "next": visible.filter(number__gt=version.number).order_by("number").first(),
    }


def version_areas(*, version: PlanVersion, user: AnyUser) -> QuerySet[PlanArea]:
    """The areas of one version the user may read, by key, with ``address_count`` (0 for polygon areas)."""
    _version_check(version, user)
    # A correlated count, not a join + GROUP BY: a page of 200 areas counts its own addresses only.
    listed = (
        PlanArea.addresses.through.objects.filter(planarea=OuterRef("pk"))
        .order_by()
        .values("planarea")
        .annotate(n=Count("pk"))
        .values("n")
    )
    count = Coalesce(Subquery(listed, output_field=IntegerField()), 0)
    return PlanArea.objects.filter(version=version).annotate(address_count=count).order_by("key")


def version_diff(*, version: PlanVersion, previous: PlanVersion | None, user: AnyUser) -> dict:
    """What changed from ``previous`` (None: nothing before) to ``version``, as ``rollout.diff.plan_diff`` gives it,
    and the added areas' attributes as ``features`` (the shape presentation.diff_table reads)."""
    from rollout.diff import plan_diff, snapshot_of_version

    _version_check(version, user)
    if previous is not None:
        _version_check(previous, user)
    diff = plan_diff(old=snapshot_of_version(previous), new=snapshot_of_version(version))
    added = PlanArea.objects.filter(version=version, key__in=diff["added"])
    listed: dict[int, list[int]] = {}
    through = PlanArea.addresses.through.objects.filter(planarea__in=added)
    for area_id, address_id in through.values_list("planarea_id", "address_id"):
        listed.setdefault(area_id, []).append(address_id)
    features = [
        {
            "key": area.key,
            "name": area.name,
            "stage": area.stage,
            "technology": area.technology,
            "expected_date": area.expected_date.isoformat() if area.expected_date else None,
            "expected_precision": area.expected_precision or None,
            "addresses": listed.get(area.pk, []),
        }
        for area in added
    ]
    return {"diff": diff, "features": features}


def version_area_shapes(*, version: PlanVersion, user: AnyUser) -> dict:
    """The areas of one version as GeoJSON features in EPSG:4326 (``features``); address-list areas as their
    addresses' points. ``truncated`` says whether the map limit (VERSION_MAP_LIMIT) cut some off."""
    _version_check(version, user)
    areas = PlanArea.objects.filter(version=version).order_by("key")
    features: list[dict] = []
    drawn = areas.filter(geom__isnull=False).annotate(geojson=AsGeoJSON(Transform("geom", 4326), precision=6))
    for area in drawn[:VERSION_MAP_LIMIT]:
        features.append(_feature(area.geojson, key=area.key, stage=area.stage))
    listed = Address.objects.filter(plan_areas__version=version).annotate(
        area_key=F("plan_areas__key"),
        area_stage=F("plan_areas__stage"),
        geojson=AsGeoJSON(Transform("geom", 4326), precision=6),
    )
    for address in listed.order_by("plan_areas__key", "pk")[: VERSION_MAP_LIMIT * 10]:
        features.append(_feature(address.geojson, key=address.area_key, stage=address.area_stage))
    truncated = areas.filter(geom__isnull=False).count() > VERSION_MAP_LIMIT or (
        listed.count() > VERSION_MAP_LIMIT * 10
    )
    return {"features": features, "truncated": truncated}


def plan_as_of_day(*, provider: Provider, day: date, user: AnyUser) -> dict:
    """The provider's plan at the end of ``day`` (local time) as far as the user may know it: the ``version``
    current then (with ``area_count``, or None) and the version the public saw then (``public_version``)."""
    when = timezone.make_aware(datetime.combine(day, time.max))
    version = plan_as_of(provider=provider, when=when, user=user)
    if version is not None:
        version = provider_version_get(provider=provider, number=version.number, user=user)
    public = plan_as_of(provider=provider, when=when, user=None)
    return {"day": day, "version": version, "public_version": public}
