"""Benchmark of issue 15 (school connectivity): measurements through the API and their aggregates, each as a
ratio to its peer measured in the same run on the same data.

- **Ingest**: ``BENCH_MEASUREMENTS`` (default 1,000,000) measurements, one every few minutes per school, posted as
  JSON deliveries of at most ``BENCH_MEASUREMENT_BATCH`` (50,000) rows with each school's token through the
  site's WSGI application (Django's test client: URL routing, middleware, rate limit, token, parsing, checks,
  COPY, insert, aggregates of the touched days, measured values): the API's whole path except the socket.
  Peer: a plain COPY of the same rows as text into a table with the measurements' columns and indexes.
- **Aggregates**: ``aggregates_refresh()`` (every school, every day and week) and ``measured_refresh()`` against
  the same figures in one hand-written INSERT … SELECT each, into tables of the same shape.
- **Reads**: the school page's daily series and weekly history and the list of all schools with their class
  (schools.selectors) against the hand-written SELECTs behind them.

Run with ``BENCH_PARTS=s`` alone or beside the others (bench/README.md).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import timedelta

MEASUREMENTS = int(os.environ.get("BENCH_MEASUREMENTS", "1000000"))
BATCH = int(os.environ.get("BENCH_MEASUREMENT_BATCH", "50000"))
ROUNDS = 3


def _log(message: str) -> None:
    from bench.bench import log

    log(message)


def _deliveries(schools: list, now) -> list[tuple[object, list[dict]]]:
    """Deliveries of every school, in batches: the measurements go back from now every ``step`` minutes."""
    per_school = MEASUREMENTS // len(schools)
    step = 5  # minutes: 1,000,000 over 39 schools are ~89 days of a measurement every 5 minutes
    deliveries = []
    for s_index, school in enumerate(schools):
        count = per_school + (1 if s_index < MEASUREMENTS % len(schools) else 0)
        rows = [
            {
                "measured_at": (now - timedelta(minutes=step * (i + 1))).isoformat(),
                "down_mbits": round(200 + (i * 37 + s_index * 11) % 700 + 0.5, 1),
                "up_mbits": round(50 + (i * 13) % 150 + 0.25, 2),
                "latency_ms": round(5 + (i % 40) / 4, 2),
                "jitter_ms": round((i % 10) / 10, 1),
                "packet_loss_percent": 0.0 if i % 20 else 0.5,
            }
            for i in range(count)
        ]
        deliveries += [(school, rows[start : start + BATCH]) for start in range(0, count, BATCH)]
    return deliveries


def _copy_text(deliveries: list, batch_id: int) -> str:
    return "".join(
        f"{school.pk}\t{r['measured_at']}\t{r['down_mbits']}\t{r['up_mbits']}\t{r['latency_ms']}\t{r['jitter_ms']}"
        f"\t{r['packet_loss_percent']}\t{batch_id}\tf\n"
        for school, rows in deliveries
        for r in rows
    )


def _empty(cursor) -> None:
    cursor.execute(
        "TRUNCATE schools_measurement, schools_measurementaggregate, schools_measuredsummary, "
        "schools_measurementbatch, schools_schooltoken CASCADE"
    )


def ingest_run() -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from schools.models import MeasurementBatch, School
    from schools.tokens import school_token_create

    settings.RATELIMIT_MEASUREMENTS = "100000/m"
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    settings.SCHOOL_MEASUREMENTS_MAX_BYTES = max(settings.SCHOOL_MEASUREMENTS_MAX_BYTES, BATCH * 200)
    settings.SCHOOL_MEASUREMENTS_MAX_ROWS = max(settings.SCHOOL_MEASUREMENTS_MAX_ROWS, BATCH)
    schools = list(School.objects.filter(is_school=True).order_by("school_number"))
    if not schools:
        raise SystemExit("no schools in the bench database: load_city first")
    with connection.cursor() as cursor:
        _empty(cursor)
    tokens = {s.pk: school_token_create(school=s, name="bench", by=None)[1] for s in schools}
    now = timezone.now().replace(microsecond=0)
    deliveries = _deliveries(schools, now)
    bodies = [(school, json.dumps(rows)) for school, rows in deliveries]
    _log(f"schools: posting {MEASUREMENTS:,} measurements in {len(bodies)} deliveries")
    client = Client()
    started = time.perf_counter()
    stored = 0
    for school, body in bodies:
        response = client.post(
            "/api/schulen/messungen", data=body, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {tokens[school.pk]}",
        )  # fmt: skip
        if response.status_code != 201:
            raise SystemExit(f"the API answered {response.status_code}: {response.content[:500]!r}")
        stored += response.json()["stored"]
    ours = time.perf_counter() - started
    retry_started = time.perf_counter()
    school, body = bodies[0]
    again = client.post(
        "/api/schulen/messungen", data=body, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {tokens[school.pk]}",
    )  # fmt: skip
    retry = time.perf_counter() - retry_started

    batch = MeasurementBatch.objects.order_by("pk").first().pk
    text = _copy_text(deliveries, batch)
    copies = []
    with connection.cursor() as cursor:
        for _ in range(ROUNDS):
            cursor.execute("DROP TABLE IF EXISTS bench_measurement")
            cursor.execute("CREATE TABLE bench_measurement (LIKE schools_measurement INCLUDING ALL)")
            t = time.perf_counter()
            with cursor.copy(
                "COPY bench_measurement (school_id, measured_at, down_mbits, up_mbits, latency_ms, jitter_ms,"
                " packet_loss_percent, batch_id, is_demo) FROM STDIN"
            ) as copy:
                copy.write(text)
            copies.append(time.perf_counter() - t)
        cursor.execute("DROP TABLE bench_measurement")
    return {
        "rows": MEASUREMENTS,
        "stored": stored,
        "deliveries": len(bodies),
        "ours_seconds": ours,
        "copy_seconds": min(copies),
        "retry_status": again.status_code,
        "retry_duplicates": again.json().get("duplicates"),
        "retry_seconds": retry,
    }


HAND_DAYS = """
INSERT INTO bench_aggregate
SELECT school_id, 'day', (measured_at AT TIME ZONE %(tz)s)::date AS d, count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY down_mbits), percentile_cont(0.1) WITHIN GROUP (ORDER BY down_mbits),
       max(down_mbits), percentile_cont(0.5) WITHIN GROUP (ORDER BY up_mbits),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), percentile_cont(0.5) WITHIN GROUP (ORDER BY jitter_ms),
       avg(packet_loss_percent), bool_or(is_demo)
