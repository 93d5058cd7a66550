"""Readers: turn a file into validated address or district rows, collecting problems per row.

Two address sources:

* the house-coordinate text format of the German surveying authorities
  ("Hauskoordinaten Deutschland", HK-DE, distributed for NRW by Geobasis NRW /
  Bezirksregierung Köln as the Zentrale Stelle Hauskoordinaten und Hausumringe).
  Layout per the AdV "Datenformatbeschreibung Hauskoordinaten Deutschland"
  (v3.1, 2013: ISO Latin-1; v4.2, 2019: UTF-8): one record per line, separated by
  semicolons, 18 fields
  ``NBA;OI;QUA;LAN;RBZ;KRS;GMD;OTT;SSS;HNR;ADZ;OST;NORD;STN;PLZ;ONM;ZON;POT``,
  house number (HNR, digits) and addressing suffix (ADZ) apart, coordinates in
  ETRS89/UTM 32N (EPSG:25832) as fixed-point numbers with a decimal comma
  (``EEEEEEEE,EEE``; some exports prefix the zone, ``32xxxxxx``). The official
  files have no header line; exports made with spreadsheets often add one
  (``...;OST;NORD;...`` or ``...;EAST;NORTH;...``), so both are accepted.
  Older deliveries are Latin-1/cp1252, newer UTF-8 (with or without BOM):
  UTF-8 is tried first and cp1252 used when it fails, unless ``encoding`` is given.
* any vector file GDAL reads (GeoPackage, Shapefile also zipped, GeoJSON,
  OSM XML/PBF), through pyogrio, with a field mapping.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from geoportal.errors import ImportFailed, InvalidInputError, UnknownCRSError
from layers.importers.base import (
    TARGET_CRS,
    ImportReport,
    Problems,
    Progress,
    crs_parse,
    crs_resolve,
    house_number_split,
)

HK_FIELDS = ("NBA", "OI", "QUA", "LAN", "RBZ", "KRS", "GMD", "OTT", "SSS", "HNR", "ADZ", "OST", "NORD", "STN", "PLZ")
HK_FIELDS_ALL = (*HK_FIELDS, "ONM", "ZON", "POT")
HK_ALIASES = {"EAST": "OST", "RECHTSWERT": "OST", "RW": "OST", "NORTH": "NORD", "HOCHWERT": "NORD", "HW": "NORD"}
HK_REQUIRED = ("HNR", "OST", "NORD", "STN")
POSTCODE = re.compile(r"^\d{5}$")


@dataclass(slots=True)
class AddressRow:
    where: str
    street: str
    house_number: int
    suffix: str
    postcode: str
    homes: int | None
    source_id: str
    x: float
    y: float


@dataclass(frozen=True)
class AddressMapping:
    """Source field names; None means: look for the usual names (see ``DEFAULTS``)."""

    street: str | None = None
    number: str | None = None
    suffix: str | None = None
    postcode: str | None = None
    homes: str | None = None
    id: str | None = None


DEFAULTS = {
    "street": ("street", "addr:street", "strasse", "straße", "strassenname", "str", "stn", "strname"),
    "number": ("house_number", "house_numb", "housenumber", "addr:housenumber", "hausnummer", "hsnr", "hnr", "number"),
    "suffix": ("house_number_suffix", "suffix", "hausnummernzusatz", "zusatz", "adz"),
    "postcode": ("postcode", "addr:postcode", "plz", "postal_code", "zip"),
    "homes": ("homes", "wohneinheiten", "units", "dwellings", "we"),
    "id": ("source_id", "oi", "osm_id", "id", "uuid", "objectid"),
}
REQUIRED = ("street", "number")


# -- text decoding ---------------------------------------------------------------------------------------------------


def text_decode(data: bytes, *, encoding: str | None, where: str, warnings: list[str]) -> tuple[str, str]:
    """Decode a text file: BOM -> UTF-8; given encoding strictly; else UTF-8, falling back to cp1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if encoding:
        try:
            text = data.decode(encoding)
        except LookupError as exc:
            raise InvalidInputError(
                f"unknown encoding {encoding!r} (expected e.g. utf-8 or cp1252)", where=where
            ) from exc
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            byte = data[exc.start : exc.start + 1].hex()
            raise InvalidInputError(
                f"row {line}: byte 0x{byte} is not valid {encoding}; the file looks like cp1252/latin-1 "
                "(pass --encoding cp1252, or leave --encoding out to detect it)",
                where=where,
            ) from exc
        if re.search("[ÃÂ][\u0080-\u00bf]", text):
            warnings.append(f"{where}: text looks like UTF-8 read as {encoding} (e.g. 'Ã¼' for 'ü'); check --encoding")
        return text, encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            return data.decode("latin-1"), "latin-1"


