"""How addresses and streets are named in URLs: one definition for permalinks, links and lookups.

An address page's permalink is ``/adresse/<postcode>/<street slug>/<house>/``, e.g.
``/adresse/45468/schlossstrasse/12a/``: readable, shareable and stable across re-imports of the address
register (database ids are not). German letters are transliterated the German way (ä → ae, ß → ss), so a
street keeps its slug whether its name is written "Schloßstraße" or "Schlossstraße".
"""

from __future__ import annotations

import re
import unicodedata

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
HOUSE = re.compile(r"^(?P<number>[0-9]{1,6})(?P<suffix>[a-z0-9-]*)$")


def ascii_fold(text: str) -> str:
    """German transliteration, then any other accent dropped (é → e): plain ASCII."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_GERMAN))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def slug(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: "Alte Duisburger Straße" → "alte-duisburger-strasse"."""
    return _NOT_SLUG.sub("-", ascii_fold(text).lower()).strip("-")


def house_slug(number: int, suffix: str = "") -> str:
    """The house part of a permalink: 12 → "12", (12, "a") → "12a", (12, " A") → "12a", (12, "-14") → "12-14"."""
    return f"{number}{slug(suffix) if not suffix.startswith('-') else '-' + slug(suffix)}"


def house_parse(text: str) -> tuple[int, str] | None:
    """A permalink's house part as (number, suffix slug), or None when it is not one."""
    match = HOUSE.match(text.lower())
    if match is None:
        return None
    return int(match["number"]), match["suffix"]
