"""Every read of rollout data goes through here: this module alone decides what a user may see.

Pages, the OGC API, tiles and exports call these functions with the requesting
user. Unpublished plan versions are confidential: visible to the provider's
members and to city planners (and administrators) at once, to everybody else
only once published. The stored Availability table holds published data only,
so it is public; the planners' preview over unpublished versions is computed
on the fly (``availability_preview``) and never stored.

A package of four modules: ``access`` (who may see which rows; every other read starts there),
``pages`` (provider, submission and review pages), ``versions`` (the plan over time, the version page)
and ``features`` (what the OGC API and tiles serve). Callers import from ``rollout.selectors``.
"""

from rollout.selectors.access import (
    ADDRESS_LIST_RADIUS_M,
    addresses_labelled,
    availability_visible,
    ewkt_shape,
    field_mapping_of,
    geojson_feature,
    plan_areas_visible,
    plan_versions_current,
    plan_versions_visible,
    provider_workable_get,
    providers_published,
    providers_workable,
    submission_visible_get,
    submissions_visible,
    version_visible_get,
    with_newer_published,
)
from rollout.selectors.features import (
    BUILDING,
    FIBRE,
    PLANNING,
    address_status,
    address_status_counts,
    availability_features,
    district_statistics,
    plan_area_features,
    provider_address_counts,
    stage_rank,
)
from rollout.selectors.pages import (
    DIFF_MAP_LIMIT,
    provider_workspace,
    review_overview,
    submission_diff_shapes,
    submission_features,
)
from rollout.selectors.versions import (
    VERSION_MAP_LIMIT,
    availability_preview,
    plan_as_of,
    plan_as_of_day,
    provider_track_record,
    provider_version_get,
    version_area_shapes,
    version_areas,
    version_diff,
    version_neighbours,
)

__all__ = [
    "ADDRESS_LIST_RADIUS_M",
    "BUILDING",
    "DIFF_MAP_LIMIT",
    "FIBRE",
    "PLANNING",
    "VERSION_MAP_LIMIT",
    "address_status",
    "address_status_counts",
    "addresses_labelled",
    "availability_features",
    "availability_preview",
    "availability_visible",
    "district_statistics",
    "ewkt_shape",
    "field_mapping_of",
    "geojson_feature",
    "plan_area_features",
    "plan_areas_visible",
    "plan_as_of",
    "plan_as_of_day",
    "plan_versions_current",
    "plan_versions_visible",
    "provider_track_record",
    "provider_version_get",
    "provider_workable_get",
    "provider_address_counts",
    "provider_workspace",
    "stage_rank",
    "providers_published",
    "providers_workable",
    "review_overview",
    "submission_diff_shapes",
    "submission_features",
    "submission_visible_get",
    "submissions_visible",
    "version_area_shapes",
    "version_areas",
    "version_diff",
    "version_neighbours",
    "version_visible_get",
    "with_newer_published",
]