FROM schools_measurement GROUP BY school_id, d
"""
HAND_WEEKS = HAND_DAYS.replace("'day'", "'week'").replace(
    "(measured_at AT TIME ZONE %(tz)s)::date", "date_trunc('week', measured_at AT TIME ZONE %(tz)s)::date"
)
HAND_MEASURED = """
INSERT INTO bench_measured
SELECT school_id, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY down_mbits),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY up_mbits), percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),
       max(measured_at)
FROM schools_measurement WHERE measured_at >= now() - %(days)s * interval '1 day' GROUP BY school_id
"""


def _timed(function) -> float:
    t = time.perf_counter()
    function()
    return time.perf_counter() - t


def aggregates_run() -> dict:
    from django.conf import settings
    from django.db import connection, transaction

    from schools.aggregates import aggregates_refresh, measured_refresh

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE schools_measurement")
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_aggregate (school_id bigint, period text, start date, n bigint,"
            " a float8, b float8, c float8, d float8, e float8, f float8, g float8, h bool)"
        )
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_measured (school_id bigint, n bigint, a float8, b float8,"
            " c float8, newest timestamptz)"
        )
    params = {"tz": settings.TIME_ZONE, "days": settings.SCHOOL_MEASUREMENT_WINDOW_DAYS}

    def hand(sql_list: list[str], table: str):
        def run():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {table}")
                for sql in sql_list:
                    cursor.execute(sql, params)

        return run

    def ours_aggregates():
        with transaction.atomic():
            aggregates_refresh()

    def ours_measured():
        with transaction.atomic():
            measured_refresh()

    result = {}
    for name, ours, peer in (
        ("aggregates", ours_aggregates, hand([HAND_DAYS, HAND_WEEKS], "bench_aggregate")),
        ("measured", ours_measured, hand([HAND_MEASURED], "bench_measured")),
    ):
        ours_t = min(_timed(ours) for _ in range(ROUNDS))
        hand_t = min(_timed(peer) for _ in range(ROUNDS))
        result[name] = (ours_t, hand_t)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM schools_measurementaggregate")
        result["aggregate_rows"] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM bench_aggregate")
        result["hand_rows"] = cursor.fetchone()[0]
    return result


def reads_run() -> dict:
    from django.db import connection

    from schools.models import School
    from schools.selectors import school_connectivity, school_measurement_days, school_measurement_weeks

    school = School.objects.filter(is_school=True).order_by("school_number").first()
    repeat = 50

    def ours_page():
        school_measurement_days(school=school)
        school_measurement_weeks(school=school)

    def hand_page():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT * FROM schools_measurementaggregate WHERE school_id = %s AND period = 'day'"
                " AND period_start >= current_date - 89 ORDER BY period_start",
                [school.pk],
            )
            cursor.fetchall()
            cursor.execute(
                "SELECT * FROM schools_measurementaggregate WHERE school_id = %s AND period = 'week'"
                " ORDER BY period_start DESC LIMIT 26",
                [school.pk],
            )
            cursor.fetchall()

    def ours_list():
        list(school_connectivity())

    def hand_list():
        # The list's core without the rollout offers: schools, their record, measured values and class.
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT s.*, c.status, c.contracted_down_mbits, m.down_median_mbits,
                          CASE WHEN coalesce(m.down_median_mbits, c.contracted_down_mbits) IS NULL THEN 'unknown'
                               WHEN coalesce(m.down_median_mbits, c.contracted_down_mbits) >= coalesce(s.pupils, 1000)
                               THEN 'good' ELSE 'other' END
                   FROM schools_school s LEFT JOIN schools_schoolconnection c ON c.school_id = s.id
                   LEFT JOIN schools_measuredsummary m ON m.school_id = s.id WHERE s.is_school ORDER BY s.name"""
            )
            cursor.fetchall()

    def per_call(function) -> float:
        times = []
        for _ in range(ROUNDS):
            t = time.perf_counter()
            for _ in range(repeat):
                function()
            times.append((time.perf_counter() - t) / repeat)
        return statistics.median(times)

    return {
        "page": (per_call(ours_page), per_call(hand_page)),
        "list": (per_call(ours_list), per_call(hand_list)),
    }


