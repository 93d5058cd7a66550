"""Validated plan features by column: what rollout.importers hands to the staging table, the diff and the pages.

A plan of 100,000 areas usually has a few dozen distinct combinations of attribute values (stage,
technology, quarter, …). ``PlanFeatures`` keeps each combination once (``attributes``) and one code per
feature pointing into it, next to the per-feature columns (row, key, name, geometry or addresses), so a
clean file never becomes one dict per feature. ``dicts()`` gives the classic feature dicts for the few
places that want them (small files' JSON, single-area edits, tests):
``{"row", "key", "name", <attributes>, "geom" (hex EWKB in EPSG:25832) | "addresses" (address ids)}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# Keys of a feature dict that are per feature; every other key is an attribute.
PER_FEATURE = ("row", "key", "name", "geom", "addresses")


@dataclass
class PlanFeatures:
    rows: list[int | None]  # row in the file (1-based); None for areas carried over from a stored version
    keys: list[str]
    names: list[str]
    codes: np.ndarray  # per feature: index into ``attributes``
    attributes: list[dict[str, Any]]  # distinct attribute combinations
    geoms: list[str | None]  # hex EWKB, or None for address-list areas
    addresses: list[list[int] | None]  # address ids of address-list areas, else None

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def empty(cls) -> PlanFeatures:
        return cls([], [], [], np.zeros(0, dtype=np.intp), [], [], [])

    @classmethod
    def from_dicts(cls, features: Sequence[dict]) -> PlanFeatures:
        """Columns of feature dicts (equal attribute combinations share one entry)."""
        index: dict[tuple, int] = {}
        attributes: list[dict] = []
        codes = np.empty(len(features), dtype=np.intp)
        for i, feature in enumerate(features):
            values = {k: v for k, v in feature.items() if k not in PER_FEATURE}
            signature = tuple(values.items())
            code = index.get(signature)
            if code is None:
                code = index[signature] = len(attributes)
                attributes.append(values)
            codes[i] = code
        return cls(
            rows=[f.get("row") for f in features],
            keys=[f["key"] for f in features],
            names=[f.get("name") or "" for f in features],
            codes=codes,
            attributes=attributes,
            geoms=[f.get("geom") for f in features],
            addresses=[f.get("addresses") for f in features],
        )

    def dicts(self) -> list[dict]:
        features = []
        for row, key, name, code, geom, addresses in zip(
            self.rows, self.keys, self.names, self.codes.tolist(), self.geoms, self.addresses, strict=True
        ):
            feature = {"row": row, "key": key, "name": name, **self.attributes[code]}
            if geom is not None:
                feature["geom"] = geom
            if addresses is not None:
                feature["addresses"] = addresses
            features.append(feature)
        return features

    def take(self, order: np.ndarray | Sequence[int]) -> PlanFeatures:
        """The features at ``order`` (positions), in that order."""
        order = np.asarray(order, dtype=np.intp)
        pick = order.tolist()
        return PlanFeatures(
            rows=[self.rows[i] for i in pick],
            keys=[self.keys[i] for i in pick],
            names=[self.names[i] for i in pick],
            codes=self.codes[order],
            attributes=self.attributes,
            geoms=[self.geoms[i] for i in pick],
            addresses=[self.addresses[i] for i in pick],
        )

    @classmethod
    def concat(cls, parts: Sequence[PlanFeatures]) -> PlanFeatures:
        attributes: list[dict] = []
        codes = []
        for part in parts:
            codes.append(part.codes + len(attributes))
            attributes.extend(part.attributes)
        return cls(
            rows=[r for p in parts for r in p.rows],
            keys=[k for p in parts for k in p.keys],
            names=[n for p in parts for n in p.names],
            codes=np.concatenate(codes) if codes else np.zeros(0, dtype=np.intp),
            attributes=attributes,
            geoms=[g for p in parts for g in p.geoms],
            addresses=[a for p in parts for a in p.addresses],
        )

    def by_row(self) -> PlanFeatures:
        """Sorted by row in the file (stable)."""
        order = np.argsort(np.asarray(self.rows, dtype=np.int64), kind="stable")
        return self.take(order)
