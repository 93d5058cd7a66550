"""Who may see which rollout rows: the querysets every other read starts from."""

from __future__ import annotations

import json

from django.contrib.gis.geos import GEOSGeometry
from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from geoportal.errors import NotFoundError, PermissionDeniedError
from layers.models import Address
from rollout.models import Availability, FieldMapping, PlanArea, PlanSubmission, PlanVersion, Provider
from rollout.roles import AnyUser, can_read_unpublished, is_planner, member_provider_ids

# An address-list area is drawn as the union of circles of this radius (metres) around its addresses.
ADDRESS_LIST_RADIUS_M = 10

# A submission or plan version that a visibility selector handed out carries the user it was read for, so the
# page's later selectors given that row and that user need not ask the database again (one visibility read
# per request, not one per selector). Any other row, or the same row for another user, is checked as before.
_READ_FOR = "_rollout_read_for"
_NOT_READ = object()


def read_for(row, user: AnyUser):
    """Mark ``row`` (or None) as read through a visibility selector for ``user``; returns it."""
    if row is not None:
        setattr(row, _READ_FOR, user)
    return row


def was_read_for(row, user: AnyUser) -> bool:
    return getattr(row, _READ_FOR, _NOT_READ) is user


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


def providers_published(*, user: AnyUser = None) -> QuerySet[Provider]:
    """Providers with at least one published plan version, by name: those the public maps and pages name."""
    published = PlanVersion.objects.filter(provider=OuterRef("pk"), published_at__isnull=False)
    return Provider.objects.filter(Exists(published)).order_by("name")


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
    return read_for(submission, user)


def version_visible_get(*, pk: int, user: AnyUser) -> PlanVersion:
    """One plan version the user may read; NotFoundError for any other."""
    version = plan_versions_visible(user=user).filter(pk=pk).first()
    if version is None:
        raise NotFoundError(f"no plan version {pk}")
    return read_for(version, user)


def ewkt_shape(ewkt: str, *, key: str, stage: str) -> dict:
    geom = GEOSGeometry(ewkt)
    geom.transform(4326)
    return geojson_feature(geom.json, key=key, stage=stage)


def geojson_feature(geojson: str, *, key: str, stage: str) -> dict:
    return {"type": "Feature", "geometry": json.loads(geojson), "properties": {"key": key, "stage": stage}}


def with_newer_published(versions: QuerySet[PlanVersion]) -> QuerySet[PlanVersion]:
    """Annotate ``newer_published``: a later version of the same provider is public (this one can no longer be)."""
    newer = PlanVersion.objects.filter(
        provider=OuterRef("provider"), number__gt=OuterRef("number"), published_at__isnull=False
    )
    return versions.annotate(newer_published=Exists(newer))
