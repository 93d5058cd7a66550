"""Reads of schools. Every read path (pages, OGC API, exports) goes through here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import QuerySet

from layers.selectors import WEB_PRECISION
from schools.models import School

User = AbstractBaseUser | AnonymousUser | None


def schools_public(*, user: User = None) -> QuerySet[School]:
    """Every entry of the school register, offices (``is_school=False``) included, as published by NRW."""
    return School.objects.all()


def school_list() -> QuerySet[School]:
    """Schools (not the school offices listed in the register), by name."""
    return schools_public().filter(is_school=True).order_by("name")


def school_map_list() -> QuerySet[School]:
    """Schools with their position as ``geojson`` in EPSG:4326, for web maps."""
    return school_list().annotate(geojson=AsGeoJSON(Transform("geom", 4326), precision=WEB_PRECISION))
