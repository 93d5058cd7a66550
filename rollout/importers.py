"""Turn a provider's rows into validated plan features, and say precisely what is wrong where.

Input: a RawTable from rollout.readers (numpy columns) and a field mapping (canonical field → the
provider's column). Output: rollout.features.PlanFeatures, the validated features by column (geometry as
hex EWKB in EPSG:25832, coordinates rounded to millimetres, or a list of address ids), which
rollout.pipeline stages and diffs. Every problem goes into the Report with its row, field, value and
what was expected; an error anywhere makes the file invalid.

Clean data is handled by column: each distinct combination of attribute values is checked once, clean
polygons inside the city are checked and serialised over shapely arrays, and such rows never become a
dict. Every row with a problem (or with addresses) takes the per-row path in file order, so the report
is the same as if every row had been checked one by one.
"""

from __future__ import annotations

import operator
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd
import shapely
from django.utils import timezone
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from layers.models import SRID
from rollout.addresses import AddressMatcher
from rollout.features import PlanFeatures
from rollout.readers import RawTable, Report
from rollout.stages import FUTURE_STAGES, Funding, Stage
from rollout.vocabulary import (
    FUNDING_SYNONYMS,
    STAGE_SYNONYMS,
    TARGET_GROUP_SYNONYMS,
    TECHNOLOGY_SYNONYMS,
    expected_end,
    map_value,
    normalise,
    parse_expected,
)

# Column names providers commonly use for each canonical field; a saved FieldMapping takes precedence.
COLUMN_SYNONYMS: dict[str, list[str]] = {
    "key": ["key", "id", "area_id", "gebiet_id", "gebiet", "cluster", "cluster_id"],
    "name": ["name", "bezeichnung"],
    "stage": ["stage", "status", "phase", "ausbaustatus"],
    "technology": ["technology", "technologie", "tech"],
    "expected": ["expected", "quarter", "quartal", "date", "datum", "fertigstellung", "completion"],
    "max_down": ["max_down", "down", "download", "downstream"],
    "max_up": ["max_up", "up", "upload", "upstream"],
    "quota": ["quota", "quote"],
    "quota_deadline": ["quota_deadline", "deadline", "frist"],
    "cancel_reason": ["cancel_reason", "reason", "grund"],
    "funding": ["funding", "foerderung", "förderung", "finanzierung"],
    "subsidy_programme": ["subsidy_programme", "programme", "program", "programm", "foerderprogramm"],
    "connection_fee": ["connection_fee", "fee", "anschlussgebuehr", "anschlussgebühr"],
    "target_group": ["target_group", "zielgruppe", "segment"],
    "street": ["street", "strasse", "straße"],
    "house_number": ["house_number", "hausnummer", "hnr"],
    "postcode": ["postcode", "plz", "zip"],
    "wkt": ["wkt", "geometry", "geom", "the_geom"],
    "lat": ["lat", "latitude", "breite"],
    "lon": ["lon", "lng", "longitude", "laenge", "länge"],
}
CANONICAL_FIELDS = tuple(COLUMN_SYNONYMS)


def resolve_mapping(columns: list[str], mapping: dict[str, str] | None) -> dict[str, str]:
    """Canonical field → column present in the file: the given mapping first, then the common names."""
    by_normalised = {normalise(c): c for c in columns}
    resolved = {}
    for canonical, spellings in COLUMN_SYNONYMS.items():
        wanted = (mapping or {}).get(canonical)
        if wanted and wanted in columns:
            resolved[canonical] = wanted
            continue
        for spelling in spellings:
            if normalise(spelling) in by_normalised:
                resolved[canonical] = by_normalised[normalise(spelling)]
                break
    return resolved


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value != value  # NaN != NaN


