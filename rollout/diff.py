"""Compare two states of a provider's plan: areas and addresses added or removed, dates moved, stages changed.

A snapshot is a plain dict ``{key: {"stage", "expected", "geom", "addresses"}}``
so a parsed file and a stored version compare the same way.
"""

from __future__ import annotations

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import Func, TextField

from rollout.models import PlanArea, PlanSubmission, PlanVersion
from rollout.staging import staged_relation

# Geometries closer than this (metres, EPSG:25832) count as unchanged: exports round differently.
GEOMETRY_TOLERANCE_M = 0.01


def snapshot_of_version(version: PlanVersion | None) -> dict[str, dict]:
    """The comparable state of a stored version (two queries, however many areas)."""
    if version is None:
        return {}
    snapshot = {}
    # EWKT written by PostGIS: no GEOS object per area in Python (two versions of 10,000 areas: 1.5 s less).
    areas = PlanArea.objects.filter(version=version).annotate(
        ewkt=Func("geom", function="ST_AsEWKT", output_field=TextField())
    )
    for key, stage, expected, ewkt in areas.values_list("key", "stage", "expected_date", "ewkt"):
        snapshot[key] = {
            "stage": stage,
            "expected": expected.isoformat() if expected else None,
            "geom": ewkt,
            "addresses": [],
        }
    through = PlanArea.addresses.through.objects.filter(planarea__version=version)
    for key, address_id in through.values_list("planarea__key", "address_id").order_by("address_id"):
        snapshot[key]["addresses"].append(address_id)
    return snapshot


def snapshot_of_features(features: list[dict]) -> dict[str, dict]:
    """The comparable state of validated features (see rollout.importers)."""
    return {
        f["key"]: {
            "stage": f["stage"],
            "expected": f.get("expected_date"),
            "geom": f.get("geom"),
            "addresses": sorted(f.get("addresses") or []),
        }
        for f in features
    }


def _geometry_changed(old: str | None, new: str | None) -> bool:
    if old is None or new is None:
        return old != new
    if old == new:  # the same text: unchanged without parsing (most areas of consecutive versions)
        return False
    return not GEOSGeometry(old).equals_exact(GEOSGeometry(new), GEOMETRY_TOLERANCE_M)


def plan_diff(*, old: dict[str, dict], new: dict[str, dict]) -> dict:
    """What changed from ``old`` to ``new``; every list is sorted by key so reports are stable."""
    diff = {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "date_moved": [],
        "stage_changed": [],
        "geometry_changed": [],
        "addresses_added": {},
        "addresses_removed": {},
    }
    for key in sorted(old.keys() & new.keys()):
        before, after = old[key], new[key]
        if before["expected"] != after["expected"]:
            diff["date_moved"].append({"key": key, "old": before["expected"], "new": after["expected"]})
        if before["stage"] != after["stage"]:
            diff["stage_changed"].append({"key": key, "old": before["stage"], "new": after["stage"]})
        if _geometry_changed(before["geom"], after["geom"]):
            diff["geometry_changed"].append(key)
        added = sorted(set(after["addresses"]) - set(before["addresses"]))
        removed = sorted(set(before["addresses"]) - set(after["addresses"]))
        if added:
            diff["addresses_added"][key] = added
        if removed:
            diff["addresses_removed"][key] = removed
    return diff


