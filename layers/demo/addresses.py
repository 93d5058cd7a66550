"""Demo addresses along the demo streets: positions, house numbers, homes, bulk insert with COPY.

Houses stand on both sides of each street, odd numbers on the left and even on
the right, numbered in the direction of the street, with an occasional "a"/"b"
for a house squeezed in later. Everything is vectorised with numpy/shapely and
written with PostgreSQL COPY, so a million addresses take minutes, not hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from django.db import connection

from layers.models import SRID, Address

MARGIN = 9.0  # metres kept free at each street end, where the crossing street's houses stand
SETBACK = 10.0  # metres from the street centre line to the house point
SUFFIX_SHARE = 0.035
COPY_CHUNK = 50_000


@dataclass
class Houses:
    """The addresses of one Stadtteil as parallel arrays (row i is one address)."""

    street: np.ndarray  # object array of names
    number: np.ndarray
    suffix: np.ndarray  # object array: "", "a", "b"
    x: np.ndarray
    y: np.ndarray
    homes: np.ndarray

    def __len__(self) -> int:
        return len(self.number)


def _candidates(lines: list[shapely.LineString], spacing: float, rng: np.random.Generator):
    """Possible house positions: street index, side (0 left/odd, 1 right/even) and distance along the street."""
    lengths = shapely.length(np.array(lines, dtype=object))
    per_side = np.maximum(np.floor((lengths - 2 * MARGIN) / spacing).astype(int) + 1, 0)
    per_side[lengths < 2 * MARGIN + 1] = 0
    street = np.repeat(np.arange(len(lines)), per_side)
    first = np.repeat(np.cumsum(per_side) - per_side, per_side)
    j = np.arange(len(street)) - first
    street = np.concatenate([street, street])
    side = np.repeat(np.array([0, 1]), len(j))
    # The right side is staggered by a third of a plot so the two rows don't mirror each other.
    t = np.concatenate([j * spacing, j * spacing + spacing / 3]) + MARGIN
    t += rng.uniform(-0.15, 0.15, len(t)) * spacing
    t = np.clip(t, MARGIN / 2, lengths[street] - MARGIN / 2)
    return street, side, t, lengths


def _positions(lines, street, side, t, lengths, rng: np.random.Generator):
    """Points set back from the centre line to the left (odd) or right (even) of the street's direction."""
    geoms = np.array(lines, dtype=object)[street]
    here = shapely.get_coordinates(shapely.line_interpolate_point(geoms, t))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(geoms, np.minimum(t + 1.0, lengths[street])))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(geoms, np.maximum(t - 1.0, 0.0)))
    direction = ahead - behind
    direction /= np.maximum(np.linalg.norm(direction, axis=1), 1e-9)[:, None]
    normal = np.column_stack([-direction[:, 1], direction[:, 0]])
    offset = (SETBACK + rng.uniform(-2.5, 4.0, len(t))) * np.where(side == 0, 1.0, -1.0)
    xy = np.round(here + normal * offset[:, None], 2)
    return xy[:, 0], xy[:, 1]


def _numbers(group: np.ndarray, side: np.ndarray, rng: np.random.Generator):
    """House numbers running along each street side; ``group`` is sorted, one value per street side."""
    n = len(group)
    starts = np.ones(n, dtype=bool)
    starts[1:] = group[1:] != group[:-1]
    suffixed = (rng.random(n) < SUFFIX_SHARE) & ~starts
    base = np.cumsum(~suffixed)
    rank = base - np.maximum.accumulate(np.where(starts, base - 1, 0))
    number = np.where(side == 0, 2 * rank - 1, 2 * rank)
    idx = np.arange(n)
    run = idx - np.maximum.accumulate(np.where(~suffixed, idx, 0))
    suffix = np.array(["", "a", "b", "c", "d"], dtype=object)[np.minimum(run, 4)]
    return number, suffix


def homes_sample(n: int, *, urbanity: float, total: int, rng: np.random.Generator) -> np.ndarray:
    """Homes per address: mostly 1-2-family houses, some 3-12, a few blocks up to 60; summing to ``total``."""
    kind = rng.random(n)
    p_large, p_multi = 0.004 + 0.012 * urbanity, 0.10 + 0.25 * urbanity
    homes = np.where(rng.random(n) < 0.7, 1, 2)
    multi = (kind >= p_large) & (kind < p_large + p_multi)
    homes[multi] = np.minimum(3 + rng.geometric(0.3, multi.sum()) - 1, 12)
    large = kind < p_large
    homes[large] = rng.integers(13, 61, large.sum())
    return _homes_adjust(homes, total=total, rng=rng)


