"""Changes of the public availability in plain words, for mails and feeds alike (no queries here).

Stages and quarters are named as on the rest of the site (rollout.presentation), in the active language.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rollout.models import AvailabilityChange
from rollout.presentation import expected_label, stage_label


def _expected(value, precision: str) -> str:
    return expected_label(value.isoformat(), precision or None) if value else ""


def change_rows(changes: list[AvailabilityChange]) -> list[dict]:
    """One row per provider's change at an address: a headline and the details (stage, expected date) in words."""
    rows = []
    for change in changes:
        old_stage, new_stage = stage_label(change.old_stage), stage_label(change.new_stage)
        old_expected = _expected(change.old_expected_date, change.old_expected_precision)
        new_expected = _expected(change.new_expected_date, change.new_expected_precision)
        details = []
        if change.kind == AvailabilityChange.Kind.ADDED:
            if new_expected:
                details.append(_("Expected: %(quarter)s") % {"quarter": new_expected})
        elif change.kind == AvailabilityChange.Kind.CHANGED:
            if change.old_stage != change.new_stage:
                details.append(_("Stage: before “%(old)s”, now “%(new)s”") % {"old": old_stage, "new": new_stage})
            if old_expected != new_expected:
                details.append(
                    _("Expected: before %(old)s, now %(new)s")
                    % {"old": old_expected or _("no date"), "new": new_expected or _("no date")}
                )
        rows.append(
            {
                "provider": change.provider.name,
                "kind": change.kind,
                "old_stage": old_stage,
                "new_stage": new_stage,
                "old_expected": old_expected,
                "new_expected": new_expected,
                "headline": _headline(change),
                "details": details,
            }
        )
    return rows


def _headline(change: AvailabilityChange) -> str:
    if change.kind == AvailabilityChange.Kind.ADDED:
        return _("Newly in the plans: %(stage)s") % {"stage": stage_label(change.new_stage)}
    if change.kind == AvailabilityChange.Kind.REMOVED:
        return _("No longer in the plans (before: %(stage)s)") % {"stage": stage_label(change.old_stage)}
    if change.old_stage != change.new_stage:
        return _("Stage changed")
    return _("Expected date changed")


def summary_providers(summary: dict | None) -> list[dict]:
    """A district's summary (residents.follow.selectors.district_summaries) per provider: lines and streets."""
    if not summary:
        return []
    by_provider: dict[str, list[dict]] = {}
    for row in summary["rows"]:
        by_provider.setdefault(row["provider"], []).append(row)
    providers = []
    for provider in sorted(by_provider, key=str.casefold):
        rows = sorted(by_provider[provider], key=lambda r: (_ORDER[_kind(r)], r["stage"]))
        providers.append(
            {
                "provider": provider,
                "lines": [_summary_line(row) for row in rows],
                "addresses": sum(row["addresses"] for row in rows),
                "streets": summary["streets"].get(provider, []),
            }
        )
    return providers


_ORDER = {"stage": 0, "added": 1, "date": 2, "removed": 3}


def _kind(row: dict) -> str:
    if row["kind"] in (AvailabilityChange.Kind.ADDED, AvailabilityChange.Kind.REMOVED):
        return row["kind"]
    return "stage" if row["stage_moved"] else "date"


def _summary_line(row: dict) -> str:
    n, stage = row["addresses"], stage_label(row["stage"])
    kind = _kind(row)
    if kind == "added":
        text = ngettext(
            "%(count)s address newly in the plans: %(stage)s",
            "%(count)s addresses newly in the plans: %(stage)s",
            n,
        )
    elif kind == "removed":
        text = ngettext("%(count)s address no longer in the plans", "%(count)s addresses no longer in the plans", n)
    elif kind == "stage":
        text = ngettext("%(count)s address now: %(stage)s", "%(count)s addresses now: %(stage)s", n)
    else:
        text = ngettext(
            "%(count)s address with a new expected date (%(stage)s)",
            "%(count)s addresses with a new expected date (%(stage)s)",
            n,
        )
    line = text % {"count": n, "stage": stage}
    if kind == "date" and (row["later"] or row["earlier"]):
        line += " – " + _("%(later)s later, %(earlier)s earlier") % {"later": row["later"], "earlier": row["earlier"]}
    return line
