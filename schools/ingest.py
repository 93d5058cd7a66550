"""Speed measurements as a school's device delivers them: parsed, checked row by row, stored once.

A delivery is JSON (one object, an array of objects, or ``{"measurements": [...]}``) or CSV with a header row,
with the fields of ``FIELDS``. It is taken whole or not at all: any malformed row, out-of-range value, future
or naive timestamp, unknown field, or a time already stored with *other* values refuses the delivery with every
problem named by row (counted from 1, without the CSV header) and field. A measurement already stored with the
same values is a duplicate: counted, not stored twice, not an error, so a device may resend a delivery whose
answer it missed (idempotent). Deliveries of one school are applied one after another (an advisory lock).

Rows are checked in Python (exact messages), then COPYed into a temporary table; duplicates and conflicts are
found with one join against the stored measurements, the new rows inserted with one INSERT … SELECT, and the
daily and weekly aggregates of the touched days rewritten in the same transaction (schools.aggregates).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from geoportal.errors import InvalidInputError
from schools.aggregates import aggregates_refresh, measured_refresh
from schools.models import Measurement, MeasurementBatch, School, SchoolToken

FIELDS = ("measured_at", "down_mbits", "up_mbits", "latency_ms", "jitter_ms", "packet_loss_percent")
REQUIRED = frozenset({"measured_at", "down_mbits", "up_mbits"})
# field -> (lowest, highest) allowed value
RANGES = {
    "down_mbits": (0.0, 100_000.0),
    "up_mbits": (0.0, 100_000.0),
    "latency_ms": (0.0, 60_000.0),
    "jitter_ms": (0.0, 60_000.0),
    "packet_loss_percent": (0.0, 100.0),
}
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# A device's clock may run a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)
# Problems listed in one answer; the total is always given.
MAX_PROBLEMS = 100
JSON_TYPES = {"application/json"}
CSV_TYPES = {"text/csv"}

type Row = tuple[int, datetime, float, float, float | None, float | None, float | None]


@dataclass(frozen=True)
class Problem:
    row: int | None
    field: str | None
    message: str
    value: str | None = None

    def as_dict(self) -> dict:
        return {
            k: v for k, v in {"row": self.row, "field": self.field, "value": self.value}.items() if v is not None
        } | {"message": self.message}


class MeasurementsRefused(InvalidInputError):
    """The delivery was not stored; ``problems`` says what is wrong in which row and field."""

    code = "InvalidMeasurements"

    def __init__(self, message: str, *, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems[:MAX_PROBLEMS]
        self.total = len(problems) if total is None else total
        super().__init__(message)


class MeasurementsConflict(MeasurementsRefused):
    """Times that are stored already with other values: the device's data and ours disagree."""

    status = 409
    code = "Conflict"


class MeasurementsTooLarge(InvalidInputError):
    status = 413
    code = "PayloadTooLarge"


@dataclass
class IngestReport:
    school: School
    rows: int
    stored: int = 0
    duplicates: int = 0
    first: datetime | None = None
    last: datetime | None = None
    batch: MeasurementBatch | None = None
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "school": self.school.school_number,
            "received": self.rows,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
        }


def _too_many(count: int) -> None:
    limit = settings.SCHOOL_MEASUREMENTS_MAX_ROWS
    if count > limit:
        raise MeasurementsTooLarge(
            f"at most {limit} measurements per delivery, not {count}: send them in several deliveries"
        )


def _records_json(text: str) -> list:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise MeasurementsRefused(
            "the body is not valid JSON",
            problems=[Problem(None, None, f"{error.msg} at line {error.lineno}, column {error.colno}")],
        ) from None
    if isinstance(data, dict) and "measurements" in data:
        data = data["measurements"]
    elif isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise MeasurementsRefused(
            'expected a measurement object, an array of them or {"measurements": [...]}',
            problems=[Problem(None, None, "the JSON is neither an object nor an array")],
        )
    return data


def _records_csv(text: str) -> list:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise MeasurementsRefused("the CSV is empty", problems=[Problem(None, None, "no header row")]) from None
    except csv.Error as error:
        raise MeasurementsRefused("the CSV cannot be read", problems=[Problem(None, None, str(error))]) from None
    names = [name.strip().lstrip("\ufeff") for name in header]
    unknown = [name for name in names if name not in FIELDS]
    missing = sorted(REQUIRED - set(names))
    if unknown or missing or len(set(names)) != len(names):
        problems = [Problem(None, name, f"unknown column (known: {', '.join(FIELDS)})") for name in unknown]
        problems += [Problem(None, name, "required column is missing") for name in missing]
        if len(set(names)) != len(names):
            problems.append(Problem(None, None, "a column is named twice"))
        raise MeasurementsRefused("the CSV header is not usable", problems=problems)
    records = []
    try:
        for values in reader:
            if not values:  # a blank line
                continue
            if len(values) != len(names):
                records.append(ValueError(f"{len(values)} values in a row with {len(names)} columns"))
                continue
            records.append({name: (value.strip() or None) for name, value in zip(names, values, strict=True)})
    except csv.Error as error:
        raise MeasurementsRefused(
            "the CSV cannot be read", problems=[Problem(reader.line_num, None, str(error))]
        ) from None
    return records


