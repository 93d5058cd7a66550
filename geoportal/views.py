"""Site-wide views: home page, sources and licences, health, error pages."""

import logging

from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from layers import selectors as layer_selectors
from residents.maps import portal_map
from schools import selectors as school_selectors

logger = logging.getLogger(__name__)

# The vendored browser libraries, for the sources page (see static/vendor/README.md).
VENDORED_SOFTWARE = [
    {
        "name": "Leaflet",
        "version": "1.9.4",
        "licence": "BSD-2-Clause",
        "licence_file": "vendor/leaflet-1.9.4/LICENSE",
        "url": "https://leafletjs.com",
    },
    {
        "name": "Noto Sans",
        "version": "5.3.0",
        "licence": "OFL-1.1",
        "licence_file": "vendor/noto-sans-5.3.0/LICENSE",
        "url": "https://fontsource.org/fonts/noto-sans",
    },
    {
        "name": "MapLibre GL JS",
        "version": "6.17.0",
        "licence": "BSD-3-Clause",
        "licence_file": "vendor/maplibre-gl-6.17.0/LICENSE.txt",
        "url": "https://maplibre.org",
    },
    {
        "name": "OpenLayers",
        "version": "10.9.0",
        "licence": "BSD-2-Clause",
        "licence_file": "vendor/ol-10.9.0/LICENSE.md",
        "url": "https://openlayers.org",
    },
]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    totals = layer_selectors.address_totals()
    context = {
        # The residents' map: every layer, the whole city (residents/maps.py).
        "portal_map": portal_map(),
        "counts": {
            "schools": school_selectors.school_list().count(),
            "addresses": totals["addresses"],
            "homes": totals["homes"],
            "districts": layer_selectors.district_count(),
        },
    }
    return render(request, "geoportal/home.html", context)


@require_GET
def sources(request: HttpRequest) -> HttpResponse:
    context = {"layers": layer_selectors.layer_list(), "software": VENDORED_SOFTWARE}
    return render(request, "geoportal/sources.html", context)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors that query the database: the database may be why we are here.
    return render(request, "500.html", status=500)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers and PostGIS is installed."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("select current_setting('server_version'), postgis_full_version(), postgis_lib_version()")
            server_version, postgis_full, postgis_version = cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("health check failed: %s", exc)
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse(
        {
            "status": "ok",
            "database": {"postgresql": server_version, "postgis": postgis_version, "postgis_full": postgis_full},
        }
    )
