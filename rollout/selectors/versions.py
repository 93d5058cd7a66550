"""Plan versions over time: the plan as of a date, track records, the version page."""

from __future__ import annotations

from datetime import date, datetime, time
from itertools import pairwise

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from geoportal.errors import NotFoundError, PermissionDeniedError
from layers.models import Address
from rollout.models import PlanArea, PlanVersion, Provider
from rollout.roles import AnyUser, can_read_unpublished
from rollout.selectors.access import (
    geojson_feature,
    plan_versions_visible,
    read_for,
    was_read_for,
    with_newer_published,
)


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
    return read_for(versions.order_by("-number").first(), user)


def provider_track_record(*, provider: Provider, user: AnyUser) -> dict:
    """Slipped dates and cancellations of a provider, computed from consecutive visible versions.

    Only stage and expected date count here, so one query reads them for all versions (no geometries
    and address lists: this runs on every provider and review page)."""
    versions = list(plan_versions_visible(user=user).filter(provider=provider).order_by("number"))
    record = {"versions": len(versions), "slipped": [], "cancelled": []}
    states: dict[int, dict[str, tuple]] = {version.pk: {} for version in versions}
    rows = PlanArea.objects.filter(version__in=versions).values_list("version_id", "key", "stage", "expected_date")
    for version_id, key, stage, expected in rows:
        states[version_id][key] = (stage, expected.isoformat() if expected else None)
    for before, version in pairwise(versions):
        old, new = states[before.pk], states[version.pk]
        for key in sorted(old.keys() & new.keys()):
            (old_stage, old_date), (new_stage, new_date) = old[key], new[key]
            if old_date != new_date and (new_date is None or (old_date is not None and new_date > old_date)):
                record["slipped"].append({"version": version.number, "key": key, "old": old_date, "new": new_date})
            if old_stage != new_stage and new_stage == "cancelled":
                record["cancelled"].append({"version": version.number, "key": key, "old": old_stage, "new": new_stage})
    return record


def availability_preview(*, user: AnyUser, provider: Provider) -> list[dict]:
    """Availability of one provider as its newest version (published or not) would give it. Not stored."""
    if not can_read_unpublished(user, provider):
        raise PermissionDeniedError("only the provider's members and city planners see unpublished plans")
    from rollout.availability import availability_rows

    return availability_rows(provider_id=provider.pk, include_unpublished=True)


# A version's map draws at most this many areas (and ten times as many listed addresses); its table pages through all.
VERSION_MAP_LIMIT = 2000


def provider_version_get(*, provider: Provider, number: int, user: AnyUser) -> PlanVersion:
    """Version ``number`` of the provider, if the user may read it (NotFoundError otherwise), with ``area_count``,
    ``newer_published`` and ``is_newest`` (no newer version the user may read)."""
    visible = plan_versions_visible(user=user).filter(provider=provider)
    newer = visible.filter(number__gt=OuterRef("number"))
    version = (
        with_newer_published(visible.filter(number=number))
        .select_related("submission", "accepted_by", "published_by")
        .annotate(area_count=Count("areas"), is_newest=~Exists(newer))
        .first()
    )
    if version is None:
        raise NotFoundError(f"no version {number} of {provider.slug!r}")
    return read_for(version, user)


def _version_check(version: PlanVersion, user: AnyUser) -> None:
    """NotFoundError unless the user may read ``version``; no query for a version a selector read for the user."""
    if was_read_for(version, user):
        return
    if not plan_versions_visible(user=user).filter(pk=version.pk).exists():
        raise NotFoundError(f"no plan version {version.pk}")
    read_for(version, user)


def version_neighbours(*, version: PlanVersion, user: AnyUser) -> dict[str, PlanVersion | None]:
    """The versions of the same provider just before and after ``version`` that the user may read."""
    _version_check(version, user)
    visible = plan_versions_visible(user=user).filter(provider_id=version.provider_id)
    return {
        "previous": read_for(visible.filter(number__lt=version.number).order_by("-number").first(), user),
        "next": read_for(visible.filter(number__gt=version.number).order_by("number").first(), user),
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
        features.append(geojson_feature(area.geojson, key=area.key, stage=area.stage))
    listed = Address.objects.filter(plan_areas__version=version).annotate(
        area_key=F("plan_areas__key"),
        area_stage=F("plan_areas__stage"),
        geojson=AsGeoJSON(Transform("geom", 4326), precision=6),
    )
    for address in listed.order_by("plan_areas__key", "pk")[: VERSION_MAP_LIMIT * 10]:
        features.append(geojson_feature(address.geojson, key=address.area_key, stage=address.area_stage))
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
