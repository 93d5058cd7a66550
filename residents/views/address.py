"""The address page: what is planned and available at one address, from every provider."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from geoportal.errorpages import with_error_pages
from geoportal.errors import NotFoundError
from layers import selectors as layer_selectors
from residents.links import address_url


@require_GET
@with_error_pages
def address_by_id(request: HttpRequest, pk: int) -> HttpResponse:
    """A map click knows the address's id only: send the visitor on to the stable permalink."""
    return redirect(address_url(layer_selectors.address_get(pk=pk)))


@require_GET
@with_error_pages
def address_page(request: HttpRequest, postcode: str, street: str, house: str) -> HttpResponse:
    address = layer_selectors.address_by_permalink(postcode=postcode, street_slug=street, house=house)
    return render(request, "residents/address.html", {"address": address})


@require_GET
@with_error_pages
def street_page(request: HttpRequest, postcode: str, street: str) -> HttpResponse:
    name = layer_selectors.street_for_slug(postcode=postcode, street_slug=street)
    if name is None:
        raise NotFoundError(f"no street {street} in {postcode}")
    addresses = layer_selectors.addresses_public().filter(postcode=postcode, street=name)
    addresses = addresses.order_by("house_number", "house_number_suffix")
    context = {"street": name, "postcode": postcode, "addresses": addresses}
    return render(request, "residents/street.html", context)
