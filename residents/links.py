"""Links to residents' pages, built in one place."""

from __future__ import annotations

from django.urls import reverse

from layers.models import Address
from layers.naming import house_slug, slug


def address_url(address: Address) -> str:
    """The address page's permalink (path), in the active language."""
    return reverse(
        "residents:address",
        kwargs={
            "postcode": address.postcode,
            "street": slug(address.street),
            "house": house_slug(address.house_number, address.house_number_suffix),
        },
    )


def street_url(*, street: str, postcode: str) -> str:
    """The page of one street (all its addresses) within one postcode."""
    return reverse("residents:street", kwargs={"postcode": postcode, "street": slug(street)})