class FeatureValidator:
    """Validates one table; one instance per submission."""

    def __init__(self, table: RawTable, *, mapping: dict[str, str], city: shapely.Geometry, report: Report) -> None:
        self.table = table
        self.columns = mapping
        self.city = city
        shapely.prepare(city)  # many features test against the same boundary
        self.report = report
        self.today = timezone.localdate()
        self.transformer = None
        self.identity = False
        self.matcher = AddressMatcher()
        # Row number → (hex EWKB, intersects the city, inside the city) for the common, clean polygons.
        self.clean: dict[int, tuple[str, bool, bool]] = {}

    def value(self, row: dict, canonical: str) -> Any:
        column = self.columns.get(canonical)
        value = row.get(column) if column else None
        return None if _blank(value) else value

    def run(self) -> PlanFeatures:
        """Validate every row; the validated features by column (problems in the report, in row order)."""
        if not self._prepare_geometry_source():
            return PlanFeatures.empty()
        size = len(self.table)
        fast_rows, fast_geoms = self._clean_polygons()
        # A row's attributes (all but key and name) depend only on its values of the attribute columns: each
        # distinct combination is checked once, on its first row. Rows of a clean combination with a clean
        # polygon inside the city are done (no dict, no report entry); every other row takes the per-row path
        # in file order, which reports each problem with its row as before.
        codes, firsts = self._attribute_combinations()
        templates = [self._template(int(first)) for first in firsts]
        good = np.fromiter((t is not None for t in templates), dtype=bool, count=len(templates))
        fast = np.zeros(size, dtype=bool)
        fast[fast_rows] = True
        fast &= good[codes]
        slow: list[dict] = []
        keys, names = self._keys_and_names(np.flatnonzero(~fast))
        for i, key, name in zip(np.flatnonzero(~fast).tolist(), keys, names, strict=True):
            index = i + 1
            row = self.table.row(i)
            template = templates[codes[i]]
            feature = {"row": index, "key": key, "name": name, **template} if template is not None else None
            if feature is None:
                feature = self._attributes(row, index)
            if self._place(row, index, feature) and feature is not None:
                slow.append(feature)
        self.matcher.resolve(report=self.report)
        order = np.flatnonzero(fast)
        keys, names = self._keys_and_names(order)
        kept = PlanFeatures(
            rows=(order + 1).tolist(),
            keys=keys,
            names=names,
            codes=codes[order],
            attributes=[t if t is not None else {} for t in templates],  # (no fast row has a bad one)
            geoms=fast_geoms[fast[fast_rows]].tolist() if len(order) else [],
            addresses=[None] * len(order),
        )
        if slow:
            kept = PlanFeatures.concat([kept, PlanFeatures.from_dicts(slow)]).by_row()
        return _group_address_rows(kept, report=self.report)

    def _attribute_combinations(self) -> tuple[np.ndarray, np.ndarray]:
        """Per row the number of its combination of attribute values; per combination its first row (0-based).

        Values and their types count (1, 1.0 and True are equal as keys but need not validate alike); all
        missing values (None, NaN, NaT) are one value.
        """
        size = len(self.table)
        combined = np.zeros(size, dtype=np.int64)
        for field in _ATTRIBUTE_FIELDS:
            column = self.columns.get(field)
            if column is None or column not in self.table.data:
                continue
            values = self.table.data[column]
            parts = [pd.factorize(values, use_na_sentinel=False)[0]]
            if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
                parts.append(pd.factorize(np.fromiter(map(type, values), dtype=object, count=size))[0])
            for codes in parts:
                combined = pd.factorize(combined * (int(codes.max(initial=0)) + 1) + codes)[0]
        _, firsts, codes = np.unique(combined, return_index=True, return_inverse=True)
        return codes.reshape(-1), firsts

    def _template(self, index0: int) -> dict | None:
        """The checked attributes of row ``index0`` without row, key and name; None if any is wrong."""
        report, self.report = self.report, Report()
        try:
            feature = self._attributes(self.table.row(index0), index0 + 1)
        finally:
            self.report = report
        if feature is None:
            return None
        return {k: v for k, v in feature.items() if k not in ("row", "key", "name")}

    def _keys_and_names(self, rows: np.ndarray) -> tuple[list[str], list[str]]:
        """Key (``row-N`` when blank) and name of the rows ``rows`` (0-based), as _attributes makes them."""
        keys, blank = self._text(self.columns.get("key"), rows, strip=True)
        for i in np.flatnonzero(blank).tolist():
            keys[i] = f"row-{rows[i] + 1}"
        names, _ = self._text(self.columns.get("name"), rows, strip=False)
        return keys, [n[:200] for n in names] if max(map(len, names), default=0) > 200 else names

    def _text(self, column: str | None, rows: np.ndarray, *, strip: bool) -> tuple[list[str], np.ndarray]:
        """``str(value)`` (stripped if ``strip``) of ``column`` at ``rows``, "" for blanks, and which are blank."""
        if column is None or column not in self.table.data:
            return [""] * len(rows), np.ones(len(rows), dtype=bool)
        values = self.table.data[column][rows]
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            # The common case, checked in bulk: text or nothing, usually without surrounding spaces.
            missing = pd.isna(values)
            text = values.tolist() if not missing.any() else np.where(missing, "", values).tolist()
            stripped = list(map(str.strip, text))
            blank = np.fromiter(map(operator.not_, stripped), dtype=bool, count=len(stripped))
            if strip:
                return stripped, blank
            if blank.any():
                text = [t if not b else "" for t, b in zip(text, blank.tolist(), strict=True)]
            return text, blank
        python = values.tolist()
        blank = np.fromiter(map(_blank, python), dtype=bool, count=len(python))
        # As _attributes: str(key).strip(), str(name or "") (a name of 0 or False is no name).
        text = ["" if b or not (strip or v) else str(v) for v, b in zip(python, blank.tolist(), strict=True)]
        return ([t.strip() for t in text] if strip else text), blank

    # -- geometry -------------------------------------------------------------------------------------------

    def _prepare_geometry_source(self) -> bool:
        """Work out where geometries come from and set up the CRS transformation; False if impossible."""
        has_geoms = self.table.spatial
        crs = self.table.crs
        if not has_geoms and "wkt" in self.columns:
            crs = self.columns.get("crs") or crs
        elif not has_geoms and {"lat", "lon"} <= self.columns.keys():
            crs = "EPSG:4326"
        elif not has_geoms:
            if not {"street", "house_number", "postcode"} <= self.columns.keys():
                self.report.error(
                    "no geometry and no address columns",
                    field="file",
                    expected="polygons, a WKT column, lat/lon columns or street + house_number + postcode",
                )
                return False
            return True
        if crs is None:
            self.report.error("missing coordinate reference system", field="crs", expected="e.g. EPSG:25832")
            return False
        try:
            source = CRS.from_user_input(crs)
        except CRSError:
            self.report.error("unknown coordinate reference system", field="crs", value=crs, expected="an EPSG code")
            return False
        self.transformer = Transformer.from_crs(source, CRS.from_epsg(SRID), always_xy=True)
        self.identity = source == CRS.from_epsg(SRID)  # most files come in the city's CRS: nothing to transform
        return True

    def _clean_polygons(self) -> tuple[np.ndarray, np.ndarray]:
        """Transform, check and serialise all of the file's polygons at once (GEOS and PROJ over arrays).

        Only geometries that need no report entry of their own (non-empty, polygonal, valid, finite after
        transformation, with an area) are handled here; every other row takes the per-row path in _place,
        so reports are the same either way. Returns the rows (0-based) of clean polygons inside the city and
        their hex EWKB; clean polygons that reach outside the city go to ``self.clean`` for _place to report.
        """
        none = np.zeros(0, dtype=np.intp), np.zeros(0, dtype=object)
        if self.transformer is None or not self.table.spatial:
            return none
        geoms = np.asarray(self.table.geoms, dtype=object)
        rows = np.flatnonzero(shapely.is_geometry(geoms))
        geoms = geoms[rows]
        keep = ~shapely.is_empty(geoms) & np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
        rows, geoms = rows[keep], geoms[keep]
        if not len(rows):
            return none
        if not self.identity:
            geoms = shapely.transform(geoms, lambda xy: _stack(self.transformer.transform(xy[:, 0], xy[:, 1])))
        coords, owner = shapely.get_coordinates(geoms, return_index=True)
        broken = np.zeros(len(geoms), dtype=bool)
        broken[owner[~np.isfinite(coords).all(axis=1)]] = True
        keep = ~broken & shapely.is_valid(geoms)
        keep[keep] = shapely.area(geoms[keep]) > 0
        rows, geoms = rows[keep], geoms[keep]
        if not len(rows):
            return none
        inside = shapely.contains(self.city, geoms)
        wkb = np.asarray(_ewkb(geoms), dtype=object)
        for r, w in zip(rows[~inside].tolist(), wkb[~inside].tolist(), strict=True):
            self.clean[r + 1] = (w, False, False)
        if not inside.all():
            intersects = shapely.intersects(self.city, geoms[~inside])
            for r, i in zip(rows[~inside].tolist(), intersects.tolist(), strict=True):
                self.clean[r + 1] = (self.clean[r + 1][0], i, False)
        return rows[inside], wkb[inside]

    def _geometry_of(self, row: dict, index: int) -> shapely.Geometry | None:
        geom = self.table.geoms[index - 1]
        if geom is None and "wkt" in self.columns:
            text = self.value(row, "wkt")
            try:
                geom = shapely.from_wkt(text) if text else None
            except shapely.errors.GEOSException:
                self.report.error("unreadable WKT", row=index, field="wkt", value=text, expected="WKT polygon")
                return None
        if geom is None and self.value(row, "lat") is not None:
            try:
                geom = shapely.Point(float(self.value(row, "lon")), float(self.value(row, "lat")))
            except (TypeError, ValueError):
                self.report.error("unreadable coordinates", row=index, field="lat/lon", expected="decimal degrees")
                return None
        return geom

    def _place(self, row: dict, index: int, feature: dict | None) -> bool:
        """Attach a polygon or addresses to ``feature``; report and return False when neither works."""
        if self.transformer is None:
            return self._place_by_address(row, index, feature)
        if index in self.clean:
            return self._place_clean(index, feature)
        geom = self._geometry_of(row, index)
        if geom is None or geom.is_empty:
            self.report.error("empty geometry", row=index, field="geometry", expected="a polygon")
            return False
        geom = shapely.transform(geom, lambda xy: _stack(self.transformer.transform(xy[:, 0], xy[:, 1])))
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            # GDAL falls back to WGS 84 for a CRS it does not know; metre coordinates then do not transform.
            self.report.error(
                "coordinates do not fit the coordinate reference system",
                row=index,
                field="crs",
                value=self.table.crs,
                expected="the CRS the coordinates are in, e.g. EPSG:25832",
            )
            return False
        if isinstance(geom, shapely.Point):
            return self._place_by_point(geom, index, feature)
        geom = self._repair(geom, index)
        if geom is None:
            return False
        if not geom.intersects(self.city):
            self.report.error("feature lies outside the city", row=index, field="geometry", expected="within the city")
            return False
        if not self.city.contains(geom):
            self.report.warning("feature extends beyond the city", row=index, field="geometry")
        if feature is not None:
            feature["geom"] = _ewkb(geom)
        return True

    def _place_clean(self, index: int, feature: dict | None) -> bool:
        wkb, intersects, inside = self.clean[index]
        if not intersects:
            self.report.error("feature lies outside the city", row=index, field="geometry", expected="within the city")
            return False
        if not inside:
            self.report.warning("feature extends beyond the city", row=index, field="geometry")
        if feature is not None:
            feature["geom"] = wkb
        return True

    def _repair(self, geom: shapely.Geometry, index: int) -> shapely.MultiPolygon | None:
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            geom = shapely.make_valid(geom)
            self.report.warning("invalid geometry repaired", row=index, field="geometry", value=reason)
        polygons = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)]
        parts = [part for p in polygons for part in shapely.get_parts(p)]
        if not parts or shapely.MultiPolygon(parts).area == 0:
            self.report.error("not a polygon", row=index, field="geometry", value=geom.geom_type, expected="polygon")
            return None
        return shapely.MultiPolygon(parts)

    def _place_by_point(self, point: shapely.Point, index: int, feature: dict | None) -> bool:
        if feature is not None:
            self.matcher.add_point(feature, row=index, x=point.x, y=point.y)
        return True

    def _place_by_address(self, row: dict, index: int, feature: dict | None) -> bool:
        street, number, postcode = (self.value(row, f) for f in ("street", "house_number", "postcode"))
        if street is None or number is None or postcode is None:
            self.report.error("incomplete address", row=index, field="street/house_number/postcode")
            return False
        if feature is not None:
            self.matcher.add_key(feature, row=index, street=str(street), number=str(number), postcode=str(postcode))
        return True

    # -- attributes -----------------------------------------------------------------------------------------

    def _attributes(self, row: dict, index: int) -> dict | None:
        """The feature's attributes, or None when any of them is wrong (each reported)."""
        errors_before = self.report.error_count
        key = self.value(row, "key")
        feature = {
            "row": index,
            "key": str(key).strip() if key is not None else f"row-{index}",
            "name": str(self.value(row, "name") or "")[:200],
            "stage": self._mapped(row, index, "stage", STAGE_SYNONYMS),
            "technology": self._mapped(row, index, "technology", TECHNOLOGY_SYNONYMS),
            "funding": self._mapped(row, index, "funding", FUNDING_SYNONYMS, default=Funding.OWN),
            "target_group": self._mapped(row, index, "target_group", TARGET_GROUP_SYNONYMS, default="residential"),
            "subsidy_programme": str(self.value(row, "subsidy_programme") or "")[:200],
            "cancel_reason": str(self.value(row, "cancel_reason") or ""),
            "max_down_mbits": self._number(row, index, "max_down"),
            "max_up_mbits": self._number(row, index, "max_up"),
            "quota_percent": self._number(row, index, "quota", upper=100),
            "connection_fee_eur": self._fee(row, index),
        }
        self._dates(row, index, feature)
        self._stage_rules(index, feature)
        errors_after = self.report.error_count
        return feature if errors_after == errors_before else None

    def _mapped(self, row: dict, index: int, field: str, table: dict, default: str | None = None) -> str | None:
        value = self.value(row, field)
        if value is None:
            if default is None:
                self.report.error(f"missing {field}", row=index, field=field, expected="a value")
            return default
        try:
            return map_value(value, table, what=field)
        except ValueError as exc:
            self.report.error(f"unknown {field}", row=index, field=field, value=value, expected=str(exc))
            return None

    def _number(self, row: dict, index: int, field: str, upper: int | None = None) -> int | None:
        value = self.value(row, field)
        if value is None:
            return None
        try:
            number = int(float(str(value).replace(",", ".")))
        except ValueError:
            number = -1
        if number < 0 or (upper is not None and number > upper):
            expected = f"a whole number from 0 to {upper}" if upper else "a whole number ≥ 0"
            self.report.error(f"invalid {field}", row=index, field=field, value=value, expected=expected)
            return None
        return number

    def _fee(self, row: dict, index: int) -> str | None:
        value = self.value(row, "connection_fee")
        if value is None:
            return None
        try:
            fee = Decimal(str(value).replace("€", "").replace(",", ".").strip())
        except InvalidOperation:
            fee = Decimal(-1)
        if fee < 0:
            self.report.error("invalid connection fee", row=index, field="connection_fee", value=value, expected="€")
            return None
        return str(fee.quantize(Decimal("0.01")))

    def _dates(self, row: dict, index: int, feature: dict) -> None:
        for field, target in (("expected", "expected"), ("quota_deadline", "quota_deadline")):
            feature[f"{target}_date"] = None
            value = self.value(row, field)
            if value is None:
                continue
            try:
                when, precision = parse_expected(value)
            except ValueError as exc:
                self.report.error(f"unparseable {field}", row=index, field=field, value=value, expected=str(exc))
                continue
            feature[f"{target}_date"] = when.isoformat()
            if target == "expected":
                feature["expected_precision"] = precision
            # A sign-up deadline only has to lie ahead while the area is still in pre-marketing.
            ahead = (Stage.PRE_MARKETING,) if target == "quota_deadline" else FUTURE_STAGES
            if feature["stage"] in ahead and expected_end(when, precision) < self.today:
                self.report.error(
                    f"{field} lies in the past", row=index, field=field, value=value, expected="today or later"
                )

    def _stage_rules(self, index: int, feature: dict) -> None:
        stage = feature["stage"]
        if stage == Stage.PLANNED and feature["expected_date"] is None:
            self.report.error("a planned area needs its quarter", row=index, field="expected", expected="Q3/2027")
        if stage == Stage.PRE_MARKETING and (
            feature["quota_percent"] is None or feature["quota_deadline_date"] is None
        ):
            self.report.error("pre-marketing needs a sign-up quota and deadline", row=index, field="quota")
        if stage == Stage.CANCELLED and not feature["cancel_reason"]:
            self.report.error("a cancelled area needs a reason", row=index, field="cancel_reason")
        if feature["funding"] == Funding.SUBSIDY and not feature["subsidy_programme"]:
            self.report.error("subsidised areas name their programme", row=index, field="subsidy_programme")