# -- one address from source values ----------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def address_row_build(
    values: dict[str, object], *, fields: dict[str, str | None], where: str, x: float, y: float, problems: Problems
) -> AddressRow | None:
    """Validate one record's values (keyed street/number/suffix/postcode/homes/id); None if it has problems."""
    before = problems.total
    street = _text(values.get("street"))
    if not street:
        problems.add(f"{where}, field {fields['street']}", "street name is empty")
    number_text = _text(values.get("number"))
    split = house_number_split(number_text)
    if split is None:
        problems.add(
            f"{where}, field {fields['number']}",
            f"house number {number_text!r} is not a number (expected digits, optionally with a suffix like 12a)",
        )
        split = (0, "")
    suffix = _text(values.get("suffix")) or split[1]
    if len(suffix) > 16:
        problems.add(
            f"{where}, field {fields['suffix'] or fields['number']}", f"suffix {suffix!r} is over 16 characters"
        )
    postcode = _text(values.get("postcode"))
    if postcode and not POSTCODE.match(postcode):
        problems.add(f"{where}, field {fields['postcode']}", f"postcode {postcode!r} is not five digits")
    homes_text = _text(values.get("homes"))
    homes = None
    if homes_text:
        if homes_text.isdigit():
            homes = int(homes_text)
        else:
            problems.add(f"{where}, field {fields['homes']}", f"homes {homes_text!r} is not a whole number >= 0")
    source_id = _text(values.get("id"))[:64]
    if not (math.isfinite(x) and math.isfinite(y)):
        problems.add(f"{where}, field geometry", "coordinates are not finite numbers")
    if problems.total > before:
        return None
    return AddressRow(where, street, split[0], suffix.lower(), postcode, homes, source_id, x, y)


# -- HK-DE text files ------------------------------------------------------------------------------------------------


def _hk_columns(first: list[str], *, where: str) -> dict[str, int] | None:
    """Column positions from a header row, or None if the first row is data."""
    names = [HK_ALIASES.get(c.strip().upper(), c.strip().upper()) for c in first]
    if not {"HNR", "STN"} & set(names):
        return None
    missing = [name for name in HK_REQUIRED if name not in names]
    if missing:
        raise ImportFailed(
            f"row 1: missing column(s) {', '.join(missing)}; the header has: {', '.join(c.strip() for c in first)} "
            f"(expected the HK-DE columns {';'.join(HK_FIELDS_ALL)})",
            where=where,
        )
    return {name: names.index(name) for name in HK_FIELDS_ALL if name in names}


def _hk_number(text: str) -> float:
    value = float(text.strip().replace(",", "."))
    if value > 32_000_000:  # easting with the UTM zone prefixed (32xxxxxx,xxx)
        value -= 32_000_000
    return value


