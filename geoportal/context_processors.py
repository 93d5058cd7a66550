"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {
        "CITY_NAME": settings.CITY_NAME,
        "BASEMAP_URL": settings.BASEMAP_URL,
    }