def _homes_adjust(homes: np.ndarray, *, total: int, rng: np.random.Generator) -> np.ndarray:
    """Nudge multi-family houses by one home at a time until the sum hits ``total`` exactly."""
    for _ in range(10_000):
        diff = int(total - homes.sum())
        if diff == 0:
            break
        step = 1 if diff > 0 else -1
        lo, hi = (3, 59) if step > 0 else (4, 60)
        eligible = np.flatnonzero((homes >= lo) & (homes <= hi))
        if not len(eligible):  # a Stadtteil without multi-family houses: let the small ones grow or shrink
            eligible = np.flatnonzero((homes >= 1 + (step < 0)) & (homes <= 60 - (step > 0)))
        if not len(eligible):
            break
        pick = rng.choice(eligible, size=min(abs(diff), len(eligible)), replace=False)
        homes[pick] += step
    return homes


def houses_place(
    *, shape: shapely.Geometry, streets: list, n: int, homes_total: int, urbanity: float, rng: np.random.Generator
) -> Houses:
    """Exactly ``n`` addresses along ``streets``, all strictly inside ``shape``."""
    lines = [s.line for s in streets]
    names = np.array([s.name for s in streets], dtype=object)
    usable = float(np.sum(np.maximum(shapely.length(np.array(lines, dtype=object)) - 2 * MARGIN, 0)))
    # Aim at a quarter more plots than houses: the empty ones are gardens, gaps and yards.
    spacing = float(np.clip(2 * usable / (n * 1.25), 4.0, 40.0))
    for _ in range(30):
        street, side, t, lengths = _candidates(lines, spacing, rng)
        x, y = _positions(lines, street, side, t, lengths, rng)
        inside = shapely.contains_xy(shape, x, y)
        if inside.sum() >= n:
            break
        spacing *= 0.8
    else:
        raise ValueError(f"cannot place {n} addresses in a Stadtteil of {shape.area / 1e6:.1f} km²")
    keep = np.sort(rng.choice(np.flatnonzero(inside), size=n, replace=False))
    street, side, t, x, y = street[keep], side[keep], t[keep], x[keep], y[keep]
    order = np.lexsort((t, side, street))
    street, side, x, y = street[order], side[order], x[order], y[order]
    number, suffix = _numbers(street * 2 + side, side, rng)
    homes = homes_sample(n, urbanity=urbanity, total=homes_total, rng=rng)
    return Houses(names[street], number, suffix, x, y, homes)


def houses_copy(houses: Houses, *, postcode: str) -> None:
    """Append the houses to the address table with COPY (district is assigned afterwards in SQL)."""
    table = Address._meta.db_table
    columns = "street, house_number, house_number_suffix, postcode, city, geom, homes, source_id, is_demo"
    city = Address._meta.get_field("city").default
    with connection.cursor() as cursor, cursor.connection.cursor() as raw:
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for start in range(0, len(houses), COPY_CHUNK):
                end = min(start + COPY_CHUNK, len(houses))
                copy.write(
                    "".join(
                        f"{s}\t{nr}\t{suf}\t{postcode}\t{city}\tSRID={SRID};POINT({x:.2f} {y:.2f})\t{h}\t\tt\n"
                        for s, nr, suf, x, y, h in zip(
                            houses.street[start:end],
                            houses.number[start:end].tolist(),
                            houses.suffix[start:end],
                            houses.x[start:end].tolist(),
                            houses.y[start:end].tolist(),
                            houses.homes[start:end].tolist(),
                            strict=True,
                        )
                    )
                )


def addresses_assign_districts() -> int:
    """Point every demo address at the demo Stadtteil containing it, in one SQL statement."""
    table, districts = Address._meta.db_table, Address._meta.get_field("district").related_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} AS a SET district_id = d.id FROM {districts} AS d
                WHERE a.is_demo AND d.is_demo AND d.level = 'stadtteil' AND ST_Contains(d.geom, a.geom)"""
        )
        return cursor.rowcount
