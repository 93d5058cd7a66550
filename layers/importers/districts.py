"""District import: polygons of any GDAL vector file -> District rows (MultiPolygon, EPSG:25832), atomic."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import ProtectedError

from geoportal.errors import ImportFailed, InvalidInputError
from layers.importers.addresses import addresses_assign_districts
from layers.importers.base import ImportReport, Problems, Progress, city_boundary
from layers.importers.readers import text_value
from layers.importers.streets import streets_assign_districts
from layers.importers.vector import fields_resolve, vector_frame, vector_layers
from layers.models import SRID, District

logger = logging.getLogger(__name__)

POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class DistrictMapping:
    name: str | None = None
    code: str | None = None
    parent_code: str | None = None


NAME_FIELDS = ("name", "gen", "bezeichnung", "stadtteil", "stadtbezirk", "bezirk")
CODE_FIELDS = ("code", "schluessel", "nummer", "nr", "id", "ags")


def polygon_repair(geom: shapely.Geometry, *, where: str, problems: Problems, warnings: list[str]):
    """A MultiPolygon, repaired with make_valid when that yields a polygonal result; None on problems."""
    if geom is None or shapely.is_empty(geom):
        problems.add(f"{where}, field geometry", "geometry is missing or empty (expected a polygon)")
        return None
    if geom.geom_type not in POLYGONAL:
        problems.add(f"{where}, field geometry", f"expected a polygon or multipolygon, got {geom.geom_type}")
        return None
    if not shapely.is_valid(geom):
        reason = shapely.is_valid_reason(geom)
        fixed = shapely.make_valid(geom)
        if fixed.geom_type not in POLYGONAL or shapely.is_empty(fixed):
            problems.add(
                f"{where}, field geometry",
                f"invalid polygon ({reason}) cannot be repaired unambiguously (make_valid gives {fixed.geom_type})",
            )
            return None
        warnings.append(f"{problems.path}, {where}: invalid polygon ({reason}) repaired")
        geom = fixed
    if geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    return geom


def _read(
    path: Path,
    *,
    mapping: DistrictMapping,
    layer: str | None,
    crs: str | None,
    report: ImportReport,
    problems: Problems,
) -> list[dict]:
    records = []
    for name in vector_layers(path, layer=layer, where=str(path)):
        frame, report.crs = vector_frame(path, layer=name, crs=crs, warnings=report.warnings)
        columns = [c for c in frame.columns if c != "geometry"]
        lower = {c.lower(): c for c in columns}
        requested = {"name": mapping.name, "code": mapping.code, "parent_code": mapping.parent_code}
        fields = fields_resolve(list(frame.columns), requested=requested, required=(), where=f"{path}, layer {name}")
        for key, candidates in (("name", NAME_FIELDS), ("code", CODE_FIELDS)):
            fields[key] = fields[key] or next((lower[c] for c in candidates if c in lower), None)
            if fields[key] is None:
                raise ImportFailed(
                    f"no {key} field found (looked for {', '.join(candidates)}); pass --{key}-field; "
                    f"available fields: {', '.join(columns)}",
                    where=f"{path}, layer {name}",
                )
        report.read += len(frame)
        for i, (geom, props) in enumerate(zip(frame.geometry.values, frame.to_dict("records"), strict=True)):
            where = f"feature {i + 1}"
            rec = {key: text_value(props[col]) if col else "" for key, col in fields.items()}
            for key in ("name", "code"):
                if not rec[key]:
                    problems.add(f"feature {i + 1}, field {fields[key]}", f"{key} is empty")
            rec["geom"] = polygon_repair(geom, where=where, problems=problems, warnings=report.warnings)
            rec["where"] = where
            records.append(rec)
    return records


def _outside_city(records: list[dict], *, path: Path, strict: bool, report: ImportReport) -> None:
    boundary = city_boundary()
    if boundary is None:
        report.warnings.append("no city boundary in the database (run load_city): positions were not checked")
        return
    outside = [r for r in records if not shapely.intersects(boundary, shapely.point_on_surface(r["geom"]))]
    if outside and strict:
        problems = Problems(path)
        for r in outside:
            problems.add(f"{r['where']}, field geometry", f"district {r['name']!r} lies outside the city")
        problems.raise_if_any()
    if outside:
        names = ", ".join(r["name"] for r in outside[:5])
        report.warnings.append(
            f"{path}: {len(outside)} district(s) lie outside the city ({names}); use --strict to fail"
        )


DELETE_ORDER = (District.Level.STATISTICAL, District.Level.QUARTER, District.Level.BOROUGH, District.Level.CITY)


def _demo_delete(report: ImportReport) -> None:
    """Delete the demo districts, children before parents (parents are PROTECTed)."""
    for level in DELETE_ORDER:
        try:
            deleted, _ = District.objects.filter(is_demo=True, level=level).delete()
        except ProtectedError as exc:
            names = ", ".join(sorted({str(obj) for obj in exc.protected_objects})[:5])
            raise ImportFailed(
                f"demo districts cannot be removed: real districts ({names}) have them as parent",
                where="--replace-demo",
            ) from exc
        report.deleted_demo += deleted


def _write(records: list[dict], *, level: str, parent: str | None, source: str, report: ImportReport) -> None:
    codes_in_file = {r["code"] for r in records}
    for rec in records:
        geom = GEOSGeometry(memoryview(shapely.to_wkb(rec["geom"])), srid=SRID)
        _, created = District.objects.update_or_create(
            code=rec["code"],
            defaults={"name": rec["name"], "level": level, "geom": geom, "source": source, "is_demo": False},
        )
        report.created += created
        report.updated += not created
    known = dict(
        District.objects.filter(
            code__in=codes_in_file | {r["parent_code"] for r in records} | ({parent} if parent else set())
        ).values_list("code", "pk")
    )
    problems = Problems(report.path)
    for rec in records:
        parent_code = rec["parent_code"] or parent
        if not parent_code:
            continue
        if parent_code not in known:
            problems.add(f"{rec['where']}, field parent", f"parent district {parent_code!r} does not exist")
            continue
        District.objects.filter(code=rec["code"]).update(parent_id=known[parent_code])
    problems.raise_if_any()


def districts_import(
    *,
    path: Path,
    level: str,
    mapping: DistrictMapping | None = None,
    parent: str | None = None,
    layer: str | None = None,
    crs: str | None = None,
    strict: bool = False,
    replace_demo: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Create or update districts (by code) from a vector file; atomic. Reassigns addresses and streets to districts.

    ``replace_demo`` deletes the demo districts (``is_demo``) in the same transaction.
    """
    path = Path(path)
    report = ImportReport(path=str(path), kind="districts", dry_run=dry_run)
    if level not in District.Level.values:
        raise InvalidInputError(f"level {level!r} is not one of {', '.join(District.Level.values)}", where="--level")
    if level == District.Level.CITY and (parent or (mapping and mapping.parent_code)):
        raise InvalidInputError("a district of level city cannot have a parent", where="--parent")
    if not path.exists():
        raise ImportFailed("no such file", where=str(path))
    problems = Problems(path)
    records = _read(path, mapping=mapping or DistrictMapping(), layer=layer, crs=crs, report=report, problems=problems)
    seen: dict[str, str] = {}
    for rec in records:
        if rec["code"] in seen:
            problems.add(f"{rec['where']}, field code", f"code {rec['code']!r} already used by {seen[rec['code']]}")
        seen[rec["code"]] = rec["where"]
    problems.raise_if_any()
    _outside_city(records, path=path, strict=strict, report=report)
    if progress:
        progress(len(records))
    try:
        with transaction.atomic():
            if replace_demo:
                _demo_delete(report)
            _write(records, level=level, parent=parent, source=str(path.name), report=report)
            report.districts_assigned = addresses_assign_districts()
            streets_assign_districts()
            if dry_run:
                transaction.set_rollback(True)
    except IntegrityError as exc:
        raise ImportFailed(
            f"the database refused the districts (duplicate name on this level?): {exc}", where=str(path)
        ) from exc
    except DatabaseError as exc:
        raise ImportFailed(f"the database refused the import, nothing was written: {exc}", where=str(path)) from exc
    logger.info("%s", report.finish().summary())
    return report