def hk_csv_read(
    *,
    path: Path,
    encoding: str | None,
    delimiter: str | None,
    problems: Problems,
    report: ImportReport,
    progress: Progress | None = None,
) -> list[AddressRow]:
    """Rows of an HK-DE house-coordinate file (EPSG:25832); sets the report's read, skipped and encoding."""
    where = str(path)
    warnings = report.warnings
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"cannot read the file: {exc.strerror}", where=where) from exc
    text, report.encoding = text_decode(data, encoding=encoding, where=where, warnings=warnings)
    report.crs = "EPSG:25832"
    first_line = text.split("\n", 1)[0]
    sep = delimiter or (";" if ";" in first_line else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    columns: dict[str, int] | None = None
    rows: list[AddressRow] = []
    fields = {"street": "STN", "number": "HNR", "suffix": "ADZ", "postcode": "PLZ", "homes": None, "id": "OI"}
    for record in reader:
        line = reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()) or record[0].startswith("#"):
            continue
        if line == 1 and (columns := _hk_columns(record, where=where)) is not None:
            continue
        report.read += 1
        cols = columns or {name: i for i, name in enumerate(HK_FIELDS_ALL)}
        needed = max(cols[name] for name in HK_REQUIRED) + 1
        if len(record) < needed:
            problems.add(
                f"row {line}",
                f"expected {needed}+ fields separated by {sep!r} ({';'.join(HK_FIELDS_ALL)}), got {len(record)}",
            )
            continue
        values = {key: record[cols[f]] if f in cols and cols[f] < len(record) else "" for key, f in fields.items() if f}
        if values.get("number", "").strip() and not values["number"].strip().isdigit():
            problems.add(
                f"row {line}, field HNR", f"house number {values['number']!r} is not a number (expected digits)"
            )
            continue
        if "NBA" in cols and record[cols["NBA"]].strip().upper() == "L":
            warnings.append(f"{where}, row {line}: record marked for deletion (NBA=L), skipped")
            report.skipped += 1
            continue
        try:
            x, y = _hk_number(record[cols["OST"]]), _hk_number(record[cols["NORD"]])
        except ValueError:
            problems.add(
                f"row {line}, field OST/NORD",
                f"coordinates {record[cols['OST']]!r}/{record[cols['NORD']]!r} are not numbers (e.g. 352345,678)",
            )
            continue
        row = address_row_build(values, fields=fields, where=f"row {line}", x=x, y=y, problems=problems)
        if row is not None:
            rows.append(row)
        if progress and report.read % 10_000 == 0:
            progress(10_000)
    if progress:
        progress(report.read % 10_000)
    if not report.read:
        warnings.append(f"{where}: the file holds no records")
    return rows


# -- vector files through GDAL -------------------------------------------------------------------------------------


def vector_layers(path: Path, *, layer: str | None, where: str) -> list[str | int]:
    """The layers to read: the given one, for OSM files points + multipolygons, else the first."""
    try:
        listed = pyogrio.list_layers(path)
    except (DataSourceError, OSError) as exc:
        raise ImportFailed(f"cannot read the file as a GDAL vector dataset: {exc}", where=where) from exc
    names = [str(name) for name, _ in listed]
    if layer:
        if layer not in names:
            raise ImportFailed(f"no layer {layer!r}; the file has: {', '.join(names)}", where=where)
        return [layer]
    if path.suffix.lower() in (".osm", ".pbf"):
        return [name for name in ("points", "multipolygons") if name in names]
    if not names:
        raise ImportFailed("the file holds no layers", where=where)
    return [names[0]]


OTHER_TAGS = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def _other_tags_expand(frame) -> None:
    """OSM files: lift the tags GDAL packs into ``other_tags`` (hstore text) into columns."""
    if "other_tags" not in frame.columns:
        return
    parsed = [dict(OTHER_TAGS.findall(tags)) if isinstance(tags, str) else {} for tags in frame["other_tags"]]
    keys = sorted({key for tags in parsed for key in tags if key.startswith("addr:")})
    for key in keys:
        if key not in frame.columns:
            frame[key] = [tags.get(key) for tags in parsed]


GEOJSON_CRS = re.compile(rb'"crs"\s*:\s*\{[^{}]*"properties"\s*:\s*\{[^{}]*"name"\s*:\s*"([^"]*)"')


