"""Address rows and field mapping shared by the readers; decoding and validating one record.

Readers (``hk`` for the HK-DE text format, ``vector`` for GDAL files) turn a file
into validated rows, collecting problems per row with file, row and field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from geoportal.errors import InvalidInputError
from layers.importers.base import Problems, house_number_split

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


def text_value(value: object) -> str:
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
    street = text_value(values.get("street"))
    if not street:
        problems.add(f"{where}, field {fields['street']}", "street name is empty")
    number_text = text_value(values.get("number"))
    split = house_number_split(number_text)
    if split is None:
        problems.add(
            f"{where}, field {fields['number']}",
            f"house number {number_text!r} is not a number (expected digits, optionally with a suffix like 12a)",
        )
        split = (0, "")
    suffix = text_value(values.get("suffix")) or split[1]
    if len(suffix) > 16:
        problems.add(
            f"{where}, field {fields['suffix'] or fields['number']}", f"suffix {suffix!r} is over 16 characters"
        )
    postcode = text_value(values.get("postcode"))
    if postcode and not POSTCODE.match(postcode):
        problems.add(f"{where}, field {fields['postcode']}", f"postcode {postcode!r} is not five digits")
    homes_text = text_value(values.get("homes"))
    homes = None
    if homes_text:
        if homes_text.isdigit():
            homes = int(homes_text)
        else:
            problems.add(f"{where}, field {fields['homes']}", f"homes {homes_text!r} is not a whole number >= 0")
    source_id = text_value(values.get("id"))[:64]
    if not (math.isfinite(x) and math.isfinite(y)):
        problems.add(f"{where}, field geometry", "coordinates are not finite numbers")
    if problems.total > before:
        return None
    return AddressRow(where, street, split[0], suffix.lower(), postcode, homes, source_id, x, y)
