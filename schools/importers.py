"""Load the city's schools from the official NRW school master data (MSB Schulgrunddaten)
and join the newer IT.NRW 2024/25 attributes (pupils, social index, Startchancen) on Schulnummer."""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.db.models.functions import Area
from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import OuterRef, Subquery

from geoportal.errors import ImportFailed
from layers.models import District
from schools.models import School

logger = logging.getLogger(__name__)

MSB_SOURCE = "MSB NRW, Schulgrunddaten (Stand 09/2021), dl-de/by-2-0"


@dataclass
class SchoolImportReport:
    created: int = 0
    updated: int = 0
    joined: int = 0
    warnings: list[str] = field(default_factory=list)


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(float(text)) if text not in (None, "") else None
    except ValueError:
        return None


@transaction.atomic
def schools_load(*, msb_geojson: Path, itnrw_csv: Path | None = None) -> SchoolImportReport:
    """Create or update schools; positions from the official UTM coordinates (EPSG:25832)."""
    report = SchoolImportReport()
    try:
        features = json.loads(msb_geojson.read_text(encoding="utf-8"))["features"]
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise ImportFailed(f"cannot read school data: {exc}", where=str(msb_geojson)) from exc

    extra: dict[str, dict] = {}
    if itnrw_csv is not None:
        with itnrw_csv.open(encoding="utf-8", newline="") as fh:
            extra = {row["Schulnummer"]: row for row in csv.DictReader(fh)}

    for index, feature in enumerate(features, start=1):
        p = feature["properties"]
        where = f"{msb_geojson.name}, feature {index} (Schulnummer {p.get('Schulnummer')})"
        if p.get("EPSG") != "EPSG:25832":
            raise ImportFailed(f"expected EPSG:25832 coordinates, got {p.get('EPSG')!r}", where=where)
        try:
            point = Point(float(p["UTMRechtswert"]), float(p["UTMHochwert"]), srid=25832)
        except (KeyError, TypeError, ValueError) as exc:
            raise ImportFailed("missing or non-numeric UTMRechtswert/UTMHochwert", where=where) from exc
        name = " ".join(part for part in (p.get(f"Schulbezeichnung_{i}") or "" for i in (1, 2, 3)) if part).strip()
        defaults = {
            "name": name,
            "short_name": p.get("Kurzbezeichnung") or "",
            "school_type": p.get("Schulform_Bezeichnung") or "Schulamt",
            "school_type_code": p.get("Schulform") or "",
            "street": p.get("Strasse") or "",
            "postcode": p.get("PLZ") or "",
            "city": p.get("Ort") or "",
            "geom": point,
            "legal_status": p.get("Rechtsform_Bezeichnung") or "",
            "website": p.get("Homepage") or "",
            "email": p.get("E-Mail") or "",
            "is_school": p.get("Schulform") != "0A",
            "source": MSB_SOURCE,
        }
        row = extra.get(p["Schulnummer"])
        if row:
            report.joined += 1
            defaults.update(
                pupils=_int_or_none(row.get("Anzahl")),
                pupils_school_year=row.get("Schuljahr") or "",
                social_index=_int_or_none(row.get("Sozialindex")),
                startchancen=row.get("Startchancen-Schule") == "1",
            )
        _, created = School.objects.update_or_create(school_number=p["Schulnummer"], defaults=defaults)
        if created:
            report.created += 1
        else:
            report.updated += 1
    missing = set(extra) - {f["properties"]["Schulnummer"] for f in features}
    for number in sorted(missing):
        report.warnings.append(f"Schulnummer {number} of the 2024/25 list is not in the official register")
    schools_assign_districts()
    return report


def schools_assign_districts() -> int:
    """Set every school's district to the smallest district containing it (one SQL statement)."""
    smallest = (
        District.objects.filter(geom__contains=OuterRef("geom"))
        .exclude(level=District.Level.CITY)
        .annotate(area=Area("geom"))
        .order_by("area")
        .values("pk")[:1]
    )
    return School.objects.update(district=Subquery(smallest))
