"""The connections' history: the state of every school at any past day (one query), a school's changes, and the
time player's data (every school's changes, fetched once by the map page)."""

from __future__ import annotations

import json
from datetime import date

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db.models import QuerySet
from django.urls import reverse

from layers.selectors import WEB_PRECISION
from rollout.roles import AnyUser
from schools.models import School, SchoolConnectionChange
from schools.selectors.registry import school_list


def school_connections_as_of(*, day: date, user: AnyUser = None) -> QuerySet[SchoolConnectionChange]:
    """Per school, the history row in force at the end of ``day``: the newest valid by then (one statement,
    DISTINCT ON over the index on school, valid_from, changed_at; the later row of two saved at once wins).
    Schools without a row by then are absent."""
    return (
        SchoolConnectionChange.objects.filter(valid_from__lte=day, school__is_school=True)
        .order_by("school_id", "-valid_from", "-changed_at", "-pk")
        .distinct("school_id")
        .select_related("school", "provider")
    )


def school_history(*, school: School, user: AnyUser = None) -> QuerySet[SchoolConnectionChange]:
    """A school's connection changes, newest first, with who made them (planners see names on their pages)."""
    return (
        SchoolConnectionChange.objects.filter(school=school)
        .select_related("provider", "changed_by")
        .order_by("-valid_from", "-changed_at", "-pk")
    )


def schools_timeline(*, user: AnyUser = None) -> dict:
    """What the time player needs, in two queries: every school with its position and its changes of status.

    ``{"first": ISO day of the oldest change or None, "schools": [{"number", "name", "type", "url", "lon",
    "lat", "changes": [[ISO day, status], ...]}]}``; changes in order, only those that change the status.
    """
    schools = list(
        school_list()
        .annotate(point=AsGeoJSON(Transform("geom", 4326), precision=WEB_PRECISION))
        .values("pk", "school_number", "name", "school_type", "point")
    )
    changes: dict[int, list[list[str]]] = {row["pk"]: [] for row in schools}
    rows = (
        SchoolConnectionChange.objects.filter(school_id__in=changes)
        .order_by("school_id", "valid_from", "changed_at", "pk")
        .values_list("school_id", "valid_from", "status")
    )
    first = None
    for school_id, valid_from, status in rows:
        steps = changes[school_id]
        day = valid_from.isoformat()
        first = day if first is None or day < first else first
        if steps and steps[-1][0] == day:
            steps[-1][1] = status  # the later change of the same day wins
        elif not steps or steps[-1][1] != status:
            steps.append([day, status])
    result = []
    for row in schools:
        lon, lat = json.loads(row["point"])["coordinates"]
        result.append(
            {
                "number": row["school_number"],
                "name": row["name"],
                "type": row["school_type"],
                "url": reverse("schools:school", kwargs={"school_number": row["school_number"]}),
                "lon": lon,
                "lat": lat,
                "changes": changes[row["pk"]],
            }
        )
    return {"first": first, "schools": result}