# The canonical fields FeatureValidator._attributes reads besides key and name.
_ATTRIBUTE_FIELDS = (
    "stage",
    "technology",
    "funding",
    "target_group",
    "subsidy_programme",
    "cancel_reason",
    "max_down",
    "max_up",
    "quota",
    "connection_fee",
    "expected",
    "quota_deadline",
)


def _ewkb(geoms: Any) -> Any:
    """Hex EWKB MultiPolygons in EPSG:25832 with coordinates rounded to millimetres (one geometry or an array).

    Hex EWKB is what PostGIS reads fastest from COPY (no WKT parsing); rounding keeps a file's float noise
    out of stored areas and diffs. Written with numpy from the coordinate and offset arrays of
    ``shapely.to_ragged_array`` (the same bytes as rounding, ``multipolygons`` and ``to_wkb`` per geometry,
    at a fraction of the cost). Polygons and MultiPolygons only.
    """
    single = isinstance(geoms, shapely.Geometry)
    geoms = np.asarray([geoms] if single else geoms, dtype=object)
    # Most plans are polygons without holes: their one ring is all their coordinates (no ring objects needed).
    simple = (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    if simple.all():
        hexes = _ewkb_arrays(
            shapely.get_coordinates(geoms),
            np.concatenate(([0], np.cumsum(shapely.get_num_coordinates(geoms)))),
            np.arange(len(geoms) + 1),
            np.arange(len(geoms) + 1),
        )
    elif not simple.any():
        kind, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
        if kind == shapely.GeometryType.POLYGON:
            offsets = (*offsets, np.arange(len(offsets[1])))
        hexes = _ewkb_arrays(coords, *offsets)
    else:
        hexes = np.empty(len(geoms), dtype=object)
        hexes[simple] = _ewkb(geoms[simple])
        hexes[~simple] = _ewkb(geoms[~simple])
        hexes = hexes.tolist()
    return hexes[0] if single else hexes


def _ewkb_arrays(
    coords: np.ndarray, ring_offsets: np.ndarray, polygon_offsets: np.ndarray, geom_offsets: np.ndarray
) -> list[str]:
    """Hex EWKB MultiPolygons from ragged arrays (``shapely.to_ragged_array``'s layout for MultiPolygons)."""
    if len(geom_offsets) < 2:
        return []
    points = np.diff(ring_offsets)  # per ring
    rings = np.diff(polygon_offsets)  # per polygon
    polygons = np.diff(geom_offsets)  # per geometry
    # Byte sizes: ring = count + points; polygon = order + type + count + rings; geometry = order + type +
    # SRID + count + polygons. Cumulative sums give each part's start.
    ring_end = np.concatenate(([0], np.cumsum(4 + 16 * points)))
    polygon_size = 9 + ring_end[polygon_offsets[1:]] - ring_end[polygon_offsets[:-1]]
    polygon_end = np.concatenate(([0], np.cumsum(polygon_size)))
    geom_size = 13 + polygon_end[geom_offsets[1:]] - polygon_end[geom_offsets[:-1]]
    geom_start = np.concatenate(([0], np.cumsum(geom_size)))
    polygon_geom = np.repeat(np.arange(len(polygons)), polygons)
    polygon_start = geom_start[polygon_geom] + 13 + polygon_end[:-1] - polygon_end[geom_offsets[:-1]][polygon_geom]
    ring_polygon = np.repeat(np.arange(len(rings)), rings)
    ring_start = polygon_start[ring_polygon] + 9 + ring_end[:-1] - ring_end[polygon_offsets[:-1]][ring_polygon]
    out = np.empty(int(geom_start[-1]), dtype=np.uint8)
    headers = [
        _put(out, geom_start[:-1], np.uint8(1), 0x20000006, SRID, polygons),  # little endian, MultiPolygon, SRID
        _put(out, polygon_start, np.uint8(1), 3, rings),
        _put(out, ring_start, points),
    ]
    # Everything that is not a header is coordinates, in the order of ``coords``.
    is_coordinate = np.ones(len(out), dtype=bool)
    for positions in headers:
        is_coordinate[positions] = False
    out[is_coordinate] = np.round(coords, 3).astype("<f8").view(np.uint8).reshape(-1)
    text = out.tobytes().hex()
    bounds = (2 * geom_start).tolist()
    return [text[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _put(out: np.ndarray, starts: np.ndarray, *fields: Any) -> np.ndarray:
    """Write consecutive little-endian fields (one uint8, else uint32; scalars or one per start) at ``starts``.

    Returns the positions written."""
    parts = []
    for value in fields:
        if isinstance(value, np.uint8):
            parts.append(np.broadcast_to(np.asarray(value, dtype=np.uint8).reshape(1, 1), (len(starts), 1)))
        else:
            data = np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype="<u4"), starts.shape))
            parts.append(data.view(np.uint8).reshape(-1, 4))
    data = np.hstack(parts)
    positions = starts[:, None] + np.arange(data.shape[1])
    out[positions] = data
    return positions