def _geojson_crs_check(path: Path, *, where: str) -> None:
    """GDAL silently reads a GeoJSON whose ``crs`` member it does not understand as WGS 84: refuse instead."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return
    with path.open("rb") as fh:
        match = GEOJSON_CRS.search(fh.read(65536))
    if match:
        name = match.group(1).decode("utf-8", errors="replace")
        crs_parse(name, where=f"{where}, member crs")


def vector_frame(path: Path, *, layer: str | int, crs: str | None, warnings: list[str]):
    """(GeoDataFrame of one layer reprojected to EPSG:25832, source CRS); errors name file and layer."""
    where = f"{path}, layer {layer}"
    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except (DataSourceError, DataLayerError, FieldError, GeometryError, OSError, ValueError) as exc:
        raise ImportFailed(f"cannot read the layer: {exc}", where=where) from exc
    _other_tags_expand(frame)
    file_crs = frame.crs.to_wkt() if frame.crs is not None else None
    _geojson_crs_check(path, where=where)
    prj = path.with_suffix(".prj")
    if file_crs is None and path.suffix.lower() == ".shp" and prj.exists() and not crs:
        raise UnknownCRSError(
            f"{prj.name} holds no coordinate reference system GDAL can read "
            "(expected WKT such as written by QGIS); fix it or pass --crs EPSG:xxxx",
            where=where,
        )
    target = crs_resolve(file_crs, override=crs, where=where, warnings=warnings)
    frame = frame.set_crs(target, allow_override=True)
    if not target.equals(TARGET_CRS):
        frame = frame.to_crs(TARGET_CRS)
    return frame, target.to_string()


def fields_resolve(
    columns: list[str], *, requested: dict[str, str | None], required: tuple[str, ...], where: str
) -> dict[str, str | None]:
    """Map our keys to the file's columns: named ones must exist; others are looked up among the usual names."""
    available = [c for c in columns if c != "geometry"]
    lower = {c.lower(): c for c in available}
    result: dict[str, str | None] = {}
    for key, name in requested.items():
        if name:
            if name not in available:
                raise ImportFailed(
                    f"field {name!r} (--{key}-field) is missing; available fields: {', '.join(available)}", where=where
                )
            result[key] = name
            continue
        result[key] = next((lower[c] for c in DEFAULTS.get(key, ()) if c in lower), None)
        if result[key] is None and key in required:
            raise ImportFailed(
                f"no {key} field found (looked for {', '.join(DEFAULTS[key])}); pass --{key}-field; "
                f"available fields: {', '.join(available)}",
                where=where,
            )
    return result


def vector_addresses_read(
    *,
    path: Path,
    mapping: AddressMapping,
    layer: str | None,
    crs: str | None,
    problems: Problems,
    report: ImportReport,
    progress: Progress | None = None,
) -> list[AddressRow]:
    """Address rows of a vector file in EPSG:25832; sets the report's read, skipped and crs."""
    rows: list[AddressRow] = []
    is_osm = path.suffix.lower() in (".osm", ".pbf")
    for name in vector_layers(path, layer=layer, where=str(path)):
        frame, report.crs = vector_frame(path, layer=name, crs=crs, warnings=report.warnings)
        report.read += len(frame)
        if is_osm and not layer and not {"addr:street", "addr:housenumber"} & set(frame.columns):
            report.skipped += len(frame)  # an OSM layer without any address tags
            continue
        where = f"layer {name}" if is_osm or layer else ""
        fields = fields_resolve(
            list(frame.columns), requested=vars(mapping), required=REQUIRED, where=f"{path}, layer {name}"
        )
        geoms = frame.geometry.values
        empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        points = shapely.point_on_surface(np.where(empty, None, geoms))
        xs, ys = shapely.get_x(points), shapely.get_y(points)
        columns = {key: frame[col].tolist() if col else None for key, col in fields.items()}
        for i in range(len(frame)):
            place = f"{where + ', ' if where else ''}feature {i + 1}"
            if empty[i]:
                problems.add(f"{place}, field geometry", "geometry is missing or empty (expected a point)")
                continue
            values = {key: col[i] for key, col in columns.items() if col is not None}
            if is_osm and not _text(values.get("street")) and not _text(values.get("number")):
                report.skipped += 1  # an OSM object that is not an address
                continue
            row = address_row_build(values, fields=fields, where=place, x=xs[i], y=ys[i], problems=problems)
            if row is not None:
                rows.append(row)
        if progress:
            progress(len(frame))
    return rows
