"""Demo street names and street networks, one network per Stadtteil.

Names are generic German compositions (tree, flower, bird, poet, landscape and
neighbouring-town stems with the usual endings), unique within a postcode.
The network is a rotated, jittered block grid clipped to the Stadtteil and cut
into streets of a few hundred metres; some blocks are left out so the map shows
parks and fields instead of a uniform mesh. ``streets_copy`` stores a network
as Street rows (``is_demo``) with COPY, as the addresses are stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from django.db import connection
from shapely import affinity, ops

from layers.models import SRID
from layers.models import Street as StreetRow

# Stems that take the common endings ("Birkenweg", "Am Lindenhof", "Im Rosengrund").
NATURE_STEMS = (
    "Birken Linden Eichen Buchen Eschen Ahorn Kastanien Erlen Weiden Pappel Ulmen Tannen Fichten Kiefern "
    "Holunder Hasel Eiben Platanen Walnuss Kirsch Apfel Birnen Pflaumen Lärchen Rosen Tulpen Nelken Lilien "
    "Veilchen Astern Dahlien Flieder Narzissen Malven Ginster Efeu Amsel Drossel Finken Lerchen Meisen "
    "Schwalben Falken Habicht Sperber Kiebitz Reiher Eulen Raben Tauben Kirch Schul Mühlen Feld Garten Berg "
    "Tal Wiesen Bach Brunnen Burg Schloss Markt Post Sonnen Wald Heide Hecken Acker Weiher Teich Quellen "
    "Hügel Stein Sand Ruhr Kamp Stern Mond Wolken Regen Tau Nebel Glocken Brücken Rain Dorf Wind"
).split()
NATURE_PATTERNS = (
    "{}straße", "{}weg", "{}allee", "{}ring", "{}pfad", "{}gasse", "{}winkel", "Am {}hof", "Im {}grund",
    "Am {}hain", "Im {}feld", "Am {}busch", "An der {}höhe", "Am {}kamp", "{}stieg", "{}twiete",
)  # fmt: skip
PEOPLE = (
    "Goethe Schiller Lessing Heine Uhland Eichendorff Mörike Fontane Kleist Hölderlin Novalis Storm Raabe "
    "Hebbel Brentano Herder Wieland Klopstock Gellert Rückert Mozart Beethoven Bach Händel Haydn Schubert "
    "Brahms Schumann Kant Leibniz Humboldt Gauß Kepler Röntgen Diesel Liebig Bunsen Dürer Cranach Holbein "
    "Menzel Grimm Busch Kästner Hesse Mann Böll Tucholsky Lortzing Gluck Telemann Planck Hahn Meitner"
).split()
PEOPLE_PATTERNS = ("{}straße", "{}weg", "{}allee", "{}ring", "{}platz", "{}pfad")
TOWNS = (
    "Duisburger Essener Oberhausener Ratinger Kettwiger Mintarder Düsseldorfer Kölner Dortmunder Bochumer "
    "Werdener Velberter Hattinger Bottroper Moerser Krefelder Wuppertaler Heiligenhauser Heißener Saarner "
    "Broicher Speldorfer Styrumer Dümptener Mendener Holthauser Selbecker Raadter Winkhauser Eppinghofer"
).split()
TOWN_PATTERNS = ("{} Straße", "{} Weg", "Alte {} Straße", "{} Landstraße", "Neue {} Straße")
# Words that mark a through road; such names go to the longest streets.
MAJOR = ("straße", "Straße", "allee", "ring")

GRID_MIN, GRID_MAX = 45.0, 420.0  # block edge in metres: tight inner city .. loose suburb
KEEP = 0.82  # share of grid pieces that become streets


def street_name_pool() -> list[str]:
    """All names the generator may use, in a fixed order (sorted, so never hash-order dependent)."""
    names = {p.format(s) for s in NATURE_STEMS for p in NATURE_PATTERNS}
    names |= {p.format(s) for s in PEOPLE for p in PEOPLE_PATTERNS}
    names |= {p.format(s) for s in TOWNS for p in TOWN_PATTERNS}
    return sorted(names)


@dataclass
class Street:
    name: str
    line: shapely.LineString


def _grid_lines(shape: shapely.Geometry, *, spacing: float, ratio: float, rng: np.random.Generator) -> list:
    """Parallel lines in x and y over the bounds, slightly wobbly so blocks are not perfect rectangles."""
    minx, miny, maxx, maxy = shape.bounds
    lines = []
    for along_x, step in ((True, spacing), (False, spacing * ratio)):
        lo, hi = (miny, maxy) if along_x else (minx, maxx)
        a, b = (minx, maxx) if along_x else (miny, maxy)
        ts = np.linspace(a, b, max(2, int((b - a) / 60.0)))
        for offset in np.arange(lo + step / 2, hi, step):
            wobble = offset + rng.normal(0, step * 0.08) + step * 0.12 * np.sin(ts / rng.uniform(150, 600))
            coords = np.column_stack([ts, wobble] if along_x else [wobble, ts])
            lines.append(shapely.LineString(coords))
    return lines


def _pieces(shape: shapely.Geometry, lines: list, rng: np.random.Generator) -> list[shapely.LineString]:
    """Clip the grid to the Stadtteil, cut it at every crossing and keep most of the pieces."""
    noded = ops.unary_union(lines)  # nodes the grid: one piece per block edge
    clipped = shapely.get_parts(shapely.intersection(noded, shape))
    pieces = [p for p in ops.linemerge(list(clipped)).geoms] if len(clipped) else []
    pieces = [g for p in pieces for g in shapely.get_parts(p) if g.geom_type == "LineString" and g.length > 25]
    keep = rng.random(len(pieces)) < KEEP
    return [p for p, k in zip(pieces, keep, strict=True) if k]


def _cut(pieces: list[shapely.LineString], *, target: float) -> list[shapely.LineString]:
    """Cut long merged pieces into streets of about ``target`` metres."""
    streets = []
    for piece in pieces:
        n = max(1, round(piece.length / target))
        edges = np.linspace(0, piece.length, n + 1)
        streets.extend(ops.substring(piece, a, b) for a, b in zip(edges[:-1], edges[1:], strict=True))
    return [s for s in streets if s.length > 25]


def street_network(
    shape: shapely.Geometry, *, length_needed: float, names: list[str], rng: np.random.Generator
) -> list[Street]:
    """Streets of about ``length_needed`` metres in total inside ``shape``, named from ``names``."""
    centre = shape.centroid
    angle = rng.uniform(-40, 40)
    rotated = affinity.rotate(shape, -angle, origin=centre)
    ratio = rng.uniform(1.2, 2.2)
    # Grid length per area is (1 + 1/ratio) / spacing; solve for the spacing that gives the length.
    spacing = float(np.clip(shape.area * (1 + 1 / ratio) * KEEP / max(length_needed, 1.0), GRID_MIN, GRID_MAX))
    pieces = _pieces(rotated, _grid_lines(rotated, spacing=spacing, ratio=ratio, rng=rng), rng)
    total = sum(p.length for p in pieces)
    # Streets of 250-600 m, longer when the name pool would otherwise run out.
    target = max(rng.uniform(250, 600), total / (0.95 * len(names)))
    lines = sorted(_cut(pieces, target=target), key=lambda s: (-round(s.length, 3), s.coords[0]))
    lines = [affinity.rotate(s, angle, origin=centre) for s in lines]
    chosen = [names[i] for i in rng.permutation(len(names))[: len(lines)]]
    # Through-road names (…straße, …allee) to the longest streets, paths and lanes to the short ones.
    chosen.sort(key=lambda n: 0 if any(m in n for m in MAJOR) else 1)
    return [Street(name, line) for name, line in zip(chosen, lines, strict=False)]


def streets_copy(streets: list[Street], *, postcode: str) -> int:
    """Append the streets to the street table with COPY (one MultiLineString each); returns how many.

    Districts are assigned afterwards in SQL (layers.importers.streets.streets_assign_districts).
    """
    table = StreetRow._meta.db_table
    lines = np.array([shapely.MultiLineString([s.line]) for s in streets], dtype=object)
    wkt = shapely.to_wkt(lines, rounding_precision=2, trim=True) if len(lines) else []
    with connection.cursor() as cursor, cursor.connection.cursor() as raw:
        with raw.copy(f"COPY {table} (name, postcode, geom, source, is_demo) FROM STDIN") as copy:
            for street, text in zip(streets, wkt, strict=True):
                copy.write_row((street.name, postcode, f"SRID={SRID};{text}", "Demo data (generated)", True))
    return len(streets)
