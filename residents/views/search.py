"""Find the address: the results page (works without JavaScript), the suggestions API, and "use my location".

- ``GET /suche/?q=…``: streets and addresses for what was typed; one exact address redirects to its page;
  no match says so and offers the nearest street names.
- ``GET /suche/vorschlaege?q=…``: JSON ``{"match": bool, "suggestions": [{label, kind, url, detail}]}`` for
  the combobox (residents/static/residents/js/search-box.js); public and cacheable for a few minutes.
- ``POST /suche/standort`` (lat, lon; CSRF): the addresses nearest the browser's position. A POST so that
  the position never appears in a URL, and so in no access log; nothing of it is stored or logged here.

All three are rate-limited per client (geoportal.ratelimits). Malformed input (too long, control characters,
coordinates that are no coordinates) gets a 400 that says what is wrong.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.gis.geos import Point
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from geoportal.errorpages import with_error_pages
from geoportal.errors import GeoportalError
from geoportal.ratelimits import limited
from layers.search import address_query
from layers.search_selectors import address_search, addresses_nearest
from residents import presentation
from residents.links import address_url

# Suggestions change only when addresses are imported: browsers and proxies may keep them a few minutes.
SUGGEST_MAX_AGE = 300
RESULTS_STREETS = 20
RESULTS_PER_STREET = 8
# Farther than this from every address, a position is not in the city (or the browser's guess is poor).
LOCATE_MAX_METRES = 1000


def _rate(group: str, request: HttpRequest) -> str:
    """The limit as set now (read per request, so a changed setting applies without a restart of the module)."""
    return settings.RATELIMIT_SUGGEST


@require_GET
@with_error_pages
@limited(group="search", rate=_rate)
def search_page(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    if not text.strip():
        return render(request, "residents/search.html", {"query": None})
    query = address_query(text)
    result = address_search(query=query, streets=RESULTS_STREETS, per_street=RESULTS_PER_STREET)
    if (exact := result.exact_address) is not None:
        return redirect(address_url(exact))
    context = {
        "query": query,
        "result": result,
        "addresses": [presentation.address_row(hit) for hit in presentation.results_addresses(result)],
        "streets": [presentation.street_row(hit) for hit in result.streets if hit.matched],
        "nearest": [presentation.street_row(hit) for hit in result.nearest()],
        "house_missing": presentation.house_missing(result),
        "house_typed": presentation.house_typed(result),
    }
    return render(request, "residents/search.html", context)


def _json_error(error: GeoportalError) -> JsonResponse:
    return JsonResponse({"error": _(error.message), "where": error.where}, status=error.status)


@require_GET
@limited(group="suggest", rate=_rate, json=True)
def suggest(request: HttpRequest) -> HttpResponse:
    try:
        query = address_query(request.GET.get("q", ""))
    except GeoportalError as error:
        if error.status >= 500:
            raise
        return _json_error(error)
    limit = presentation.SUGGESTIONS
    result = address_search(query=query, streets=limit, per_street=limit, typing=True)
    response = JsonResponse(presentation.suggestions(result, limit=limit))
    patch_cache_control(response, public=True, max_age=SUGGEST_MAX_AGE)
    return response


class LocateForm(forms.Form):
    """A WGS84 position as the browser's Geolocation API gives it."""

    lat = forms.FloatField(min_value=-90, max_value=90, label=gettext_lazy("latitude"))
    lon = forms.FloatField(min_value=-180, max_value=180, label=gettext_lazy("longitude"))


@require_POST
@never_cache
@limited(group="locate", rate=_rate, methods=("POST",), json=True)
def locate(request: HttpRequest) -> HttpResponse:
    form = LocateForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return JsonResponse({"error": _("This is not a position: %(problems)s") % {"problems": problems}}, status=400)
    point = Point(form.cleaned_data["lon"], form.cleaned_data["lat"], srid=4326)
    nearby = [item for item in addresses_nearest(point=point, limit=3) if item.metres <= LOCATE_MAX_METRES]
    if not nearby:
        message = _("There is no address of %(city)s near your position.") % {"city": settings.CITY_NAME}
        return JsonResponse({"addresses": [], "message": message})
    return JsonResponse({"addresses": presentation.nearby_rows(nearby)})
