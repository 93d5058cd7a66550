"""Reads of the address search: streets and addresses for what a resident typed, the address nearest a position.

One SQL statement per search, over the street index (layers.models.StreetIndex: one row per street and
postcode, a few thousand rows however many addresses there are) and, for a house number, the address table
through its (postcode, street) index. Every candidate source is index-driven and bounded, so the time does
not grow with the number of addresses:

1. what was typed begins the name (btree range on ``key`` in C order; "Schlo" → Schloßstraße), begins one of
   its words ("duisb" → Alte Duisburger Straße; trigram GiST on ``words``), or, from five letters, occurs in
   it ("duisburgerstr" → Alte Duisburger Straße; trigram GIN on ``key``);
2. only when none of that finds anything, the typing errors: the names beginning with the same three letters
   (or two of them swapped; after "Am", "An der", "Im" the first letter of the next word) within
   a few edits of what was typed, over the name's beginning or the whole name (btree range on ``words`` in
   C order, then fuzzystrmatch's levenshtein; the edits forgiven grow with the length,
   ``layers.search.typo_allowance``);
3. only when that finds nothing either, the names nearest by trigram distance (GiST KNN): found when alike
   enough (trigram similarity), otherwise returned as the nearest names for "no match, did you mean …".

Trigram similarity alone is a poor judge of typing errors here: most names share "strasse", "weg" or
"platz", so a GIN search by similarity rechecked thousands of names at 1,000,000 addresses (~30 ms), and a
swap near the beginning ("Shclos") leaves too few trigrams in common. Edits over a btree range cost ~0.1-1 ms.

Streets are ranked by how they matched (exact, beginning, word, inside, typing errors), then the postcode
typed, then alphabetically. With a house number, the best streets' addresses follow: that number (and
suffix) first, then numbers beginning with the digits typed (typing "1" on the way to "12"), then the
nearest numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.gis.geos import Point
from django.db import connection

from layers.models import SRID
from layers.search import AddressQuery, typo_allowance

# A fuzzy candidate is found (not only "near") from this trigram similarity on, whatever its edits.
SIMILAR = 0.5
WORD_SIMILAR = 0.6
# "No match, did you mean …" offers names from this similarity on (below it, a list of names is noise).
NEAREST_SIMILAR = 0.15
# How many candidates each source may give: enough for any list a page shows, bounded for speed.
ARM_LIMIT = 40
KNN_LIMIT = 12


@dataclass(frozen=True)
class StreetHit:
    name: str
    postcode: str
    district: str
    addresses: int
    tier: int  # 0 exact, 1 beginning of the name, 2 beginning of a word, 3 inside, 4 typing errors
    typos: int
    matched: bool
    similarity: float  # trigram similarity of the names, whole or as a word (0..1)


@dataclass(frozen=True)
class AddressHit:
    id: int
    street: str
    house_number: int
    house_number_suffix: str
    postcode: str
    district: str
    exact: bool  # number and suffix as typed (no suffix typed: the address without one)

    @property
    def house_label(self) -> str:
        return f"{self.house_number}{self.house_number_suffix}"


@dataclass(frozen=True)
class SearchResult:
    query: AddressQuery
    streets: list[StreetHit] = field(default_factory=list)
    addresses: list[AddressHit] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        """True when any street was found; otherwise ``streets`` holds the nearest names by spelling."""
        return any(street.matched for street in self.streets)

    def nearest(self, *, limit: int = 5) -> list[StreetHit]:
        """With no match: the street names nearest by spelling that are at least a little alike."""
        if self.matched:
            return []
        return [street for street in self.streets if street.similarity >= NEAREST_SIMILAR][:limit]

    @property
    def exact_address(self) -> AddressHit | None:
        """The one address the text names exactly (street as typed, number and suffix), if there is exactly one."""
        exact = [a for a in self.addresses if a.exact]
        streets = {(s.name, s.postcode) for s in self.streets if s.tier == 0}
        if self.query.postcode:
            exact = [a for a in exact if a.postcode == self.query.postcode]
        exact = [a for a in exact if (a.street, a.postcode) in streets]
        return exact[0] if len(exact) == 1 else None


# The columns every candidate source gives, so that the candidates need no second look-up in the index.
COLUMNS = "id, name, postcode, key, district_id, addresses"


def _typed_sql(query: AddressQuery) -> tuple[str, str]:
    """Candidates from what was typed, as (columns, tier) rows; each source bounded. Returns the searches by
    word and by part of the name as CTEs of their own, and the ``typed`` CTE's body that unites them."""
    arms = [
        f"""(SELECT {COLUMNS}, CASE WHEN key = %(key)s THEN 0 ELSE 1 END AS tier FROM layers_streetindex
             WHERE key COLLATE "C" LIKE %(prefix)s ORDER BY key COLLATE "C" LIMIT {ARM_LIMIT})"""
    ]
    # MATERIALIZED: planned for all their rows. With a LIMIT in view, PostgreSQL expected a long pattern to
    # match ~160 names and scanned the whole table for the first 40 (~4 ms at 1,000,000 addresses, for
    # the 9 that matched) instead of asking the trigram index (~0.1 ms).
    searches = []
    if len(query.key) >= 3:
        searches.append(
            f"""word AS MATERIALIZED (SELECT {COLUMNS}, 2 AS tier FROM layers_streetindex
                 WHERE words LIKE %(word_prefix)s),"""
        )
        arms.append(f"(SELECT * FROM word LIMIT {ARM_LIMIT})")
    if len(query.key) >= 5:
        searches.append(
            f"""part AS MATERIALIZED (SELECT {COLUMNS}, 3 AS tier FROM layers_streetindex
                 WHERE key LIKE %(infix)s),"""
        )
        arms.append(f"(SELECT * FROM part LIMIT {ARM_LIMIT})")
    return "\n".join(searches), " UNION ALL ".join(arms)


