"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from geoportal.demo import demo_data_present


def site(request: HttpRequest) -> dict:
    return {
        "CITY_NAME": settings.CITY_NAME,
        "BASEMAP_URL": settings.BASEMAP_URL,
        # Lazy: the 500 page, which must not query, never looks at it.
        "DEMO_DATA": SimpleLazyObject(demo_data_present),
    }
