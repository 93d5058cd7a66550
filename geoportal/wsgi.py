"""WSGI entry point for gunicorn (and runserver).

Plain anonymous GETs of cached OGC responses (features, queryables, vector tiles) are answered here,
before Django builds a request: ogc.response_cache decides from the environ alone, without the
database, and anything it cannot decide goes to Django. See ogc/response_cache.py.
"""

import logging
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
django_application = get_wsgi_application()
# Import every view module (pygeoapi, geopandas: ~1 s) now, while the worker boots, not in its first request.
get_resolver().url_patterns  # noqa: B018 - importing them is the point

from ogc.response_cache import wsgi_hit  # noqa: E402 - needs the configured settings

logger = logging.getLogger(__name__)


def application(environ, start_response):
    try:
        entry = wsgi_hit(environ)
    except Exception:
        logger.exception("response cache lookup failed; answering through Django")
        entry = None
    if entry is None:
        return django_application(environ, start_response)
    start_response(entry.wsgi_status(), entry.headers)
    return [entry.content]
