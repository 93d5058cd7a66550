"""Every read of schools and their connectivity goes through here (pages, OGC API, tiles, exports, dashboard).

A package of four modules: ``registry`` (the school register's own facts), ``connectivity`` (connection,
fibre at the address from rollout.selectors, benchmark class, the planners' flag), ``history`` (the state at
any past day, the time player's data) and ``measurements`` (daily and weekly figures). Rollout data is read
through rollout.selectors only, published data only. Callers import from ``schools.selectors``.
"""

from schools.selectors.connectivity import (
    connectivity_counts,
    school_connectivity,
    school_connectivity_features,
    school_connectivity_get,
    school_offers,
    schools_filtered,
    schools_in_district,
    schools_needing_attention,
)
from schools.selectors.history import school_connections_as_of, school_history, schools_timeline
from schools.selectors.measurements import (
    measurement_aggregate_features,
    measurement_weeks_features,
    school_measurement_days,
    school_measurement_deliveries,
    school_measurement_weeks,
)
from schools.selectors.registry import school_get, school_list, school_map_list, school_types, schools_public

__all__ = [
    "connectivity_counts",
    "measurement_aggregate_features",
    "measurement_weeks_features",
    "school_connections_as_of",
    "school_connectivity",
    "school_connectivity_features",
    "school_connectivity_get",
    "school_get",
    "school_history",
    "school_list",
    "school_map_list",
    "school_measurement_days",
    "school_measurement_deliveries",
    "school_measurement_weeks",
    "school_offers",
    "school_types",
    "schools_filtered",
    "schools_in_district",
    "schools_needing_attention",
    "schools_public",
    "schools_timeline",
]
