"""The school register: every read of the schools' own facts (real open data, public)."""

from __future__ import annotations

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import QuerySet

from geoportal.errors import NotFoundError
from layers.selectors import WEB_PRECISION
from rollout.roles import AnyUser
from schools.models import School


def schools_public(*, user: AnyUser = None) -> QuerySet[School]:
    """Every entry of the school register, offices (``is_school=False``) included, as published by NRW."""
    return School.objects.all()


def school_list() -> QuerySet[School]:
    """Schools (not the school offices listed in the register), by name."""
    return schools_public().filter(is_school=True).order_by("name")


def school_map_list() -> QuerySet[School]:
    """Schools with their position as ``geojson`` in EPSG:4326, for web maps."""
    return school_list().annotate(geojson=AsGeoJSON(Transform("geom", 4326), precision=WEB_PRECISION))


def school_get(*, school_number: str, user: AnyUser = None) -> School:
    """One school by its official number; NotFoundError for anything else (offices included: they have no line)."""
    school = school_list().select_related("district", "district__parent").filter(school_number=school_number).first()
    if school is None:
        raise NotFoundError(f"no school {school_number}")
    return school


def school_types() -> list[str]:
    """The types of school in the register, alphabetically (for filters)."""
    return list(school_list().order_by("school_type").values_list("school_type", flat=True).distinct())
