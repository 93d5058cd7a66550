"""Daily and weekly figures of the schools' measurements and their current measured values, computed in PostgreSQL.

``aggregates_refresh`` rewrites the aggregate rows of the given schools and days from the measurements in two
statements per period (DELETE, then INSERT … SELECT … GROUP BY with exact medians), so a delivery refreshes
only the days it touched and a full refresh (demo data, benchmarks) is the same statement without a range.
Days and ISO weeks (starting on Monday) are those of the city's time zone (settings.TIME_ZONE), as people
read a school's day. ``measured_refresh`` rewrites each school's medians of the last
SCHOOL_MEASUREMENT_WINDOW_DAYS days (what the benchmark compares) in one statement.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from schools.models import MeasuredSummary, Measurement, MeasurementAggregate


def _q(column: str, fraction: float = 0.5) -> str:
    """SQL of the exact percentile (median by default) of a column, to hundredths (no float noise in the API)."""
    return f"round(percentile_cont({fraction}) WITHIN GROUP (ORDER BY {column})::numeric, 2)::float8"


# period -> the SQL of its first day from a measurement's local time ``t``.
PERIODS = {
    MeasurementAggregate.Period.DAY: "t::date",
    MeasurementAggregate.Period.WEEK: "date_trunc('week', t)::date",
}


def _range(period: str, since: date | None, until: date | None) -> tuple[date | None, date | None]:
    """The period starts to rewrite: whole weeks around the days for weekly figures."""
    if period == MeasurementAggregate.Period.WEEK:
        since = since - timedelta(days=since.weekday()) if since else None
        until = until + timedelta(days=6 - until.weekday()) if until else None
    return since, until


def aggregates_refresh(
    *, school_ids: list[int] | None = None, since: date | None = None, until: date | None = None
) -> int:
    """Rewrite the daily and weekly aggregates of ``school_ids`` (all: None) for the local days since…until
    (inclusive; None: unbounded). Returns the number of aggregate rows written. Runs in the caller's transaction."""
    table, source = MeasurementAggregate._meta.db_table, Measurement._meta.db_table
    written = 0
    with connection.cursor() as cursor:
        for period, start_sql in PERIODS.items():
            first, last = _range(period, since, until)
            where, params = ["TRUE"], []
            if school_ids is not None:
                where.append("school_id = ANY(%s)")
                params.append(list(school_ids))
            source_where, source_params = list(where), list(params)
            if first is not None:
                where.append("period_start >= %s")
                params.append(first)
                source_where.append("measured_at >= (%s::date::timestamp AT TIME ZONE %s)")
                source_params += [first, settings.TIME_ZONE]
            if last is not None:
                where.append("period_start <= %s")
                params.append(last)
                source_where.append("measured_at < ((%s::date + 1)::timestamp AT TIME ZONE %s)")
                source_params += [last, settings.TIME_ZONE]
            cursor.execute(f"DELETE FROM {table} WHERE period = %s AND {' AND '.join(where)}", [period, *params])
            cursor.execute(
                f"""
                INSERT INTO {table} (school_id, period, period_start, measurements, down_median_mbits,
                    down_p10_mbits, down_max_mbits, up_median_mbits, latency_median_ms, jitter_median_ms,
                    packet_loss_mean_percent, is_demo)
                SELECT school_id, %s, {start_sql} AS start, count(*),
                       {_q("down_mbits", 0.5)},
                       {_q("down_mbits", 0.1)}, max(down_mbits),
                       {_q("up_mbits", 0.5)},
                       {_q("latency_ms", 0.5)},
                       {_q("jitter_ms", 0.5)},
                       round(avg(packet_loss_percent)::numeric, 3)::float8, bool_or(is_demo)
                FROM (SELECT *, measured_at AT TIME ZONE %s AS t FROM {source}
                      WHERE {" AND ".join(source_where)}) m
                GROUP BY school_id, start
                """,
                [period, settings.TIME_ZONE, *source_params],
            )
            written += cursor.rowcount
    return written


def measured_refresh(*, school_ids: list[int] | None = None) -> int:
    """Rewrite the measured values (schools.models.MeasuredSummary) of ``school_ids`` (all: None) for the window
    ending now; schools without a measurement in the window get no row. Returns the number of rows written."""
    table, source = MeasuredSummary._meta.db_table, Measurement._meta.db_table
    where, params = "TRUE", []
    if school_ids is not None:
        where, params = "school_id = ANY(%s)", [list(school_ids)]
    start = timezone.now() - timedelta(days=settings.SCHOOL_MEASUREMENT_WINDOW_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
        cursor.execute(
            f"""
            INSERT INTO {table} (school_id, window_start, measurements, down_median_mbits, up_median_mbits,
                latency_median_ms, newest_at, computed_at, is_demo)
            SELECT school_id, %s, count(*), {_q("down_mbits")}, {_q("up_mbits")}, {_q("latency_ms")},
                   max(measured_at), now(), bool_or(is_demo)
            FROM {source} WHERE {where} AND measured_at >= %s
            GROUP BY school_id
            """,
            [start, *params, start],
        )
        return cursor.rowcount
