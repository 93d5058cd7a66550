"""FeatureValidator: one table checked, clean rows by column, the others row by row."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pandas as pd
import shapely
from django.utils import timezone

from rollout.addresses import AddressMatcher
from rollout.features import PlanFeatures
from rollout.importers.attributes import ATTRIBUTE_FIELDS, AttributeChecks
from rollout.importers.grouping import group_address_rows
from rollout.importers.mapping import is_blank
from rollout.importers.placement import PlacementChecks
from rollout.readers import RawTable, Report


class FeatureValidator(PlacementChecks, AttributeChecks):
    """Validates one table; one instance per submission."""

    def __init__(self, table: RawTable, *, mapping: dict[str, str], city: shapely.Geometry, report: Report) -> None:
        self.table = table
        self.columns = mapping
        self.city = city
        shapely.prepare(city)  # many features test against the same boundary
        self.report = report
        self.today = timezone.localdate()
        self.transformer = None
        self.identity = False
        self.matcher = AddressMatcher()
        # Row number → (hex EWKB, intersects the city, inside the city) for the common, clean polygons.
        self.clean: dict[int, tuple[str, bool, bool]] = {}

    def value(self, row: dict, canonical: str) -> Any:
        column = self.columns.get(canonical)
        value = row.get(column) if column else None
        return None if is_blank(value) else value

    def run(self) -> PlanFeatures:
        """Validate every row; the validated features by column (problems in the report, in row order)."""
        if not self._prepare_geometry_source():
            return PlanFeatures.empty()
        size = len(self.table)
        fast_rows, fast_geoms = self._clean_polygons()
        # A row's attributes (all but key and name) depend only on its values of the attribute columns: each
        # distinct combination is checked once, on its first row. Rows of a clean combination with a clean
        # polygon inside the city are done (no dict, no report entry); every other row takes the per-row path
        # in file order, which reports each problem with its row as before.
        codes, firsts = self._attribute_combinations()
        templates = [self._template(int(first)) for first in firsts]
        good = np.fromiter((t is not None for t in templates), dtype=bool, count=len(templates))
        fast = np.zeros(size, dtype=bool)
        fast[fast_rows] = True
        fast &= good[codes]
        slow: list[dict] = []
        slow_rows = np.flatnonzero(~fast)
        keys, names = self._keys_and_names(slow_rows)
        for i, key, name in zip(slow_rows.tolist(), keys, names, strict=True):
            index = i + 1
            row = self.table.row(i)
            template = templates[codes[i]]
            feature = {"row": index, "key": key, "name": name, **template} if template is not None else None
            if feature is None:
                feature = self._attributes(row, index)
            if self._place(row, index, feature) and feature is not None:
                slow.append(feature)
        self.matcher.resolve(report=self.report)
        order = np.flatnonzero(fast)
        keys, names = self._keys_and_names(order)
        kept = PlanFeatures(
            rows=(order + 1).tolist(),
            keys=keys,
            names=names,
            codes=codes[order],
            attributes=[t if t is not None else {} for t in templates],  # (no fast row has a bad one)
            geoms=fast_geoms[fast[fast_rows]].tolist() if len(order) else [],
            addresses=[None] * len(order),
        )
        if slow:
            kept = PlanFeatures.concat([kept, PlanFeatures.from_dicts(slow)]).by_row()
        return group_address_rows(kept, report=self.report)

    def _attribute_combinations(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row the number of its combination of attribute values; per combination its first row (0-based).

        Values and their types count (1, 1.0 and True are equal as keys but need not validate alike); all
        missing values (None, NaN, NaT) are one value.
        """
        size = len(self.table)
        combined = np.zeros(size, dtype=np.int64)
        for field in ATTRIBUTE_FIELDS:
            column = self.columns.get(field)
            if column is None or column not in self.table.data:
                continue
            values = self.table.data[column]
            parts = [pd.factorize(values, use_na_sentinel=False)[0]]
            if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
                parts.append(pd.factorize(np.fromiter(map(type, values), dtype=object, count=size))[0])
            for codes in parts:
                combined = pd.factorize(combined * (int(codes.max(initial=0)) + 1) + codes)[0]
        _, firsts, codes = np.unique(combined, return_index=True, return_inverse=True)
        return codes.reshape(-1), firsts

    def _template(self, index0: int) -> dict | None:
        """The checked attributes of row ``index0`` without row, key and name; None if any is wrong."""
        report, self.report = self.report, Report()
        try:
            feature = self._attributes(self.table.row(index0), index0 + 1)
        finally:
            self.report = report
        if feature is None:
            return None
        return {k: v for k, v in feature.items() if k not in ("row", "key", "name")}

    def _keys_and_names(self, rows: np.ndarray) -> tuple[list[str], list[str]]:
        """Key (``row-N`` when blank) and name of the rows ``rows`` (0-based), as _attributes makes them."""
        keys, blank = self._text(self.columns.get("key"), rows, strip=True)
        for i in np.flatnonzero(blank).tolist():
            keys[i] = f"row-{rows[i] + 1}"
        names, _ = self._text(self.columns.get("name"), rows, strip=False)
        return keys, [n[:200] for n in names] if max(map(len, names), default=0) > 200 else names

    def _text(self, column: str | None, rows: np.ndarray, *, strip: bool) -> tuple[list[str], np.ndarray]:
        """``str(value)`` (stripped if ``strip``) of ``column`` at ``rows``, "" for blanks, and which are blank."""
        if column is None or column not in self.table.data:
            return [""] * len(rows), np.ones(len(rows), dtype=bool)
        values = self.table.data[column][rows]
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            # The common case, checked in bulk: text or nothing, usually without surrounding spaces.
            missing = pd.isna(values)
            text = values.tolist() if not missing.any() else np.where(missing, "", values).tolist()
            stripped = list(map(str.strip, text))
            blank = np.fromiter(map(operator.not_, stripped), dtype=bool, count=len(stripped))
            if strip:
                return stripped, blank
            if blank.any():
                text = [t if not b else "" for t, b in zip(text, blank.tolist(), strict=True)]
            return text, blank
        python = values.tolist()
        blank = np.fromiter(map(is_blank, python), dtype=bool, count=len(python))
        # As _attributes: str(key).strip(), str(name or "") (a name of 0 or False is no name).
        text = ["" if b or not (strip or v) else str(v) for v, b in zip(python, blank.tolist(), strict=True)]
        return ([t.strip() for t in text] if strip else text), blank
