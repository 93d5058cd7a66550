"""Turn a submission's stored report and diff into what the pages show: grouped, counted, translated.

No queries here: callers pass the labels of addresses (rollout.selectors.addresses_labelled).
The validation messages are stored in English (they are also the command line's
output); the pages show them in the active language through the catalogue below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

from django.template.defaultfilters import filesizeformat
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rollout.stages import Stage, Technology

# The messages rollout.readers, rollout.importers, rollout.addresses and
# rollout.services write into reports, and the "expected" hints that come with them,
# marked so that makemessages keeps them in the German catalogue.
REPORT_MESSAGES = [
    gettext_noop("unsupported file type"),
    gettext_noop("unreadable archive"),
    gettext_noop("archive inflates beyond the limit"),
    gettext_noop("archive must hold exactly one Shapefile"),
    gettext_noop("file holds no layer"),
    gettext_noop("unreadable file"),
    gettext_noop("file holds several layers; only the first was read"),
    gettext_noop("CSV has no header with at least two columns"),
    gettext_noop("malformed CSV"),
    gettext_noop("file too large"),
    gettext_noop("file holds no features"),
    gettext_noop("missing coordinate reference system"),
    gettext_noop("unknown coordinate reference system"),
    gettext_noop("coordinates do not fit the coordinate reference system"),
    gettext_noop("no geometry and no address columns"),
    gettext_noop("unreadable WKT"),
    gettext_noop("unreadable coordinates"),
    gettext_noop("empty geometry"),
    gettext_noop("not a polygon"),
    gettext_noop("invalid geometry repaired"),
    gettext_noop("feature lies outside the city"),
    gettext_noop("feature extends beyond the city"),
    gettext_noop("incomplete address"),
    gettext_noop("address not in the register"),
    gettext_noop("no registered address near this point"),
    gettext_noop("missing stage"),
    gettext_noop("missing technology"),
    gettext_noop("unknown stage"),
    gettext_noop("unknown technology"),
    gettext_noop("unknown funding"),
    gettext_noop("unknown target_group"),
    gettext_noop("invalid max_down"),
    gettext_noop("invalid max_up"),
    gettext_noop("invalid quota"),
    gettext_noop("invalid connection fee"),
    gettext_noop("unparseable expected"),
    gettext_noop("unparseable quota_deadline"),
    gettext_noop("expected lies in the past"),
    gettext_noop("quota_deadline lies in the past"),
    gettext_noop("a planned area needs its quarter"),
    gettext_noop("pre-marketing needs a sign-up quota and deadline"),
    gettext_noop("a cancelled area needs a reason"),
    gettext_noop("subsidised areas name their programme"),
    gettext_noop("attributes differ from the area's first row"),
    gettext_noop("duplicate feature key"),
    gettext_noop("duplicate feature"),
    # rollout.edits (single areas written through the OGC API, Part 4)
    gettext_noop("the key of a replaced area cannot change"),
    gettext_noop("a new area needs its key"),
    gettext_noop("an area with this key is already in the current plan"),
    # expected values
    gettext_noop("a polygon"),
    gettext_noop("polygon"),
    gettext_noop("a value"),
    gettext_noop("within the city"),
    gettext_noop("today or later"),
    gettext_noop("unique keys"),
    gettext_noop("an EPSG code"),
    gettext_noop("e.g. EPSG:25832"),
    gettext_noop("decimal degrees"),
    gettext_noop("a header row"),
    gettext_noop("a zip holding one Shapefile"),
    gettext_noop("at least one feature"),
    gettext_noop("WKT polygon"),
    gettext_noop("a whole number ≥ 0"),
    gettext_noop("a valid GeoPackage, GeoJSON, KML or zipped Shapefile"),
    gettext_noop("a new key, or replace the existing area (PUT)"),
    gettext_noop("polygons, a WKT column, lat/lon columns or street + house_number + postcode"),
    gettext_noop("the CRS the coordinates are in, e.g. EPSG:25832"),
    gettext_noop("unparseable date; expected a quarter (Q3/2027, 2027-Q3, 3. Quartal 2027) or a date (2027-09-30)"),
]
_STAGE_MOVE = re.compile(r"^stage may not go from (\w+) to (\w+)$")
# Hints with values in them are stored in English as written: translated by their pattern, the values kept.
_HINTS = [
    (
        re.compile(r"^unknown \w+; expected one of (?P<values>.+) \(or a common spelling\)$"),
        gettext_noop("one of %(values)s (or a common spelling)"),
    ),
    (re.compile(r"^a whole number from 0 to (?P<upper>\d+)$"), gettext_noop("a whole number from 0 to %(upper)s")),
    (
        re.compile(r"^at most (?P<limit>\d+) bytes uncompressed and a compression ratio below (?P<ratio>[\d.]+)$"),
        gettext_noop("at most %(limit)s uncompressed and a compression ratio below %(ratio)s"),
    ),
    (
        re.compile(r"^a valid GeoPackage, GeoJSON, KML or zipped Shapefile \((?P<detail>.+)\)$"),
        gettext_noop("a valid GeoPackage, GeoJSON, KML or zipped Shapefile (%(detail)s)"),
    ),
    (re.compile(r"^≤ (?P<limit>\d+)$"), gettext_noop("at most %(limit)s")),
]
# Values of the hints above that are sizes in bytes: shown as the reader's "200,0 MB".
_BYTES = {"limit"}


def report_text(text: str | None) -> str:
    """A stored report message or hint in the active language (unknown texts unchanged)."""
    if not text:
        return ""
    move = _STAGE_MOVE.match(text)
    if move:
        return _("stage may not go from %(old)s to %(new)s") % {
            "old": stage_label(move.group(1)),
            "new": stage_label(move.group(2)),
        }
    for pattern, translated in _HINTS:
        hint = pattern.match(text)
        if hint:
            values = {k: filesizeformat(int(v)) if k in _BYTES else v for k, v in hint.groupdict().items()}
            return _(translated) % values
    return _(text)


def stage_label(value: str | None) -> str:
    if not value:
        return ""
    return str(Stage(value).label) if value in Stage.values else value


def technology_label(value: str | None) -> str:
    if not value:
        return ""
    return str(Technology(value).label) if value in Technology.values else value


def report_summary(report: list[dict]) -> dict:
    """Problems grouped by kind (errors first), each group with its count and rows in file order."""
    groups: dict[tuple[str, str], dict] = {}
    for problem in report:
        severity = problem.get("severity", "error")
        group = groups.setdefault(
            (severity, problem["message"]),
            {"severity": severity, "message": report_text(problem["message"]), "problems": []},
        )
        group["problems"].append({**problem, "expected": report_text(problem.get("expected"))})
    ordered = sorted(groups.values(), key=lambda g: (g["severity"] != "error", -len(g["problems"])))
    for group in ordered:
        group["problems"].sort(key=lambda p: (p.get("row") is None, p.get("row") or 0))
        group["count"] = len(group["problems"])
    return {
        "errors": sum(g["count"] for g in ordered if g["severity"] == "error"),
        "warnings": sum(g["count"] for g in ordered if g["severity"] != "error"),
        "groups": ordered,
    }


def expected_label(iso: str | None, precision: str | None = None) -> str:
    """An expected date as providers write it: "Q3/2028" for a quarter's first day, else the local date."""
    if not iso:
        return ""
    when = date.fromisoformat(iso)
    if precision == "quarter" or (precision is None and when.day == 1 and when.month in (1, 4, 7, 10)):
        return f"Q{(when.month - 1) // 3 + 1}/{when.year}"
    return date_format(when, "SHORT_DATE_FORMAT")