def staged_diff(*, submission: PlanSubmission, version: PlanVersion | None, keys: list[str]) -> tuple[dict, list[dict]]:
    """``plan_diff`` between ``version`` and a submission's staged rows, computed in SQL where they are staged.

    ``keys`` are the staged keys (all of them ``added`` when there is no version). Returns the diff and the
    stage changes as ``{"row", "key", "old", "new"}`` (for the transition check). Only areas that differ
    come back from the database; geometries that are not byte-identical are compared with the same
    tolerance as ``plan_diff``.
    """
    diff = {
        "added": [],
        "removed": [],
        "date_moved": [],
        "stage_changed": [],
        "geometry_changed": [],
        "addresses_added": {},
        "addresses_removed": {},
    }
    if version is None:
        diff["added"] = sorted(keys)
        return diff, []
    area, through = PlanArea._meta.db_table, PlanArea.addresses.through._meta.db_table
    staged, params = staged_relation(submission)
    sql = f"""
        WITH new AS (
            SELECT key, row, stage, expected_date, geom, coalesce(addresses, '{{}}')::bigint[] AS addresses
            FROM ({staged}) s
        ), linked AS (
            SELECT t.planarea_id, array_agg(t.address_id ORDER BY t.address_id) AS addresses
            FROM {through} t JOIN {area} a ON a.id = t.planarea_id
            WHERE a.version_id = %s GROUP BY t.planarea_id
        ), old AS (
            SELECT a.key, a.stage, a.expected_date, a.geom, coalesce(l.addresses, '{{}}')::bigint[] AS addresses
            FROM {area} a LEFT JOIN linked l ON l.planarea_id = a.id
            WHERE a.version_id = %s
        ), pairs AS (
            SELECT n.key AS new_key, o.key AS old_key, n.row, o.stage AS old_stage, n.stage AS new_stage,
                   o.expected_date AS old_date, n.expected_date AS new_date, o.addresses AS old_addresses,
                   n.addresses AS new_addresses, o.geom AS old_geom, n.geom AS new_geom,
                   coalesce(ST_OrderingEquals(o.geom, n.geom), o.geom IS NULL AND n.geom IS NULL) AS same_geom
            FROM new n FULL JOIN old o ON o.key = n.key
        )
        SELECT new_key, old_key, row, old_stage, new_stage, old_date, new_date, old_addresses, new_addresses,
               CASE WHEN same_geom THEN NULL ELSE ST_AsBinary(old_geom) END,
               CASE WHEN same_geom THEN NULL ELSE ST_AsBinary(new_geom) END
        FROM pairs
        WHERE new_key IS NULL OR old_key IS NULL OR old_stage <> new_stage
           OR old_date IS DISTINCT FROM new_date OR NOT same_geom
           OR NOT (old_addresses @> new_addresses AND new_addresses @> old_addresses)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, version.pk, version.pk])
        found = cursor.fetchall()
    stages, geometries = [], []
    for new_key, old_key, row, old_stage, new_stage, old_date, new_date, old_list, new_list, old_g, new_g in found:
        if old_key is None:
            diff["added"].append(new_key)
            continue
        if new_key is None:
            diff["removed"].append(old_key)
            continue
        key = new_key
        if old_date != new_date:
            diff["date_moved"].append({"key": key, "old": _iso(old_date), "new": _iso(new_date)})
        if old_stage != new_stage:
            diff["stage_changed"].append({"key": key, "old": old_stage, "new": new_stage})
            stages.append({"row": row, "key": key, "old": old_stage, "new": new_stage})
        if old_g is not None or new_g is not None:
            geometries.append((key, old_g, new_g))
        added, removed = sorted(set(new_list) - set(old_list)), sorted(set(old_list) - set(new_list))
        if added:
            diff["addresses_added"][key] = added
        if removed:
            diff["addresses_removed"][key] = removed
    if geometries:
        keys_changed, old, new = zip(*geometries, strict=True)
        old, new = shapely.from_wkb(np.array(old, dtype=object)), shapely.from_wkb(np.array(new, dtype=object))
        both = shapely.is_geometry(old) & shapely.is_geometry(new)
        same = np.zeros(len(keys_changed), dtype=bool)
        same[both] = shapely.equals_exact(old[both], new[both], tolerance=GEOMETRY_TOLERANCE_M)
        diff["geometry_changed"] = [k for k, s in zip(keys_changed, same.tolist(), strict=True) if not s]
    for name in ("added", "removed", "geometry_changed"):
        diff[name].sort()
    for name in ("date_moved", "stage_changed"):
        diff[name].sort(key=lambda change: change["key"])
    for name in ("addresses_added", "addresses_removed"):
        diff[name] = dict(sorted(diff[name].items()))
    stages.sort(key=lambda change: (change["row"] is None, change["row"] or 0, change["key"]))
    return diff, stages


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