def run(db) -> dict:
    """Every part, in the bench database (DATABASE_URL points there; django is set up by bench.py)."""
    import django

    django.setup()
    result = {"ingest": ingest_run()}
    result.update(aggregates_run())
    result["reads"] = reads_run()
    return result


def report(result: dict) -> None:
    from bench.bench import _ratio

    ing = result["ingest"]
    ours_rate, copy_rate = ing["rows"] / ing["ours_seconds"], ing["rows"] / ing["copy_seconds"]
    print(
        f"\nschool measurements, {ing['rows']:,} rows in {ing['deliveries']} JSON deliveries through the API:"
        f" ours {ing['ours_seconds']:.1f} s = {ours_rate:,.0f}/s ({ing['stored']:,} stored), plain COPY"
        f" {ing['copy_seconds']:.1f} s = {copy_rate:,.0f}/s: time ratio"
        f" {_ratio(ing['ours_seconds'], ing['copy_seconds'], 5, higher=False)} (target ≤5x);"
        f" a delivery sent again: HTTP {ing['retry_status']}, {ing['retry_duplicates']:,} duplicates,"
        f" {ing['retry_seconds']:.2f} s"
    )
    for name, label in (("aggregates", "daily and weekly aggregates, all schools"), ("measured", "measured values")):
        ours, hand = result[name]
        print(
            f"- {label}: ours {ours:.2f} s, hand-written {hand:.2f} s:"
            f" {_ratio(ours, hand, 1.5, higher=False)} (target ≤1.5x)"
        )
    print(f"- aggregate rows: ours {result['aggregate_rows']:,}, hand-written {result['hand_rows']:,}")
    for name, label in (("page", "a school page's series and history"), ("list", "the list of all schools")):
        ours, hand = result["reads"][name]
        print(f"- {label}: ours {ours * 1000:.1f} ms, raw SQL {hand * 1000:.1f} ms: {ours / hand:.2f}x")
