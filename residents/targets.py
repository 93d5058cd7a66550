"""What residents can follow or report on: an address or a district, named in URLs and in texts in one place.

A district's slug is its name's (layers.naming.slug); where a Stadtbezirk and a Stadtteil share one, each gets
its level appended ("saarn-stadtteil"). That is the rule of the district pages (``residents:district``,
/bezirke/<slug>/), so a district's feed and follow page sit under its page's path.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from geoportal.errors import NotFoundError
from layers import selectors as layer_selectors
from layers.models import Address, District
from layers.naming import house_slug, slug
from residents.links import address_url

# The districts one can follow: those with a page of their own.
FOLLOW_LEVELS = (District.Level.BOROUGH, District.Level.QUARTER)


def district_slugs() -> dict[int, str]:
    """Slug of every Stadtbezirk and Stadtteil, by id (a dozen rows: read whole)."""
    rows = layer_selectors.districts_public().filter(level__in=FOLLOW_LEVELS).values_list("pk", "name", "level")
    by_base: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, name, level in rows:
        by_base[slug(name) or "bezirk"].append((pk, level))
    return {
        pk: base if len(same) == 1 else f"{base}-{slug(level)}" for base, same in by_base.items() for pk, level in same
    }


def district_slug(district: District) -> str:
    """The district's slug; ``district.known_slug``, set by a caller that read all slugs once, saves the query."""
    known = getattr(district, "known_slug", None)
    return known if known is not None else district_slugs()[district.pk]


def district_for_slug(*, district_slug: str) -> District:
    """The followable district whose slug is ``district_slug``; NotFoundError when there is none."""
    pk = next((pk for pk, value in district_slugs().items() if value == district_slug), None)
    if pk is None:
        raise NotFoundError(f"no district {district_slug}")
    return layer_selectors.districts_public().get(pk=pk)


def district_followable_get(*, pk: int) -> District:
    district = layer_selectors.districts_public().filter(pk=pk, level__in=FOLLOW_LEVELS).first()
    if district is None:
        raise NotFoundError(f"no district {pk}")
    return district


def target_label(target: Address | District) -> str:
    """ "Schloßstraße 12, 45468 Mülheim an der Ruhr" or "Saarn (Stadtteil)", for pages and mails."""
    if isinstance(target, Address):
        return f"{target.street} {target.house_label}, {target.postcode} {target.city}"
    return f"{target.name} ({target.get_level_display()})"


def target_page(target: Address | District) -> str:
    """The page of the address or district (path, active language).

    The district pages come with the pages part of issue 13; where they are not installed the district's
    follow page stands in, so that links in mails and feeds always lead somewhere.
    """
    if isinstance(target, Address):
        return address_url(target)
    try:
        return reverse("residents:district", kwargs={"district": district_slug(target)})
    except NoReverseMatch:
        return reverse("follow:district", kwargs={"district": district_slug(target)})


def permalink_kwargs(address: Address) -> dict[str, str]:
    """The parts of an address's permalink (residents.links.address_url), for the pages below it."""
    house = house_slug(address.house_number, address.house_number_suffix)
    return {"postcode": address.postcode, "street": slug(address.street), "house": house}


def follow_page(target: Address | District) -> str:
    """The page with the form to follow the address or district (path, active language)."""
    if isinstance(target, Address):
        return reverse("follow:address", kwargs=permalink_kwargs(target))
    return reverse("follow:district", kwargs={"district": district_slug(target)})


def feed_path(target: Address | District) -> str:
    """The Atom feed of the address or district."""
    if isinstance(target, Address):
        return reverse("follow:address-feed", kwargs=permalink_kwargs(target))
    return reverse("follow:district-feed", kwargs={"district": district_slug(target)})


def report_page(address: Address) -> str:
    """The form to report an error at the address."""
    return reverse("reports:address", kwargs=permalink_kwargs(address))


def absolute(path: str) -> str:
    """``path`` on the site's public address (settings.SITE_URL): for mails and feeds, made outside a request."""
    return settings.SITE_URL + path
