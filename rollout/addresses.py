"""Match the addresses a plan names (street + number + postcode, or a point) against the address register.

All lookups of one file happen in two queries, however many rows it has.
"""

from __future__ import annotations

import re

from django.db import connection

from layers.models import SRID, Address
from rollout.readers import Report

# A point further than this from every registered address matches nothing (metres).
POINT_MATCH_RADIUS_M = 25


def street_key(street: str) -> str:
    """'Schloßstraße', 'Schlossstr.' and 'schloss-strasse' give one key."""
    text = street.casefold().replace("ß", "ss")
    text = re.sub(r"(strasse|str\.?)(\b|$)", "str", text)
    return re.sub(r"[\s.\-]+", "", text)


def split_house_number(text: str) -> tuple[int, str] | None:
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]?)\s*", text.removesuffix(".0"))
    return (int(match.group(1)), match.group(2).lower()) if match else None


class AddressMatcher:
    def __init__(self) -> None:
        self.keys: list[tuple[dict, int, tuple]] = []
        self.points: list[tuple[dict, int, float, float]] = []

    def add_key(self, feature: dict, *, row: int, street: str, number: str, postcode: str) -> None:
        feature.setdefault("addresses", [])
        self.keys.append((feature, row, (street_key(street), split_house_number(number), postcode.strip()[:5])))

    def add_point(self, feature: dict, *, row: int, x: float, y: float) -> None:
        feature.setdefault("addresses", [])
        self.points.append((feature, row, x, y))

    def resolve(self, *, report: Report) -> None:
        self._resolve_keys(report)
        self._resolve_points(report)

    def _resolve_keys(self, report: Report) -> None:
        if not self.keys:
            return
        postcodes = {key[2] for _, _, key in self.keys}
        register = {}
        rows = Address.objects.filter(postcode__in=postcodes).values_list(
            "pk", "street", "house_number", "house_number_suffix", "postcode"
        )
        for pk, street, number, suffix, postcode in rows:
            register[(street_key(street), (number, suffix.lower()), postcode)] = pk
        for feature, row, key in self.keys:
            if key in register:
                feature["addresses"].append(register[key])
            else:
                report.error("address not in the register", row=row, field="street/house_number/postcode", value=key)

    def _resolve_points(self, report: Report) -> None:
        if not self.points:
            return
        sql = f"""
            SELECT p.i, (SELECT a.id FROM {Address._meta.db_table} a
                         WHERE ST_DWithin(a.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), {SRID}), %s)
                         ORDER BY a.geom <-> ST_SetSRID(ST_MakePoint(p.x, p.y), {SRID}) LIMIT 1)
            FROM unnest(%s::int[], %s::float8[], %s::float8[]) AS p(i, x, y)
        """
        indexes = list(range(len(self.points)))
        xs = [p[2] for p in self.points]
        ys = [p[3] for p in self.points]
        with connection.cursor() as cursor:
            cursor.execute(sql, [POINT_MATCH_RADIUS_M, indexes, xs, ys])
            found = dict(cursor.fetchall())
        for i, (feature, row, x, y) in enumerate(self.points):
            if found.get(i) is None:
                report.error(
                    "no registered address near this point", row=row, field="lat/lon", value=f"{x:.1f} {y:.1f}"
                )
            else:
                feature["addresses"].append(found[i])