def ewkt(geom: str) -> str:
    """A validated feature's geometry (hex EWKB) as EWKT, for the JSON kept on small submissions."""
    return f"SRID={SRID};{shapely.to_wkt(shapely.from_wkb(geom), rounding_precision=3)}"


def _stack(xy: tuple) -> Any:
    return np.column_stack(xy)


ATTRIBUTES = (
    "stage",
    "technology",
    "funding",
    "target_group",
    "subsidy_programme",
    "cancel_reason",
    "max_down_mbits",
    "max_up_mbits",
    "quota_percent",
    "connection_fee_eur",
    "expected_date",
    "quota_deadline_date",
)


def _group_address_rows(features: PlanFeatures, *, report: Report) -> PlanFeatures:
    """Rows that name addresses form one area per key; polygon rows must have unique keys and shapes.

    Only rows that can interact (address-list rows, repeated keys, repeated geometries) go through the
    row-by-row grouping; the others pass as they are.
    """
    if not len(features):
        return features
    involved = np.zeros(len(features), dtype=bool)
    if len(set(features.keys)) < len(features):
        involved |= pd.Series(features.keys, dtype=object).duplicated(keep=False).to_numpy()
    if len(set(features.geoms)) < len(features):  # (several None count once: address lists are added below)
        geoms = pd.Series(features.geoms, dtype=object)
        involved |= (geoms.duplicated(keep=False) & geoms.notna()).to_numpy()
    if features.addresses.count(None) < len(features):
        involved |= np.fromiter((a is not None for a in features.addresses), dtype=bool, count=len(features))
    if not involved.any():
        return features
    grouped = PlanFeatures.from_dicts(_group_rows(features.take(np.flatnonzero(involved)).dicts(), report=report))
    return PlanFeatures.concat([features.take(np.flatnonzero(~involved)), grouped]).by_row()