# Typing errors, only when nothing begins or holds what was typed: the names that begin as the text does
# (``fuzzy_prefixes``) within the forgiven edits of what was typed, over their beginning or whole.
FUZZY = f"""
    SELECT {COLUMNS}, 4 AS tier FROM layers_streetindex
    WHERE (words COLLATE "C" LIKE %(fuzzy_a)s OR words COLLATE "C" LIKE %(fuzzy_b)s
           OR words COLLATE "C" LIKE %(fuzzy_c)s)
      AND least(levenshtein_less_equal(%(key)s, left(key, %(length)s), %(allowance)s),
                levenshtein_less_equal(%(key)s, key, %(allowance)s)) <= %(allowance)s
      AND NOT EXISTS (SELECT 1 FROM typed)
    LIMIT {ARM_LIMIT}
"""


def fuzzy_prefixes(words: str) -> tuple[str, str, str]:
    """Where typing errors are looked for: the names beginning with the text's first three letters, or with
    the first two or the second and third of them swapped ("Shcloss" → "sch…"). Short leading words ("Am",
    "An der", "Im") are taken whole with the first letter of the next word ("Am Ternhof" → "am t…"). A third
    of all names begin "am", "im" or "an": comparing them one by one took ~5 ms at a million addresses, and
    two letters swapped would make "ma…" such a range. Other errors in the first letters are left to the
    nearest names (stage 3), which trigram similarity finds."""
    parts = words.split(" ")
    lead = []
    while len(parts) > 1 and len(parts[0]) <= 3:
        lead.append(parts.pop(0))
    if lead:
        prefix = " ".join(lead) + " " + parts[0][:1] + "%"
        return prefix, prefix, prefix
    first = parts[0]
    if len(first) < 3:
        return first + "%", first + "%", first + "%"
    return first[:3] + "%", first[1] + first[0] + first[2] + "%", first[0] + first[2] + first[1] + "%"


