"""The address-status tiles against the availability tiles: what one tile's statement costs, side by side.

Run: DATABASE_URL=... .venv/bin/python -m bench.status_tiles  (the dev database is only read).

Every z14 tile of the city that holds an address with availability, and the 80 densest z16 tiles: each
tile's statement (ogc.tiles.render.tile_sql_text, as the site sends it before Django) run seven times
per source, alternating, each tile counting with its best time (bench/README.md says why best-of-seven).
Prints the mean per tile and the ratio status/availability per zoom level.
"""

from __future__ import annotations

import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
django.setup()

from django.db import connection  # noqa: E402

from ogc.tiles.render import tile_sql_text  # noqa: E402
from ogc.tiles.sources import SOURCES  # noqa: E402

ROUNDS = 7
TILES_SQL = """
SELECT x, y, count(*) FROM (
    SELECT floor((ST_X(g) + 20037508.342789244) / (40075016.68557849 / 2 ^ %(z)s))::int AS x,
           floor((20037508.342789244 - ST_Y(g)) / (40075016.68557849 / 2 ^ %(z)s))::int AS y
    FROM (SELECT ST_Transform(a.geom, 3857) AS g FROM layers_address a
          WHERE EXISTS (SELECT 1 FROM rollout_availability v WHERE v.address_id = a.id)) AS points
) AS t GROUP BY x, y ORDER BY 3 DESC
"""


def _tiles(z: int) -> list[tuple[int, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(TILES_SQL, {"z": z})
        return cursor.fetchall()


def _measure(z: int, tiles: list) -> dict[str, tuple[float, float]]:
    best = {name: [float("inf")] * len(tiles) for name in ("availability", "address-status")}
    size = {name: 0 for name in best}
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")  # as the site's connections (geoportal/settings.py)
        for _ in range(ROUNDS):
            for i, (x, y, _n) in enumerate(tiles):
                for name in best:
                    sql = tile_sql_text(SOURCES[name], z=z, x=x, y=y)
                    started = time.perf_counter()
                    cursor.execute(sql)
                    tile = cursor.fetchone()[0]
                    best[name][i] = min(best[name][i], time.perf_counter() - started)
                    size[name] = max(size[name], len(tile or b""))
    return {name: (1000 * sum(times) / len(times), size[name]) for name, times in best.items()}


def main() -> None:
    for z, limit in ((14, None), (16, 80)):
        tiles = _tiles(z)[:limit]
        result = _measure(z, tiles)
        (a_ms, a_max), (s_ms, s_max) = result["availability"], result["address-status"]
        print(  # noqa: T201 - a benchmark's report
            f"z{z}: {len(tiles)} tiles (densest {tiles[0][2]} addresses): availability {a_ms:.2f} ms/tile "
            f"(largest {a_max} B), address-status {s_ms:.2f} ms/tile (largest {s_max} B), ratio {s_ms / a_ms:.2f}"
        )


if __name__ == "__main__":
    main()
