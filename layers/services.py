"""Writes to the city's base layers: boundary, Breitbandatlas figures, layer catalogue, the street index."""

from __future__ import annotations

import csv
import json
import logging
from datetime import date
from pathlib import Path

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.db import connection, transaction

from geoportal.errors import ImportFailed, InvalidGeometryError
from layers.models import SRID, BroadbandAtlasValue, District, Layer

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
CITY_DATA = REPO / "data" / "muelheim"


def _as_multipolygon(geom: GEOSGeometry, *, where: str) -> MultiPolygon:
    if not geom.valid:
        geom = geom.make_valid()
    if isinstance(geom, Polygon):
        geom = MultiPolygon(geom, srid=geom.srid)
    if not isinstance(geom, MultiPolygon) or geom.empty:
        raise InvalidGeometryError(f"expected a (multi)polygon, got {geom.geom_type}", where=where)
    return geom


@transaction.atomic
def city_boundary_load(*, path: Path, ags: str, source: str) -> District:
    """Create or update the city (level ``city``) from a GeoJSON holding the municipality with ``AGS``."""
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFailed(f"cannot read the boundary file: {exc}", where=str(path)) from exc
    features = [
        f
        for f in collection.get("features", [])
        if f.get("properties", {}).get("AGS") == ags and f["properties"].get("vg250_ebene", "GEM") == "GEM"
    ]
    if not features:
        raise ImportFailed(f"no feature with AGS {ags}", where=str(path))
    feature = features[0]
    try:
        geom = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
        geom.transform(SRID)
    except (GEOSException, GDALException, ValueError) as exc:
        raise InvalidGeometryError(f"unreadable geometry: {exc}", where=f"{path}, feature AGS {ags}") from exc
    geom = _as_multipolygon(geom, where=f"{path}, feature AGS {ags}")
    city, created = District.objects.update_or_create(
        code=ags,
        defaults={
            "name": feature["properties"].get("GEN", ags),
            "level": District.Level.CITY,
            "parent": None,
            "geom": geom,
            "source": source,
            "is_demo": False,
        },
    )
    logger.info("city boundary %s %s", city.name, "created" if created else "updated")
    return city


@transaction.atomic
def broadband_atlas_load(*, path: Path) -> int:
    """Replace the Breitbandatlas figures with those in the long-format CSV. Returns the row count."""
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for lineno, row in enumerate(csv.DictReader(fh), start=2):
            try:
                value = float(row["value"]) if row["value"] != "" else None
            except (KeyError, TypeError, ValueError) as exc:
                raise ImportFailed(f"value {row.get('value')!r} is not a number", where=f"{path}:{lineno}") from exc
            rows.append(
                BroadbandAtlasValue(
                    source_path=row["source_path"],
                    sheet=row.get("sheet") or "",
                    level=row["level"],
                    ags=row["ags"],
                    period_label=row["period_label"],
                    segment=row["segment"],
                    indicator=row["indicator"],
                    value=value,
                )
            )
    BroadbandAtlasValue.objects.all().delete()
    BroadbandAtlasValue.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


@transaction.atomic
def layer_catalogue_load(*, path: Path) -> int:
    """Create or update the catalogue entries described in a JSON file. Returns the number of entries."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    for entry in entries:
        defaults = dict(entry)
        slug = defaults.pop("slug")
        for key in ("temporal_start", "temporal_end"):
            if defaults.get(key):
                defaults[key] = date.fromisoformat(defaults[key])
        Layer.objects.update_or_create(slug=slug, defaults=defaults)
    return len(entries)


@transaction.atomic
def street_index_rebuild() -> int:
    """Recompute every row of the street index from the addresses; returns the number of rows.

    Not needed after ordinary writes (the address table's triggers keep the index, migration 0007), but
    after a restore with triggers disabled (``pg_restore --disable-triggers``) or a change of the
    normalisation in layers/search.py.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT layers_street_index_rebuild()")
        cursor.execute("SELECT count(*) FROM layers_streetindex")
        return cursor.fetchone()[0]
