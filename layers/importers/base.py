"""Shared pieces of the importers: the report, the problem collector, CRS and house-number parsing.

An import reads and validates the whole file first, collecting problems per
row; only a clean file reaches the database, inside one transaction.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geoportal.errors import ImportFailed, UnknownCRSError
from layers.models import SRID, District

Progress = Callable[[int], object]
TARGET_CRS = CRS.from_epsg(SRID)
MAX_PROBLEMS = 100


@dataclass
class ImportReport:
    """What an import did. ``warnings`` are kept even when the import succeeds."""

    path: str
    kind: str
    read: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    deleted_demo: int = 0
    districts_assigned: int = 0
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    encoding: str = ""
    crs: str = ""
    seconds: float = 0.0
    started: float = field(default_factory=time.monotonic, repr=False)

    def finish(self) -> ImportReport:
        self.seconds = round(time.monotonic() - self.started, 3)
        return self

    def summary(self) -> str:
        text = (
            f"{self.kind} from {self.path}: read {self.read}, created {self.created}, updated {self.updated}, "
            f"skipped {self.skipped}, warnings {len(self.warnings)}, {self.seconds:.1f} s"
        )
        read_as = ", ".join(part for part in (self.encoding, self.crs) if part)
        if read_as:
            text += f" (read as {read_as})"
        if self.deleted_demo:
            text += f", {self.deleted_demo} demo rows removed"
        if self.dry_run:
            text += " (dry run: nothing was written)"
        return text


class Problems:
    """Collects per-row problems up to a cap, then fails the import with all of them."""

    def __init__(self, path: Path | str, *, cap: int = MAX_PROBLEMS) -> None:
        self.path = str(path)
        self.cap = cap
        self.items: list[str] = []
        self.total = 0

    def add(self, where: str, message: str) -> None:
        self.total += 1
        if len(self.items) < self.cap:
            self.items.append(f"{self.path}, {where}: {message}")

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        if not self.total:
            return
        listed = list(self.items)
        if self.total > len(listed):
            listed.append(f"... and {self.total - len(listed)} more problems")
        raise ImportFailed(
            f"{self.total} problem(s), nothing was imported:\n  " + "\n  ".join(listed),
            where=self.path,
            problems=listed,
        )


def crs_parse(text: str, *, where: str) -> CRS:
    """A CRS from user input such as ``EPSG:4326``; an UnknownCRSError names what was given."""
    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise UnknownCRSError(
            f"{text!r} is not a coordinate reference system (expected e.g. EPSG:25832 or EPSG:4326)", where=where
        ) from exc


def crs_resolve(file_crs: str | None, *, override: str | None, where: str, warnings: list[str]) -> CRS:
    """The CRS to read a file in: ``--crs`` if given, else the file's own; neither is an error."""
    if override:
        crs = crs_parse(override, where=f"{where}, option --crs")
        if file_crs:
            own = crs_parse(file_crs, where=where)
            if not own.equals(crs):
                warnings.append(f"{where}: file declares {own.to_string()}, read as {crs.to_string()} (--crs)")
        return crs
    if not file_crs:
        raise UnknownCRSError(
            "the file declares no coordinate reference system (or one GDAL cannot read); "
            "pass --crs EPSG:xxxx to say which one it is in",
            where=where,
        )
    return crs_parse(file_crs, where=where)


HOUSE_NUMBER = re.compile(r"^\s*(\d{1,6})\s*(.*?)\s*$")


def house_number_split(text: object) -> tuple[int, str] | None:
    """``"12a"`` -> ``(12, "a")``, ``"7"`` -> ``(7, "")``; None if it does not start with digits."""
    if text is None:
        return None
    match = HOUSE_NUMBER.match(str(text))
    if not match:
        return None
    return int(match.group(1)), match.group(2).lstrip("-/ ").strip()


def city_boundary() -> shapely.Geometry | None:
    """The city's boundary (District level ``city``) as a prepared shapely geometry in EPSG:25832."""
    city = District.objects.filter(level=District.Level.CITY).only("geom").first()
    if city is None:
        return None
    geom = shapely.from_wkb(bytes(city.geom.wkb))
    shapely.prepare(geom)
    return geom
