"""Rows into areas: address rows grouped by key, polygon rows checked for duplicate keys and shapes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rollout.features import PlanFeatures
from rollout.readers import Report

ATTRIBUTES = (
    "stage",
    "technology",
    "funding",
    "target_group",
    "subsidy_programme",
    "cancel_reason",
    "max_down_mbits",
    "max_up_mbits",
    "quota_percent",
    "connection_fee_eur",
    "expected_date",
    "quota_deadline_date",
)


def group_address_rows(features: PlanFeatures, *, report: Report) -> PlanFeatures:
    """Rows that name addresses form one area per key; polygon rows must have unique keys and shapes.

    Only rows that can interact (address-list rows, repeated keys, repeated geometries) go through the
    row-by-row grouping; the others pass as they are.
    """
    if not len(features):
        return features
    involved = np.zeros(len(features), dtype=bool)
    if len(set(features.keys)) < len(features):
        involved |= pd.Series(features.keys, dtype=object).duplicated(keep=False).to_numpy()
    if len(set(features.geoms)) < len(features):  # (several None count once: address lists are added below)
        geoms = pd.Series(features.geoms, dtype=object)
        involved |= (geoms.duplicated(keep=False) & geoms.notna()).to_numpy()
    if features.addresses.count(None) < len(features):
        involved |= np.fromiter((a is not None for a in features.addresses), dtype=bool, count=len(features))
    if not involved.any():
        return features
    grouped = PlanFeatures.from_dicts(group_rows(features.take(np.flatnonzero(involved)).dicts(), report=report))
    return PlanFeatures.concat([features.take(np.flatnonzero(~involved)), grouped]).by_row()


def group_rows(features: list[dict], *, report: Report) -> list[dict]:
    """Rows that name addresses form one area per key; polygon rows must have unique keys and shapes."""
    grouped: dict[str, dict] = {}
    first_with_geom: dict[str, dict] = {}  # geometry → the first kept feature with it
    shapes: dict[tuple, int] = {}  # (geometry, attributes) → row, only for geometries that occur more than once
    for feature in features:
        key = feature["key"]
        if "addresses" in feature and key in grouped and "addresses" in grouped[key]:
            first = grouped[key]
            if any(first.get(a) != feature.get(a) for a in ATTRIBUTES):
                report.error("attributes differ from the area's first row", row=feature["row"], field="key", value=key)
            first["addresses"] = sorted(set(first["addresses"]) | set(feature["addresses"]))
            continue
        if key in grouped:
            report.error("duplicate feature key", row=feature["row"], field="key", value=key, expected="unique keys")
            continue
        geom = feature.get("geom")
        if geom:
            # Attributes are compared only among rows with the same geometry (hashing them for every row
            # of a large plan cost more than the rest of the grouping).
            first = first_with_geom.setdefault(geom, feature)
            if first is not feature:
                shapes.setdefault(_shape(first), first["row"])
                shape = _shape(feature)
                if shape in shapes:
                    report.error(
                        "duplicate feature", row=feature["row"], field="geometry", value=f"same as row {shapes[shape]}"
                    )
                    continue
                shapes[shape] = feature["row"]
        grouped[key] = feature
    return list(grouped.values())


def _shape(feature: dict) -> tuple:
    return (feature["geom"], *(feature.get(a) for a in ATTRIBUTES))
