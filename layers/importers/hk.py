"""Reader of the house-coordinate text format of the German surveying authorities.

"Hauskoordinaten Deutschland" (HK-DE), distributed for NRW by Geobasis NRW /
Bezirksregierung Köln, the Zentrale Stelle Hauskoordinaten und Hausumringe (ZSHH).
Layout per the AdV "Datenformatbeschreibung Hauskoordinaten Deutschland"
(v3.1, 2013: ISO Latin-1; v4.2, 2019: UTF-8; the field list is also published on
geobasis-bb.de, "Formatvorgabe Hauskoordinaten Deutschland der ZSHH"): one record
per line, separated by semicolons, 18 fields
``NBA;OI;QUA;LAN;RBZ;KRS;GMD;OTT;SSS;HNR;ADZ;OST;NORD;STN;PLZ;ONM;ZON;POT``,
house number (HNR, digits) and addressing suffix (ADZ) apart, coordinates in
ETRS89/UTM 32N (EPSG:25832) as fixed-point numbers with a decimal comma
(``EEEEEEEE,EEE``; some exports prefix the zone, ``32xxxxxx``). The official
files have no header line; exports made with spreadsheets often add one
(``...;OST;NORD;...`` or ``...;EAST;NORTH;...``) and use commas, so both are
accepted. Older deliveries are Latin-1/cp1252, newer UTF-8 (with or without
BOM): UTF-8 is tried first and cp1252 used when it fails, unless an encoding is given.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from geoportal.errors import ImportFailed
from layers.importers.base import ImportReport, Problems, Progress
from layers.importers.readers import AddressRow, address_row_build, text_decode

HK_FIELDS = ("NBA", "OI", "QUA", "LAN", "RBZ", "KRS", "GMD", "OTT", "SSS", "HNR", "ADZ", "OST", "NORD", "STN", "PLZ")
HK_FIELDS_ALL = (*HK_FIELDS, "ONM", "ZON", "POT")
HK_ALIASES = {"EAST": "OST", "RECHTSWERT": "OST", "RW": "OST", "NORTH": "NORD", "HOCHWERT": "NORD", "HW": "NORD"}
HK_REQUIRED = ("HNR", "OST", "NORD", "STN")


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