# Nothing found at all: the names nearest by trigram distance, for "no match, did you mean …" (and a
# name with its first letters mistyped, which trigram similarity still finds).
NEAREST = f"""
    SELECT {COLUMNS}, 4 AS tier FROM (
        SELECT {COLUMNS} FROM layers_streetindex
        WHERE NOT EXISTS (SELECT 1 FROM typed) AND NOT EXISTS (SELECT 1 FROM fuzzy)
        ORDER BY words <-> %(words)s LIMIT {KNN_LIMIT}
    ) AS nearest
"""

SEARCH = """
WITH {searches}
typed AS ({typed}),
fuzzy AS ({fuzzy}),
nearest AS ({nearest}),
candidates AS (
    SELECT DISTINCT ON (id) * FROM (
        SELECT * FROM typed UNION ALL SELECT * FROM fuzzy UNION ALL SELECT * FROM nearest
    ) AS c ORDER BY id, tier
),
scored AS (
    SELECT id, name, postcode, district_id, addresses, tier,
           CASE WHEN tier < 4 THEN 0 ELSE least(
               levenshtein_less_equal(%(key)s, left(key, %(length)s), 9),
               levenshtein_less_equal(%(key)s, key, 9)) END AS typos,
           similarity(key, %(key)s) AS sim, word_similarity(%(key)s, key) AS word_sim
    FROM candidates
),
streets AS (
    SELECT *, row_number() OVER (
               ORDER BY NOT matched, tier, CASE WHEN matched THEN typos END, postcode_other,
                        CASE WHEN tier = 4 THEN -greatest(sim, word_sim) END, name, postcode
           ) AS ord
    FROM (
        SELECT *, (tier < 4 OR typos <= %(allowance)s OR sim >= %(similar)s
                   OR word_sim >= %(word_similar)s) AS matched,
               (postcode IS DISTINCT FROM %(postcode)s) AS postcode_other
        FROM scored
    ) AS m
    ORDER BY ord
    LIMIT %(streets)s
),
addresses AS (
    SELECT a.*, st.ord FROM (SELECT * FROM streets WHERE matched ORDER BY ord LIMIT %(address_streets)s) AS st
    CROSS JOIN LATERAL (
        SELECT a.id, a.street, a.house_number, a.house_number_suffix, a.postcode, a.district_id,
               a.house_number = %(number)s AS same_number,
               a.house_number = %(number)s
                   AND regexp_replace(lower(a.house_number_suffix), '[^a-z0-9]', '', 'g') = %(suffix)s AS same_suffix,
               abs(a.house_number - %(number)s) AS distance,
               coalesce(a.house_number::text LIKE %(number_prefix)s, false) AS begins
        FROM layers_address AS a
        WHERE a.street = st.name AND a.postcode = st.postcode AND %(number)s IS NOT NULL
        ORDER BY same_number DESC, same_suffix DESC, begins DESC, distance, a.house_number, a.house_number_suffix
        LIMIT %(per_street)s
    ) AS a
)
SELECT 'street' AS kind, s.ord, NULL::bigint AS id, s.name, NULL::int, NULL::text, s.postcode, d.name,
       s.addresses, s.tier, s.typos, s.matched, NULL::bool, NULL::bool, NULL::int, NULL::bool, s.postcode_other,
       greatest(s.sim, s.word_sim)
FROM streets AS s LEFT JOIN layers_district AS d ON d.id = s.district_id
UNION ALL
SELECT 'address', a.ord, a.id, a.street, a.house_number, a.house_number_suffix, a.postcode, d.name,
       NULL, st.tier, st.typos, true, a.same_number, a.same_suffix, a.distance, a.begins, st.postcode_other, NULL
FROM addresses AS a JOIN streets AS st ON st.ord = a.ord LEFT JOIN layers_district AS d ON d.id = a.district_id
"""