def problem_counts(report: list[dict]) -> dict[str, int]:
    errors = sum(1 for p in report if p.get("severity", "error") == "error")
    return {"errors": errors, "warnings": len(report) - errors}


# The table lists at most this many addresses per area and direction; the count is always exact.
ADDRESSES_LISTED = 20


def diff_addresses(diff: Mapping) -> list[int]:
    """The address ids the diff table names (to look up their labels in one query)."""
    ids: list[int] = []
    for direction in ("addresses_added", "addresses_removed"):
        for address_ids in (diff.get(direction) or {}).values():
            ids.extend(address_ids[:ADDRESSES_LISTED])
    return ids


def diff_table(*, diff: Mapping, features: list[dict], labels: Mapping[int, str]) -> dict:
    """The diff as table rows per kind of change, with human labels for stages and addresses."""
    by_key = {f["key"]: f for f in features}

    def addresses(direction: str) -> list[dict]:
        rows = []
        for key, ids in sorted((diff.get(direction) or {}).items()):
            listed = [labels.get(i, f"#{i}") for i in ids[:ADDRESSES_LISTED]]
            rows.append({"key": key, "count": len(ids), "listed": listed, "more": max(0, len(ids) - len(listed))})
        return rows

    added = []
    for key in diff.get("added", []):
        feature = by_key.get(key, {})
        added.append(
            {
                "key": key,
                "name": feature.get("name") or "",
                "stage": stage_label(feature.get("stage")),
                "technology": technology_label(feature.get("technology")),
                "expected": expected_label(feature.get("expected_date"), feature.get("expected_precision")),
                "addresses": len(feature.get("addresses") or []),
            }
        )
    date_moved = [
        {
            "key": change["key"],
            "old": expected_label(change["old"]),
            "new": expected_label(change["new"]),
            "later": bool(change["old"] and change["new"] and change["new"] > change["old"]),
        }
        for change in diff.get("date_moved", [])
    ]
    stage_changed = [
        {"key": c["key"], "old": stage_label(c["old"]), "new": stage_label(c["new"])}
        for c in diff.get("stage_changed", [])
    ]
    table = {
        "added": added,
        "removed": list(diff.get("removed", [])),
        "date_moved": date_moved,
        "stage_changed": stage_changed,
        "geometry_changed": list(diff.get("geometry_changed", [])),
        "addresses_added": addresses("addresses_added"),
        "addresses_removed": addresses("addresses_removed"),
    }
    table["total"] = sum(len(rows) for rows in table.values())
    return table


