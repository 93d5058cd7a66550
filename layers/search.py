"""How residents type addresses, and what the search compares: one definition of the normalisation and the parser.

A resident types "45468 Schloßstr 12", "schlossstrasse 12 a", "Schloss-Str. 12, Mülheim an der Ruhr" or
"alte duisburger strasse" and means one street. Two forms of a street name are compared:

- ``street_words``: lower-case ASCII words. Umlauts and their spellings meet ("Mülheim", "Muelheim" and
  "Mulheim" all become "mulheim"; ß becomes "ss"), other accents are dropped, every run of punctuation is one
  space, and the usual abbreviations are written out ("Str."/"str" at the end of a word → "strasse", "Pl." →
  "platz", a lone "St." before a name → "sankt"; "Doktor"/"Professor" → "dr"/"prof", as official names write
  them). Abbreviations are expanded rather than the long forms shortened, so that a name typed half-way
  ("Goethepla") is still a prefix of the stored one ("gotheplatz").
- ``street_key``: the words without spaces, so "Alte-Duisburger-Str", "alte duisburger strasse" and
  "Alteduisburgerstraße" are one key.

The street index (layers.models.StreetIndex) stores both forms of every street name, computed in PostgreSQL
by the functions ``layers_street_words(text)`` and ``layers_street_key(text)`` (migration 0007). Their SQL is
rendered from the same rules as the Python below (``street_words_sql``), and tests/layers/test_search.py
checks that the database's functions give the Python answers for every demo street name and the hard cases,
so the two cannot drift apart unnoticed: a change of ``STEPS`` needs a migration with the new SQL.

``address_query_parse`` splits what was typed into street, house number (12, 12a, 12 A, 12-14, 12/1),
postcode and city, in any order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_noop

from geoportal.errors import InvalidInputError

# Rules applied in order to the lower-case ASCII form of a name. Each pattern means the same in Python's re
# and in PostgreSQL's regular expressions (ARE): no \b (a backspace in ARE), no lookbehind, words are runs of
# [a-z0-9] separated by single spaces after the second rule.
STEPS: tuple[tuple[str, str], ...] = (
    # ä, ae and a meet (ä lost its diaeresis already): "Muelheim", "Mülheim" and "Mulheim" are one name.
    (r"([aou])e", r"\1"),
    (r"[^a-z0-9]+", " "),
    (r"str( |$)", r"strasse\1"),
    (r"pl( |$)", r"platz\1"),
    (r"(^| )st( [a-z])", r"\1sankt\2"),
    (r"(^| )doktor( |$)", r"\1dr\2"),
    (r"(^| )professor( |$)", r"\1prof\2"),
)
_STEPS = tuple((re.compile(pattern), replacement) for pattern, replacement in STEPS)
_SHARP_S = ("ß", "ẞ")

MAX_QUERY_LENGTH = 200
MAX_NAME_LENGTH = 100  # of a street name's compared form
# The messages of refused input (translated where they are shown: geoportal.errorpages, residents' API).
TOO_LONG = gettext_noop("the search text is longer than 200 characters")
CONTROL_CHARACTERS = gettext_noop("the search text contains control characters")
# C0 and C1 control characters, DEL, and the line and paragraph separators: nobody types them into a search
# box; they come from scripts probing the site. Tabs and line breaks (pasted from a letter) are spaces.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def _ascii_lower(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    for letter in _SHARP_S:
        decomposed = decomposed.replace(letter, "ss")
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


def street_words(text: str) -> str:
    """The compared form of a street name, as words: "Schloß-Str." → "schloss strasse"."""
    text = _ascii_lower(text)
    for pattern, replacement in _STEPS:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def street_key(text: str) -> str:
    """The compared form without spaces: "Alte Duisburger Str." → "alteduisburgerstrasse"."""
    return street_words(text).replace(" ", "")


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def street_words_sql(argument: str = "name") -> str:
    """``street_words`` as one PostgreSQL expression over the text ``argument`` (the body of the SQL function)."""
    expression = f"normalize({argument}, NFKD)"
    for letter in _SHARP_S:
        expression = f"replace({expression}, {_sql_literal(letter)}, 'ss')"
    # What Python's encode("ascii", "ignore") drops: everything outside ASCII (combining marks among it).
    expression = f"lower(regexp_replace({expression}, '[^\\x01-\\x7f]', '', 'g'))"
    for pattern, replacement in STEPS:
        expression = f"regexp_replace({expression}, {_sql_literal(pattern)}, {_sql_literal(replacement)}, 'g')"
    return f"btrim(regexp_replace({expression}, ' +', ' ', 'g'))"


# -- the parser ---------------------------------------------------------------------------------------------

_POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")
# The house number: digits, then a letter ("12a", "12 A") and/or a second part ("12-14", "12/1", "12 - 14").
# A number directly followed by a dot and a word is an ordinal inside the name ("Straße des 17. Juni").
_HOUSE = re.compile(
    r"(?<![\w])(?P<number>\d{1,5})"
    r"(?:\s*(?P<letter>[^\W\d_])(?![\w]))?"
    r"(?:\s*[-/]\s*(?P<second>\d{1,5}[^\W\d_]?|[^\W\d_])(?![\w]))?"
    r"(?!\.\s*[^\W\d_])(?![\w])"
)
_LETTER_DIGIT = re.compile(r"([^\W\d_])(\d)")


@dataclass(frozen=True)
class AddressQuery:
    """What a resident typed, taken apart. ``key`` and ``words`` are the street's compared forms."""

    text: str
    words: str
    key: str
    number: int | None = None
    suffix: str = ""
    postcode: str | None = None
    number_last: bool = False  # the house number ends the text (it may still be being typed)

    @property
    def searchable(self) -> bool:
        """True when there is enough of a street name to look for (two letters or digits)."""
        return len(self.key) >= 2


