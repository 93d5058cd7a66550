"""What the address search shows: suggestions for the combobox, rows of the results page, nearby addresses.

Data in (layers.search_selectors' results), plain dicts out, with the links of residents.links. No queries.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from layers.search_selectors import AddressHit, NearbyAddress, SearchResult, StreetHit
from residents.links import address_url, street_url

SUGGESTIONS = 8


def address_label(hit: AddressHit) -> str:
    return f"{hit.street} {hit.house_label}, {hit.postcode}"


def street_label(hit: StreetHit) -> str:
    return f"{hit.name}, {hit.postcode}"


def street_detail(hit: StreetHit) -> str:
    count = ngettext("%(count)d address", "%(count)d addresses", hit.addresses) % {"count": hit.addresses}
    return f"{hit.district} · {count}" if hit.district else count


def address_row(hit: AddressHit) -> dict:
    return {"label": address_label(hit), "kind": "address", "url": address_url(hit), "detail": hit.district}


def street_row(hit: StreetHit) -> dict:
    url = street_url(street=hit.name, postcode=hit.postcode)
    return {"label": street_label(hit), "kind": "street", "url": url, "detail": street_detail(hit)}


def suggestions(result: SearchResult, *, limit: int = SUGGESTIONS) -> dict:
    """The suggestion API's answer: addresses (when a number was typed) then streets; or the nearest names.

    ``match`` is false when nothing matched: ``suggestions`` then holds the street names nearest by spelling.
    """
    if not result.matched:
        return {"match": False, "suggestions": [street_row(hit) for hit in result.nearest(limit=limit)]}
    rows = [address_row(hit) for hit in result.addresses[:limit]]
    rows += [street_row(hit) for hit in result.streets if hit.matched][: max(limit - len(rows), 0)]
    return {"match": True, "suggestions": rows}


def results_addresses(result: SearchResult, *, neighbours: int = 4, limit: int = 12) -> list[AddressHit]:
    """The results page's addresses: every exact one and a few neighbours; else the nearest numbers."""
    exact = [hit for hit in result.addresses if hit.exact]
    others = [hit for hit in result.addresses if not hit.exact]
    return (exact + others[: neighbours if exact else limit])[:limit]


def house_missing(result: SearchResult) -> bool:
    """A house number was typed, streets were found, but none of them has that number (and suffix)."""
    return result.query.number is not None and bool(result.addresses) and not any(a.exact for a in result.addresses)


def house_typed(result: SearchResult) -> str:
    """The house number as typed, for "house number … was not found": "12", "12a", "12-14"."""
    query = result.query
    if query.number is None:
        return ""
    if not query.suffix or query.suffix.isalpha():
        return f"{query.number}{query.suffix}"
    return f"{query.number}-{query.suffix}"


def nearby_rows(nearby: list[NearbyAddress]) -> list[dict]:
    return [
        address_row(item.hit)
        | {"metres": round(item.metres), "distance": _("%(metres)d m away") % {"metres": round(item.metres)}}
        for item in nearby
    ]