def area_rows(areas: Iterable) -> list[dict]:
    """Plan areas (rollout.models.PlanArea, with ``address_count``) as the rows of a version's area table."""
    rows = []
    for area in areas:
        details = []
        if area.quota_percent is not None:
            deadline = date_format(area.quota_deadline, "SHORT_DATE_FORMAT") if area.quota_deadline else "—"
            details.append(
                _("sign-up quota %(quota)s %% by %(deadline)s") % {"quota": area.quota_percent, "deadline": deadline}
            )
        if area.cancel_reason:
            details.append(_("reason: %(reason)s") % {"reason": area.cancel_reason})
        if area.subsidy_programme:
            details.append(_("programme: %(programme)s") % {"programme": area.subsidy_programme})
        if area.connection_fee_eur is not None:
            details.append(_("connection fee: %(fee)s EUR") % {"fee": number_format(area.connection_fee_eur, 2)})
        rows.append(
            {
                "key": area.key,
                "name": area.name,
                "stage": stage_label(area.stage),
                "stage_value": area.stage,
                "technology": technology_label(area.technology),
                "expected": expected_label(
                    area.expected_date.isoformat() if area.expected_date else None, area.expected_precision or None
                ),
                "down": area.max_down_mbits,
                "up": area.max_up_mbits,
                "funding": area.get_funding_display(),
                "target_group": area.get_target_group_display(),
                "addresses": area.address_count,
                "details": details,
            }
        )
    return rows


def track_record_rows(record: Mapping) -> dict:
    """A provider's track record (rollout.selectors.provider_track_record) with dates as providers write them."""
    slipped = [
        {
            "version": change["version"],
            "key": change["key"],
            "old": expected_label(change["old"]),
            "new": expected_label(change["new"]),
            "dropped": change["new"] is None,
        }
        for change in record["slipped"]
    ]
    cancelled = [
        {"version": change["version"], "key": change["key"], "old": stage_label(change["old"])}
        for change in record["cancelled"]
    ]
    return {"versions": record["versions"], "slipped": slipped, "cancelled": cancelled}
