"""The bandwidth benchmark of a school and its class (good / moderate / insufficient / unknown), as SQL expressions.

One definition, used by every page, the OGC API and the planners' panel (they annotate querysets with these
expressions, so the class is computed in PostgreSQL for all schools in one statement). The rule, its sources and
its settings are written down in schools/README.md:

- benchmark (download) = SCHOOL_BENCHMARK_MBITS_PER_PUPIL × pupils; SCHOOL_BENCHMARK_DEFAULT_MBITS where the
  number of pupils is unknown. The defaults put the EU Gigabit Society target (1 Gbit/s for a school) at a school
  of 1,000 pupils, i.e. 1 Mbit/s per pupil.
- the value compared: the median measured download of the last SCHOOL_MEASUREMENT_WINDOW_DAYS days where the
  school measures (kept per school in schools.models.MeasuredSummary), else the contracted download (Giga, too,
  prefers what a school actually gets).
- good: value ≥ benchmark; moderate: value ≥ SCHOOL_BENCHMARK_MODERATE_SHARE × benchmark; insufficient: below;
  unknown: no value at all.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case, F, FloatField, Value, When
from django.db.models.functions import Coalesce, Greatest

from schools.vocabulary import BenchmarkBasis, BenchmarkClass


def required_down_mbits() -> Case:
    """The school's download benchmark in Mbit/s (annotate a School queryset; ``pupils`` is the school's)."""
    per_pupil = float(settings.SCHOOL_BENCHMARK_MBITS_PER_PUPIL)
    return Case(
        When(pupils__isnull=True, then=Value(float(settings.SCHOOL_BENCHMARK_DEFAULT_MBITS))),
        # Greatest(…, 0) keeps a misconfigured negative factor from producing negative benchmarks.
        default=Greatest(F("pupils") * Value(per_pupil), Value(0.0)),
        output_field=FloatField(),
    )


def benchmark_class() -> Case:
    """The class of an annotated school (needs ``compared_down_mbits`` and ``required_down_mbits``)."""
    share = float(settings.SCHOOL_BENCHMARK_MODERATE_SHARE)
    return Case(
        When(compared_down_mbits__isnull=True, then=Value(BenchmarkClass.UNKNOWN.value)),
        When(compared_down_mbits__gte=F("required_down_mbits"), then=Value(BenchmarkClass.GOOD.value)),
        When(
            compared_down_mbits__gte=F("required_down_mbits") * Value(share), then=Value(BenchmarkClass.MODERATE.value)
        ),
        default=Value(BenchmarkClass.INSUFFICIENT.value),
    )


def benchmark_basis() -> Case:
    return Case(
        When(measured_down_mbits__isnull=False, then=Value(BenchmarkBasis.MEASURED.value)),
        When(compared_down_mbits__isnull=False, then=Value(BenchmarkBasis.CONTRACTED.value)),
        default=Value(BenchmarkBasis.NONE.value),
    )


def benchmark_annotate(queryset, *, contracted: str = "connection__contracted_down_mbits"):
    """``queryset`` (of School) with the benchmark's figures, its class and the class's basis:
    ``required_down_mbits``, ``measured_down_mbits``/``measured_up_mbits``/``measured_latency_ms`` (medians of
    the window: schools.models.MeasuredSummary, joined), ``compared_down_mbits`` (measured, else contracted),
    ``benchmark_class``, ``benchmark_basis``."""
    return (
        queryset.annotate(
            required_down_mbits=required_down_mbits(),
            measured_down_mbits=F("measured__down_median_mbits"),
            measured_up_mbits=F("measured__up_median_mbits"),
            measured_latency_ms=F("measured__latency_median_ms"),
            measurement_count=F("measured__measurements"),
        )
        .annotate(compared_down_mbits=Coalesce(F("measured_down_mbits"), F(contracted), output_field=FloatField()))
        .annotate(benchmark_class=benchmark_class(), benchmark_basis=benchmark_basis())
    )