def _number(name: str, value, *, text: bool) -> float | None:
    """The field's value as a finite float in range; raises ValueError with the message for the problem."""
    if value is None:
        if name in REQUIRED:
            raise ValueError("required")
        return None
    if text:
        try:
            number = float(value)
        except ValueError:
            raise ValueError("not a number") from None
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    else:
        number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a number")
    low, high = RANGES[name]
    if not low <= number <= high:
        raise ValueError(f"out of range: between {low:g} and {high:g}")
    return number


def _timestamp(value, *, now: datetime) -> datetime:
    if value is None:
        raise ValueError("required")
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 timestamp such as 2026-12-01T08:00:00+01:00")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an RFC 3339 timestamp such as 2026-12-01T08:00:00+01:00") from None
    if when.tzinfo is None:
        raise ValueError("needs a time zone offset (Z or +01:00)")
    if when > now + CLOCK_SKEW:
        raise ValueError("lies in the future")
    if when < EARLIEST:
        raise ValueError("lies before 2000")
    return when


ALLOWED = frozenset(FIELDS)
NUMERIC = tuple((name, *RANGES[name], name in REQUIRED) for name in FIELDS[1:])


def _fast(record, *, text: bool, latest: datetime) -> tuple[datetime, tuple] | None:
    """The checked (time, values) of a well-formed record, or None: then ``_slow`` says what is wrong.

    The common case in few operations per field (a delivery may hold 100,000 rows); any doubt goes the slow way.
    """
    if type(record) is not dict or not record.keys() <= ALLOWED:
        return None
    stamp = record.get("measured_at")
    if type(stamp) is not str:
        return None
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.tzinfo is None or not EARLIEST <= when <= latest:
        return None
    values = []
    for name, low, high, required in NUMERIC:
        value = record.get(name)
        if value is None:
            if required:
                return None
            values.append(None)
            continue
        if text:
            try:
                value = float(value)
            except ValueError:
                return None
        elif type(value) is not float and type(value) is not int:
            return None
        if not low <= value <= high:  # NaN fails too
            return None
        values.append(float(value))
    return when, tuple(values)


def _slow(record, number: int, *, text: bool, now: datetime) -> tuple[datetime | None, tuple, list[Problem]]:
    """Every problem of a record, field by field, with the messages the answer shows."""
    if isinstance(record, ValueError):
        return None, (), [Problem(number, None, str(record))]
    if not isinstance(record, dict):
        return None, (), [Problem(number, None, "a measurement must be an object")]
    problems = [
        Problem(number, str(name)[:100], f"unknown field (known: {', '.join(FIELDS)})")
        for name in record
        if name not in FIELDS
    ]
    when = None
    try:
        when = _timestamp(record.get("measured_at"), now=now)
    except ValueError as error:
        problems.append(Problem(number, "measured_at", str(error), _shown(record.get("measured_at"))))
    values = []
    for name in FIELDS[1:]:
        try:
            values.append(_number(name, record.get(name), text=text))
        except ValueError as error:
            problems.append(Problem(number, name, str(error), _shown(record.get(name))))
            values.append(None)
    return when, tuple(values), problems


def _rows(records: list, *, text: bool, now: datetime) -> tuple[list[Row], list[Problem], int]:
    """Checked rows (duplicates inside the delivery dropped), problems, and the number of such duplicates."""
    rows: list[Row] = []
    problems: list[Problem] = []
    seen: dict[datetime, tuple[int, tuple]] = {}
    duplicates = 0
    latest = now + CLOCK_SKEW
    for number, record in enumerate(records, start=1):
        checked = _fast(record, text=text, latest=latest)
        if checked is None:
            when, values, found = _slow(record, number, text=text, now=now)
            if found or when is None:
                problems += found
                continue
        else:
            when, values = checked
        earlier = seen.get(when)
        if earlier is not None:
            if earlier[1] == values:
                duplicates += 1
            else:
                message = f"row {earlier[0]} has the same time with other values"
                problems.append(Problem(number, "measured_at", message, value=str(record["measured_at"])))
            continue
        seen[when] = (number, values)
        rows.append((number, when, *values))
    return rows, problems, duplicates


