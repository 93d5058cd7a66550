"""Reads of the measurements: a school's daily series for its chart, weekly history, and the OGC collection."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, QuerySet
from django.utils import timezone

from rollout.roles import AnyUser
from schools.models import MeasurementAggregate, MeasurementBatch, School

CHART_DAYS = 90


def school_measurement_days(
    *, school: School, days: int = CHART_DAYS, user: AnyUser = None
) -> list[MeasurementAggregate]:
    """The school's daily figures of the last ``days`` days (today included), oldest first."""
    since = timezone.localdate() - timedelta(days=days - 1)
    return list(
        MeasurementAggregate.objects.filter(
            school=school, period=MeasurementAggregate.Period.DAY, period_start__gte=since
        ).order_by("period_start")
    )


def school_measurement_weeks(*, school: School, weeks: int = 26, user: AnyUser = None) -> list[MeasurementAggregate]:
    """The school's weekly figures, newest first (at most ``weeks``)."""
    return list(
        MeasurementAggregate.objects.filter(school=school, period=MeasurementAggregate.Period.WEEK).order_by(
            "-period_start"
        )[:weeks]
    )


def school_measurement_deliveries(*, school: School, limit: int = 10, user: AnyUser = None) -> list[MeasurementBatch]:
    """The newest deliveries of measurements (for planners: is the school's device still sending?)."""
    return list(MeasurementBatch.objects.filter(school=school).select_related("token").order_by("-received_at")[:limit])


def measurement_aggregate_features(*, user: AnyUser = None) -> QuerySet[MeasurementAggregate]:
    """Daily and weekly figures of every school's measurements, with the school's number and name (OGC API)."""
    return MeasurementAggregate.objects.filter(school__is_school=True).annotate(
        school_number=F("school__school_number"), school_name=F("school__name")
    )


def measurement_weeks_features(*, user: AnyUser = None) -> QuerySet[MeasurementAggregate]:
    """The weekly figures only: what the vector tiles carry (a point per school and week; days would stack 7x)."""
    return measurement_aggregate_features(user=user).filter(period=MeasurementAggregate.Period.WEEK)
