"""What the provider, submission and review pages show (through rollout.selectors.access)."""

from __future__ import annotations

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import (
    Count,
)

from geoportal.errors import PermissionDeniedError
from layers.models import Address
from rollout.models import PlanArea, PlanSubmission, Provider
from rollout.roles import AnyUser, is_planner
from rollout.selectors.access import (
    ewkt_shape,
    field_mapping_of,
    geojson_feature,
    plan_versions_visible,
    read_for,
    submissions_visible,
    was_read_for,
    with_newer_published,
)
from rollout.selectors.versions import provider_track_record
from rollout.staging import diff_keys, features_staged

# A diff map draws at most this many areas per kind; the table lists them all.
DIFF_MAP_LIMIT = 2000


def _submission_check(submission: PlanSubmission, user: AnyUser) -> None:
    """PermissionDeniedError unless the user may read it; no query for a submission a selector read for the user."""
    if was_read_for(submission, user):
        return
    if not submissions_visible(user=user).filter(pk=submission.pk).exists():
        raise PermissionDeniedError("you may not read this submission")
    read_for(submission, user)


def submission_features(*, submission: PlanSubmission, user: AnyUser, keys: set[str] | None = None) -> list[dict]:
    """A submission's validated features (those its diff names, unless ``keys`` is given), as importers give them.

    Small files keep them as JSON on the submission; larger ones only in the staging table (rollout.staging).
    """
    _submission_check(submission, user)
    keys = diff_keys(submission.diff or {}) if keys is None else keys
    if submission.features:
        return [f for f in submission.features if f["key"] in keys]
    return features_staged(submission=submission, keys=keys)


def submission_diff_shapes(
    *, submission: PlanSubmission, user: AnyUser, features: list[dict] | None = None
) -> dict[str, list[dict]]:
    """The shapes behind a submission's diff, as GeoJSON features in EPSG:4326, by kind.

    ``added`` and ``changed`` come from the file's validated features (``features``: what
    ``submission_features`` gave for it, so a page reads them once; else read here); ``removed``
    from the version the file was compared with (the newest accepted before it
    arrived). Address-list areas are drawn as their addresses' points.
    """
    _submission_check(submission, user)
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
    if features is None:
        features = submission.features or features_staged(submission=submission, keys=added_keys | changed_keys)
    for feature in features:
        kind = "added" if feature["key"] in added_keys else "changed" if feature["key"] in changed_keys else None
        if kind is None or len(by_kind[kind]) >= DIFF_MAP_LIMIT:
            continue
        if feature.get("geom"):
            by_kind[kind].append(ewkt_shape(feature["geom"], key=feature["key"], stage=feature["stage"]))
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
                by_kind["removed"].append(geojson_feature(area.geojson, key=area.key, stage=area.stage))
        through = PlanArea.addresses.through.objects.filter(planarea__in=removed)
        for key, address_id in through.values_list("planarea__key", "address_id"):
            address_ids.setdefault(address_id, ("removed", key))
    points = Address.objects.filter(pk__in=list(address_ids)[: DIFF_MAP_LIMIT * 10])
    for address in points.annotate(geojson=AsGeoJSON(Transform("geom", 4326), precision=6)):
        kind, key = address_ids[address.pk]
        by_kind[kind].append(geojson_feature(address.geojson, key=key, stage=""))
    return by_kind


def provider_workspace(*, provider: Provider, user: AnyUser) -> dict:
    """What the provider page shows: every version (newest first), the submissions, the saved mapping."""
    versions = (
        plan_versions_visible(user=user)
        .filter(provider=provider)
        .select_related("submission", "accepted_by", "published_by")
        .annotate(area_count=Count("areas"))
        .order_by("-number")
    )
    versions = with_newer_published(versions)
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
    unpublished = with_newer_published(unpublished)
    providers = list(Provider.objects.order_by("name"))
    return {
        "pending": list(pending),
        "unpublished": list(unpublished),
        "records": [(p, provider_track_record(provider=p, user=user)) for p in providers],
    }