def _shown(value) -> str | None:
    """A value as the problem list shows it: short, never the whole of a huge string."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def measurements_parse(*, body: bytes, content_type: str, now: datetime | None = None) -> tuple[list[Row], int]:
    """The checked rows of a delivery and the number of duplicates inside it; MeasurementsRefused otherwise."""
    if len(body) > settings.SCHOOL_MEASUREMENTS_MAX_BYTES:
        raise MeasurementsTooLarge(
            f"a delivery has at most {settings.SCHOOL_MEASUREMENTS_MAX_BYTES} bytes: send it in several parts"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MeasurementsRefused(
            "the body is not UTF-8", problems=[Problem(None, None, f"byte {error.start} is not UTF-8")]
        ) from None
    if content_type in JSON_TYPES:
        records, is_text = _records_json(text), False
    elif content_type in CSV_TYPES:
        records, is_text = _records_csv(text), True
    else:
        raise InvalidInputError(f"send application/json or text/csv, not {content_type or 'nothing'}")
    _too_many(len(records))
    if not records:
        raise MeasurementsRefused("the delivery holds no measurement", problems=[Problem(None, None, "no rows")])
    rows, problems, duplicates = _rows(records, text=is_text, now=now or timezone.now())
    if problems:
        raise MeasurementsRefused(f"{len(problems)} problems: nothing was stored", problems=problems)
    return rows, duplicates


def _copy_text(rows: list[Row]) -> str:
    """COPY text of checked rows (floats by repr: exact; no value as \\N)."""
    null = "\\N"
    return "".join(
        f"{n}\t{when.isoformat()}\t{down!r}\t{up!r}\t{null if lat is None else repr(lat)}"
        f"\t{null if jit is None else repr(jit)}\t{null if loss is None else repr(loss)}\n"
        for n, when, down, up, lat, jit, loss in rows
    )


@transaction.atomic
def measurements_store(
    *, school: School, rows: list[Row], duplicates: int = 0, token: SchoolToken | None = None,
    source: str = "json", received: int | None = None,
) -> IngestReport:  # fmt: skip
    """Store checked rows for ``school`` (see the module's docstring); MeasurementsConflict if stored times differ."""
    report = IngestReport(school=school, rows=received if received is not None else len(rows) + duplicates)
    measurement = Measurement._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('schools.measurements'), %s)", [school.pk])
        cursor.execute(
            "CREATE TEMP TABLE measurement_in (row integer, measured_at timestamptz, down float8, up float8,"
            " latency float8, jitter float8, loss float8) ON COMMIT DROP"
        )
        with cursor.copy("COPY measurement_in FROM STDIN") as copy:
            copy.write(_copy_text(rows))
        cursor.execute(
            f"""SELECT i.row, i.measured_at,
                       (i.down, i.up, i.latency, i.jitter, i.loss)
                       IS NOT DISTINCT FROM (m.down_mbits, m.up_mbits, m.latency_ms, m.jitter_ms, m.packet_loss_percent)
                FROM measurement_in i JOIN {measurement} m ON m.school_id = %s AND m.measured_at = i.measured_at
                ORDER BY i.row""",
            [school.pk],
        )
        found = cursor.fetchall()
        conflicts = [
            Problem(row, "measured_at", "a measurement with other values is stored for this time", when.isoformat())
            for row, when, same in found
            if not same
        ]
        if conflicts:
            raise MeasurementsConflict(
                f"{len(conflicts)} times are stored with other values: nothing was stored", problems=conflicts
            )
        report.duplicates = duplicates + len(found)
        batch = MeasurementBatch.objects.create(
            school=school, token=token, received_at=timezone.now(), format=source, rows=report.rows
        )
        cursor.execute(
            f"""INSERT INTO {measurement} (school_id, measured_at, down_mbits, up_mbits, latency_ms, jitter_ms,
                    packet_loss_percent, batch_id, is_demo)
                SELECT %s, measured_at, down, up, latency, jitter, loss, %s, false FROM measurement_in
                ON CONFLICT (school_id, measured_at) DO NOTHING""",
            [school.pk, batch.pk],
        )
        report.stored = cursor.rowcount
        cursor.execute("SELECT min(measured_at), max(measured_at) FROM measurement_in")
        report.first, report.last = cursor.fetchone()
        cursor.execute("DROP TABLE measurement_in")
    batch.stored, batch.duplicates = report.stored, report.duplicates
    batch.save(update_fields=["stored", "duplicates"])
    report.batch = batch
    if report.stored:
        tz = timezone.get_default_timezone()
        aggregates_refresh(
            school_ids=[school.pk], since=report.first.astimezone(tz).date(), until=report.last.astimezone(tz).date()
        )
        measured_refresh(school_ids=[school.pk])
    return report


def measurements_ingest(*, token: SchoolToken, body: bytes, content_type: str) -> IngestReport:
    """Parse, check and store one delivery sent with ``token`` (for the token's school)."""
    rows, duplicates = measurements_parse(body=body, content_type=content_type)
    source = "csv" if content_type in CSV_TYPES else "json"
    return measurements_store(school=token.school, rows=rows, duplicates=duplicates, token=token, source=source)
