"""Site-wide views: home page, sources and licences, health."""

import logging

from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "geoportal/home.html", {})


@require_GET
def sources(request: HttpRequest) -> HttpResponse:
    return render(request, "geoportal/sources.html", {})


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