def _group_rows(features: list[dict], *, report: Report) -> list[dict]:
    """Rows that name addresses form one area per key; polygon rows must have unique keys and shapes."""
    grouped: dict[str, dict] = {}
    first_with_geom: dict[str, dict] = {}  # geometry → the first kept feature with it
    shapes: dict[tuple, int] = {}  # (geometry, attributes) → row, only for geometries that occur more than once
    for feature in features:
        key = feature["key"]
        if "addresses" in feature and key in grouped and "addresses" in grouped[key]:
            first = grouped[key]
            if any(first.get(a) != feature.get(a) for a in ATTRIBUTES):
                report.error("attributes differ from the area's first row", row=feature["row"], field="key", value=key)
            first["addresses"] = sorted(set(first["addresses"]) | set(feature["addresses"]))
            continue
        if key in grouped:
            report.error("duplicate feature key", row=feature["row"], field="key", value=key, expected="unique keys")
            continue
        geom = feature.get("geom")
        if geom:
            # Attributes are compared only among rows with the same geometry (hashing them for every row
            # of a large plan cost more than the rest of the grouping).
            first = first_with_geom.setdefault(geom, feature)
            if first is not feature:
                shapes.setdefault(_shape(first), first["row"])
                shape = _shape(feature)
                if shape in shapes:
                    report.error(
                        "duplicate feature", row=feature["row"], field="geometry", value=f"same as row {shapes[shape]}"
                    )
                    continue
                shapes[shape] = feature["row"]
        grouped[key] = feature
    return list(grouped.values())


def _shape(feature: dict) -> tuple:
    return (feature["geom"], *(feature.get(a) for a in ATTRIBUTES))