def search_sql(query: AddressQuery, *, streets: int, per_street: int, typing: bool) -> tuple[str, dict]:
    """The statement and parameters of one search (also what bench/search.py times as the raw SQL).

    ``typing``: the text may still be growing (suggestions), so a house number at its very end may be the
    beginning of a longer one ("1" on the way to "12").
    """
    key = query.key
    fuzzy_a, fuzzy_b, fuzzy_c = fuzzy_prefixes(query.words)
    params = {
        "key": key,
        "words": query.words,
        "length": len(key),
        "prefix": key + "%",  # keys hold [a-z0-9] only: nothing to escape for LIKE
        "word_prefix": "% " + query.words + "%",
        "infix": "%" + key + "%",
        "fuzzy_a": fuzzy_a,
        "fuzzy_b": fuzzy_b,
        "fuzzy_c": fuzzy_c,
        "allowance": typo_allowance(key),
        "similar": SIMILAR,
        "word_similar": WORD_SIMILAR,
        "postcode": query.postcode,
        "streets": streets,
        "address_streets": 3,
        "number": query.number,
        "suffix": query.suffix,
        "number_prefix": f"{query.number}%" if typing and query.number_last and not query.suffix else None,
        "per_street": per_street,
    }
    searches, typed = _typed_sql(query)
    return SEARCH.format(searches=searches, typed=typed, fuzzy=FUZZY, nearest=NEAREST), params


def address_search(*, query: AddressQuery, streets: int = 8, per_street: int = 8, typing: bool = False) -> SearchResult:
    """Streets (and, with a house number, addresses) for a parsed query, ranked; see the module docstring.

    Addresses and streets are public base data; nothing of any provider's plans is read here.
    """
    if not query.searchable:
        return SearchResult(query=query)
    sql, params = search_sql(query, streets=streets, per_street=per_street, typing=typing)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    street_hits, address_rows = [], []
    for row in sorted(rows, key=lambda r: r[1]):
        kind, _, pk, name, number, suffix, postcode, district, count, tier, typos, matched = row[:12]
        if kind == "street":
            street_hits.append(StreetHit(name, postcode, district or "", count, tier, typos, matched, row[17]))
        else:
            address_rows.append(row)
    # Across streets as good as each other (one name in two postcodes): the postcode typed, the number typed
    # (in every street that has it), the numbers beginning with it, the nearest numbers.
    address_rows.sort(key=lambda r: (r[9], r[10], r[16], not r[12], not r[13], not r[15], r[14], r[1], r[4], r[5]))
    address_hits = [
        AddressHit(
            id=r[2],
            street=r[3],
            house_number=r[4],
            house_number_suffix=r[5],
            postcode=r[6],
            district=r[7] or "",
            exact=bool(r[12] and r[13]),
        )
        for r in address_rows
    ]
    return SearchResult(query=query, streets=street_hits, addresses=address_hits)


# -- "use my location" --------------------------------------------------------------------------------------

NEAREST_ADDRESSES = f"""
SELECT a.id, a.street, a.house_number, a.house_number_suffix, a.postcode, coalesce(d.name, ''),
       ST_Distance(a.geom, p.geom) AS metres
FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), {SRID}) AS geom) AS p
CROSS JOIN LATERAL (SELECT * FROM layers_address ORDER BY geom <-> p.geom LIMIT %(limit)s) AS a
LEFT JOIN layers_district AS d ON d.id = a.district_id
ORDER BY metres
"""


@dataclass(frozen=True)
class NearbyAddress:
    hit: AddressHit
    metres: float


def addresses_nearest(*, point: Point, limit: int = 3) -> list[NearbyAddress]:
    """The addresses nearest a WGS84 position (lon/lat), nearest first, with their distance in metres.

    KNN over the address table's spatial index: one index descent, whatever the number of addresses.
    """
    with connection.cursor() as cursor:
        cursor.execute(NEAREST_ADDRESSES, {"lon": point.x, "lat": point.y, "limit": limit})
        rows = cursor.fetchall()
    return [
        NearbyAddress(
            hit=AddressHit(
                id=pk,
                street=street,
                house_number=number,
                house_number_suffix=suffix,
                postcode=postcode,
                district=district,
                exact=False,
            ),
            metres=metres,
        )
        for pk, street, number, suffix, postcode, district, metres in rows
    ]
