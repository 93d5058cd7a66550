"""Demo connections and measurement histories for the real schools, clearly labelled (``is_demo=True``).

The school facts (names, types, pupils, positions) are real open data and stay untouched; what the city does not
publish (each school's line, its fibre project, its measured speeds) is generated here while the portal runs
on demo data. Deterministic: every school draws from a numpy Generator seeded with (seed, school number), and
dates are relative to the day of generation (as the demo plans'). A school with a real (non-demo) connection
record is left alone.

Per school: a history of 1 to 4 states over the last three to four years (an old line, a fibre plan with its
funding, construction, the connection), written through schools.services like a planner's edits; and for
most schools a measurement every two hours over ``days`` days (COPY, one delivery per school), whose speeds
follow the line of the day, the school day's load and the school's own in-house network. Then the daily and
weekly aggregates and the measured values are computed, as after real deliveries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from rollout.models import Provider
from schools.aggregates import aggregates_refresh, measured_refresh
from schools.models import (
    MeasuredSummary,
    Measurement,
    MeasurementAggregate,
    MeasurementBatch,
    School,
    SchoolConnection,
    SchoolConnectionChange,
)
from schools.services import ConnectionState, school_connection_update
from schools.vocabulary import ConnectionStatus, ConnectionTechnology, Funding

logger = logging.getLogger(__name__)

S, T = ConnectionStatus, ConnectionTechnology
# Old lines: (technology, down, up, typical latency in ms, probability)
OLD_LINES = (
    (T.VDSL, 100, 40, 18.0, 0.45),
    (T.VDSL, 50, 10, 22.0, 0.25),
    (T.ADSL, 16, 1, 38.0, 0.1),
    (T.HFC, 250, 25, 15.0, 0.2),
)
FUNDING = ((Funding.DIGITALPAKT, 0.4), (Funding.FEDERAL_SCHOOLS, 0.35), (Funding.CITY_UTILITY, 0.25))
# Where a school stands today: (status, probability)
OUTCOMES = ((S.CONNECTED, 0.5), (S.UNDER_CONSTRUCTION, 0.15), (S.PLANNED, 0.15), (S.NOT_CONNECTED, 0.2))
EVERY_HOURS = 2
UTILITY = "Stadtwerke Mülheim (Demo)"


@dataclass(frozen=True)
class SchoolDemoReport:
    schools: int
    changes: int
    measurements: int
    seconds: float


def _pick(rng: np.random.Generator, options: tuple) -> tuple:
    weights = np.array([option[-1] for option in options])
    return options[int(rng.choice(len(options), p=weights / weights.sum()))]


def _quarter(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@transaction.atomic
def school_demo_delete() -> int:
    """Delete every demo connection, history row, delivery, measurement and figure (never a real one)."""
    deleted = 0
    with connection.cursor() as cursor:
        # SQL, not the ORM's cascade: it would load every measurement into Python first.
        for model in (Measurement, MeasurementAggregate, MeasuredSummary, MeasurementBatch):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE is_demo")
            deleted += cursor.rowcount
    deleted += SchoolConnectionChange.objects.filter(is_demo=True).delete()[0]
    deleted += SchoolConnection.objects.filter(is_demo=True).delete()[0]
    return deleted


def _history(school: School, rng: np.random.Generator, today: date, providers: list[Provider]) -> list:
    """The school's states as (valid_from, ConnectionState), oldest first; the last one is today's."""
    technology, down, up, _latency, _p = _pick(rng, OLD_LINES)
    outcome = _pick(rng, OUTCOMES)[0]
    start = today - timedelta(days=int(rng.integers(1000, 1400)))
    old = ConnectionState(
        status=S.NOT_CONNECTED, technology=technology, contracted_down_mbits=down, contracted_up_mbits=up,
        provider_name="Telekom-Anschluss (Demo)",
    )  # fmt: skip
    states = [(start, old)]
    if outcome == S.NOT_CONNECTED:
        return states
    funding = _pick(rng, FUNDING)[0]
    builder = providers[int(rng.integers(len(providers)))] if providers else None
    planned_on = start + timedelta(days=int(rng.integers(60, 250)))
    if outcome == S.PLANNED:
        planned_on = today - timedelta(days=int(rng.integers(30, 300)))
    expected = _quarter(planned_on + timedelta(days=int(rng.integers(500, 800))))
    if outcome == S.PLANNED:
        expected = max(expected, _quarter(today + timedelta(days=120)))
    plan = ConnectionState(
        status=S.PLANNED, planned_date=expected, technology=technology, contracted_down_mbits=down,
        contracted_up_mbits=up, provider=builder, provider_name="" if builder else UTILITY, funding=funding,
    )  # fmt: skip
    states.append((planned_on, plan))
    if outcome == S.PLANNED:
        return states
    building_on = planned_on + timedelta(days=int(rng.integers(250, 420)))
    if outcome == S.UNDER_CONSTRUCTION:
        building_on = min(building_on, today - timedelta(days=int(rng.integers(20, 120))))
    states.append((building_on, replace(plan, status=S.UNDER_CONSTRUCTION)))
    if outcome == S.UNDER_CONSTRUCTION:
        return states
    connected_on = min(building_on + timedelta(days=int(rng.integers(60, 200))), today - timedelta(days=40))
    big = (school.pupils or 0) >= 600
    fibre_down, fibre_up = (1000, 1000) if big or rng.random() < 0.5 else (500, 200)
    connected = replace(
        plan, status=S.CONNECTED, connected_date=connected_on, technology=T.FIBRE,
        contracted_down_mbits=fibre_down, contracted_up_mbits=fibre_up,
    )  # fmt: skip
    states.append((connected_on, connected))
    return states


def _line_at(states: list, day: date) -> ConnectionState:
    current = states[0][1]
    for valid_from, state in states:
        if valid_from <= day:
            current = state
    return current


def _latency_of(state: ConnectionState) -> float:
    if state.technology == T.FIBRE:
        return 7.0
    return next((line[3] for line in OLD_LINES if line[0] == state.technology), 25.0)


def _measurements(school: School, states: list, rng: np.random.Generator, *, days: int, today: date) -> str:
    """COPY text (school, measured_at, down, up, latency, jitter, loss) of every two hours over ``days`` days,
    drawn for all of them at once."""
    tz = timezone.get_default_timezone()
    quality = float(rng.uniform(0.45, 0.97))  # the school's own network: a poor one halves what arrives
    day_list = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    lines = [_line_at(states, day) for day in day_list]
    kept = [i for i, line in enumerate(lines) if line.contracted_down_mbits and rng.random() >= 0.03]  # device off
    if not kept:
        return ""
    per_day = 24 // EVERY_HOURS
    n = len(kept) * per_day
    # Local midnight of each kept day (time zone rules per day), then the slots of the day, a few minutes late.
    midnights = np.repeat([datetime.combine(day_list[i], time(0), tzinfo=tz).timestamp() for i in kept], per_day)
    hours = np.tile(np.arange(0, 24, EVERY_HOURS, dtype=float), len(kept)) + rng.integers(0, 60, n) / 60.0
    weekday = np.repeat([day_list[i].weekday() < 5 for i in kept], per_day)
    cap_down = np.repeat([float(lines[i].contracted_down_mbits) for i in kept], per_day)
    cap_up = np.repeat([float(lines[i].contracted_up_mbits or 1) for i in kept], per_day)
    base_latency = np.repeat([_latency_of(lines[i]) for i in kept], per_day)
    load = np.where(weekday & (hours >= 8) & (hours < 15), rng.uniform(0.15, 0.35, n), 0.0)
    efficiency = np.clip(quality - load + rng.normal(0, 0.04, n), 0.03, 0.98)
    columns = [
        np.full(n, school.pk),
        np.datetime_as_string((midnights + hours * 3600).astype("datetime64[s]"), timezone="UTC"),
        np.round(cap_down * efficiency, 1),
        np.round(cap_up * np.clip(efficiency + 0.05, 0.03, 0.99), 1),
        np.round(base_latency * (1 + load * 2) + rng.gamma(2.0, 1.0, n), 1),
        np.round(rng.gamma(1.5, 0.6, n) * (1 + load * 3), 2),
        np.where(rng.random(n) < 0.05, np.round(rng.uniform(0.1, 2.0, n), 2), 0.0),
    ]
    rows = zip(*(column.tolist() for column in columns), strict=True)
    return "".join("\t".join(map(str, row)) + "\n" for row in rows)


def school_demo_generate(
    *, seed: int = 1, days: int = 180, progress: Callable[[str], None] | None = None
) -> SchoolDemoReport:
    """Replace the demo connections and measurements of every school without a real record (see the module)."""
    progress = progress or (lambda message: logger.info("%s", message))
    started = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        school_demo_delete()
        real = SchoolConnection.objects.filter(is_demo=False).values("school_id")
        schools = list(School.objects.filter(is_school=True).exclude(pk__in=real).order_by("school_number"))
        providers = list(Provider.objects.filter(is_demo=True).order_by("slug"))
        changes = 0
        copy_text = []
        for school in schools:
            rng = np.random.default_rng([seed, int(school.school_number)])
            states = _history(school, rng, today, providers)
            for valid_from, state in states:
                changed_at = datetime.combine(valid_from, time(10), tzinfo=timezone.get_default_timezone())
                school_connection_update(
                    school=school, state=state, by=None, valid_from=valid_from, changed_at=changed_at, is_demo=True
                )
                changes += 1
            measures = states[-1][1].status == S.CONNECTED and rng.random() < 0.85 or rng.random() < 0.5
            if measures:
                copy_text.append((school, _measurements(school, states, rng, days=days, today=today)))
        count = _copy(copy_text)
        aggregates_refresh(school_ids=[school.pk for school, _text in copy_text])
        measured_refresh(school_ids=[school.pk for school, _text in copy_text])
    seconds = round((timezone.now() - started).total_seconds(), 1)
    progress(f"schools (demo): {len(schools)} connections with {changes} states, {count} measurements in {seconds} s")
    return SchoolDemoReport(schools=len(schools), changes=changes, measurements=count, seconds=seconds)


def _copy(per_school: list[tuple[School, str]]) -> int:
    """One demo delivery per school, its measurements COPYed in."""
    now = timezone.now()
    count = 0
    table = Measurement._meta.db_table
    with connection.cursor() as cursor:
        for school, text in per_school:
            rows = text.count("\n")
            batch = MeasurementBatch.objects.create(
                school=school, received_at=now, format="demo", rows=rows, stored=rows, is_demo=True
            )
            columns = "school_id, measured_at, down_mbits, up_mbits, latency_ms, jitter_ms, packet_loss_percent"
            with cursor.copy(f"COPY {table} ({columns}, batch_id, is_demo) FROM STDIN") as copy:
                copy.write(text.replace("\n", f"\t{batch.pk}\tt\n"))
            count += rows
    return count


def demo_present() -> bool:
    """Whether the portal runs on demo data (then schools get demo connections; layers.demo made it)."""
    return Provider.objects.filter(is_demo=True).exists()