def house_suffix_key(suffix: str) -> str:
    """A house number's suffix as compared: "a", " A", "-14" and "/1" → "a", "a", "14", "1"."""
    return re.sub(r"[^a-z0-9]", "", _ascii_lower(suffix))


def query_clean(text: str) -> str:
    """The search text as typed, checked: InvalidInputError for control characters or more than 200 characters."""
    if _CONTROL.search(text):
        raise InvalidInputError(CONTROL_CHARACTERS, where="q")
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidInputError(TOO_LONG, where="q")
    return text


def _city_pattern(city: str, aliases: tuple[str, ...]) -> re.Pattern:
    """Whole words naming the city, on the words form: "mulheim", "mulheim an der ruhr", "mulheim a d ruhr", "mh"."""
    words = street_words(city).split()
    names = []
    if words:
        first, rest = words[0], words[1:]
        # "Mülheim an der Ruhr", "Mülheim a. d. Ruhr", "Mülheim/Ruhr", "Mülheim (Ruhr)", and "Mülheim" alone.
        if len(rest) >= 2:
            initials = " ".join(word[0] for word in rest[:-1])
            names.append(rf"{first}(?: (?:{' '.join(rest[:-1])}|{initials}))?(?: {rest[-1]})?")
        else:
            names.append(re.escape(" ".join(words)))
    names += [re.escape(street_words(alias)) for alias in aliases if street_words(alias)]
    return re.compile(rf"(?:^| )(?:{'|'.join(names)})(?= |$)")


def address_query_parse(text: str, *, city: str = "", city_aliases: tuple[str, ...] = ()) -> AddressQuery:
    """Take a typed address apart: postcode (five digits), the city's name, house number, and the street.

    ``text`` has been checked by ``query_clean``. Order does not matter: "45468 Schloßstr 12",
    "Schloßstr. 12, 45468 Mülheim", "12 Schloßstraße". When several numbers could be the house number, the last
    one is (street names may hold numbers: "Straße des 17. Juni 5").
    """
    rest = text
    postcode = None
    if found := _POSTCODE.search(rest):
        postcode = found.group(1)
        rest = rest[: found.start()] + " " + rest[found.end() :]
    rest = _LETTER_DIGIT.sub(r"\1 \2", rest)  # "Schloßstraße12" → "Schloßstraße 12"
    number, suffix, number_last = None, "", False
    matches = list(_HOUSE.finditer(rest))
    if matches:
        house = matches[-1]
        number = int(house["number"])
        suffix = house_suffix_key((house["letter"] or "") + (house["second"] or ""))
        number_last = not rest[house.end() :].strip()
        rest = rest[: house.start()] + " " + rest[house.end() :]
    words = street_words(rest)
    if city:
        words = " ".join(_city_pattern(city, city_aliases).sub(" ", words).split())
    # Expansions can make the compared form longer than what was typed ("ß" → "ss", "str" → "strasse"); a
    # street's name is far shorter than this, and levenshtein() refuses more than 255 characters.
    words = words[:MAX_NAME_LENGTH].rstrip()
    return AddressQuery(
        text=text,
        words=words,
        key=words.replace(" ", ""),
        number=number,
        suffix=suffix,
        postcode=postcode,
        number_last=number_last,
    )


def address_query(text: str) -> AddressQuery:
    """What a resident typed, checked (``query_clean``) and taken apart for this instance's city."""
    return address_query_parse(query_clean(text), city=settings.CITY_NAME, city_aliases=tuple(settings.CITY_ALIASES))


def typo_allowance(key: str) -> int:
    """Typing errors (edits) forgiven in a street name typed so far: none in 3 letters, then 1, 2 and 3.

    A swap of two letters is two edits; longer names with more errors are still found by trigram similarity.
    """
    length = len(key)
    if length <= 3:
        return 0
    if length <= 5:
        return 1
    if length <= 9:
        return 2
    return 3
