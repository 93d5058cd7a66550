"""A synthetic rollout plan for the import benchmark: N small polygons inside the city, as a GeoPackage.

Column names and values are the ones a provider might use and our importer
understands (rollout.importers.COLUMN_SYNONYMS, rollout.vocabulary): German
stages, quarters as "Q3/2031", technology, bandwidths and funding. Squares of
20–60 m lie at least 100 m inside the city boundary, so no row is refused.
"""

from __future__ import annotations

from pathlib import Path

import geopandas
import numpy as np
import shapely

# (stage, expected quarter or "") in the mix providers hand in.
STAGES = [("geplant", "Q3/2031"), ("Im Bau", "Q1/2032"), ("buchbar", ""), ("homes passed", "")]


def plan_write(*, path: Path, features: int, city: shapely.Geometry, seed: int = 1) -> Path:
    """Write the plan to ``path`` (EPSG:25832) unless a file with the same size and seed is there."""
    marker = path.with_suffix(f".{features}.{seed}.ok")
    if path.exists() and marker.exists():
        return path
    rng = np.random.default_rng(seed)
    inner = city.buffer(-100)
    shapely.prepare(inner)
    minx, miny, maxx, maxy = inner.bounds
    centres = np.empty((0, 2))
    while len(centres) < features:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(features * 2, 2))
        inside = shapely.contains_xy(inner, xy[:, 0], xy[:, 1])
        centres = np.vstack([centres, xy[inside]])
    centres = centres[:features]
    half = rng.uniform(10, 30, size=features)
    boxes = shapely.box(centres[:, 0] - half, centres[:, 1] - half, centres[:, 0] + half, centres[:, 1] + half)
    stage = rng.integers(0, len(STAGES), size=features)
    frame = geopandas.GeoDataFrame(
        {
            "id": [f"B-{i:07d}" for i in range(1, features + 1)],
            "name": [f"Gebiet {i}" for i in range(1, features + 1)],
            "status": [STAGES[s][0] for s in stage],
            "quartal": [STAGES[s][1] or None for s in stage],
            "technologie": np.where(rng.random(features) < 0.8, "FTTH", "FTTB"),
            "download": np.where(rng.random(features) < 0.7, 1000, 500),
            "upload": np.where(rng.random(features) < 0.7, 500, 200),
            "foerderung": "eigenwirtschaftlich",
        },
        geometry=boxes,
        crs="EPSG:25832",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    for old in path.parent.glob(f"{path.stem}.*.ok"):
        old.unlink()
    frame.to_file(path, driver="GPKG", layer="plan")
    marker.touch()
    return path
