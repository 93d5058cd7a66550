"""Availability per address and provider, derived from plan versions in one SQL statement.

``availability_recompute`` brings the stored table to what each provider's
newest *published* version gives, so the table is public data. The same SELECT with
``include_unpublished`` serves planners' previews and is never stored.

The recompute writes only what changed (rows that came, went or differ) and records each change of stage
or expected date in ``AvailabilityChange`` under one ``AvailabilityChangeSet``, in the same transaction;
the task queue then announces the change set (rollout/tasks.py): notifications and feeds read it, so
they can only ever tell what the public table said.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone

from layers.models import Address
from rollout.models import Availability, AvailabilityChange, AvailabilityChangeSet, PlanArea, PlanVersion
from rollout.stages import STAGE_RANK

logger = logging.getLogger(__name__)

COLUMNS = (
    "address_id",
    "provider_id",
    "version_id",
    "area_id",
    "stage",
    "technology",
    "max_down_mbits",
    "max_up_mbits",
    "expected_date",
    "expected_precision",
    "last_confirmed",
)


def _select_sql(*, include_unpublished: bool, one_provider: bool) -> tuple[str, list]:
    """The SELECT behind the table: areas by ST_Intersects, address lists by join; best area per provider wins."""
    version, area, address = PlanVersion._meta.db_table, PlanArea._meta.db_table, Address._meta.db_table
    through = PlanArea.addresses.through._meta.db_table
    published = "" if include_unpublished else "AND v.published_at IS NOT NULL"
    provider = "AND v.provider_id = %s" if one_provider else ""
    rank = "CASE h.stage " + " ".join("WHEN %s THEN %s" for _ in STAGE_RANK) + " END"
    rank_params = [item for pair in STAGE_RANK.items() for item in pair]
    # Both branches carry every column the result needs and are appended (UNION ALL): DISTINCT ON
    # removes an address reached both ways. A UNION of ids joined back to the areas cost a second
    # sort and hash join, ~1.9x the hand-written statement in bench/.
    carried = (
        "c.provider_id, c.id AS version_id, ar.id AS area_id, ar.stage, ar.technology, ar.max_down_mbits,"
        " ar.max_up_mbits, ar.expected_date, ar.expected_precision, c.confirmed"
    )
    sql = f"""
        WITH current AS (
            SELECT DISTINCT ON (v.provider_id) v.id, v.provider_id,
                   COALESCE(v.published_at, v.accepted_at) AS confirmed
            FROM {version} v WHERE TRUE {published} {provider}
            ORDER BY v.provider_id, v.number DESC
        )
        SELECT DISTINCT ON (h.address_id, h.provider_id)
               h.address_id, h.provider_id, h.version_id, h.area_id, h.stage, h.technology, h.max_down_mbits,
               h.max_up_mbits, h.expected_date, h.expected_precision, h.confirmed
        FROM (
            SELECT a.id AS address_id, {carried} FROM current c
            JOIN {area} ar ON ar.version_id = c.id AND ar.geom IS NOT NULL
            JOIN {address} a ON ST_Intersects(ar.geom, a.geom)
            UNION ALL
            SELECT t.address_id, {carried} FROM current c
            JOIN {area} ar ON ar.version_id = c.id
            JOIN {through} t ON t.planarea_id = ar.id
        ) h
        ORDER BY h.address_id, h.provider_id, {rank} DESC, h.max_down_mbits DESC NULLS LAST, h.area_id
    """
    return sql, rank_params


def availability_rows(*, provider_id: int | None = None, include_unpublished: bool = False) -> list[dict]:
    """Compute availability without storing it (callers check permissions: see rollout.selectors)."""
    sql, rank_params = _select_sql(include_unpublished=include_unpublished, one_provider=provider_id is not None)
    params = ([provider_id] if provider_id is not None else []) + rank_params
    with transaction.atomic(), connection.cursor() as cursor:
        _jit_off(cursor)
        cursor.execute(sql, params)
        return [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def _jit_off(cursor) -> None:
    """No JIT for this transaction: the spatial join's estimated cost is far above its real cost, so
    PostgreSQL compiled the query for ~0.8 s of a 2 s recompute at 35,000 addresses (bench/)."""
    cursor.execute("SET LOCAL jit = off")


# One recompute at a time: each computes from the committed state it sees after taking the lock, so two
# publishes at once (two providers) apply one after the other and neither undoes the other's rows.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('rollout.availability_recompute'))"
_KEY = "o.address_id = n.address_id AND o.provider_id = n.provider_id"


def _changes_sql(*, table: str) -> str:
    """Record what differs between the stored table (o) and the new rows (n): came, went, stage or date moved."""
    change = AvailabilityChange._meta.db_table
    return f"""
        INSERT INTO {change} (changeset_id, address_id, provider_id, kind, old_stage, new_stage, old_expected_date,
            new_expected_date, old_expected_precision, new_expected_precision, technology, max_down_mbits)
        SELECT %s, COALESCE(n.address_id, o.address_id), COALESCE(n.provider_id, o.provider_id),
               CASE WHEN o.address_id IS NULL THEN 'added' WHEN n.address_id IS NULL THEN 'removed'
                    ELSE 'changed' END,
               COALESCE(o.stage, ''), COALESCE(n.stage, ''), o.expected_date, n.expected_date,
               COALESCE(o.expected_precision, ''), COALESCE(n.expected_precision, ''),
               COALESCE(n.technology, o.technology), COALESCE(n.max_down_mbits, o.max_down_mbits)
        FROM availability_new n FULL JOIN {table} o ON {_KEY}
        WHERE o.address_id IS NULL OR n.address_id IS NULL OR o.stage <> n.stage
           OR o.expected_date IS DISTINCT FROM n.expected_date
           OR o.expected_precision IS DISTINCT FROM n.expected_precision
    """


@transaction.atomic
def availability_recompute(*, cause: PlanVersion | None = None) -> int:
    """Bring the public availability table to the newest published versions; returns its number of rows.

    Writes only rows that came, went or differ (a publish of one provider leaves the others' rows untouched),
    records stage and date changes as one AvailabilityChangeSet (``cause``: the version whose publishing made
    it) and has the task queue announce it after commit. Readers see the old table until this commits.
    """
    sql, rank_params = _select_sql(include_unpublished=False, one_provider=False)
    table = Availability._meta.db_table
    columns = ", ".join(COLUMNS)
    assigned = ", ".join(f"{c} = n.{c}" for c in COLUMNS[2:])
    olds = ", ".join(f"o.{c}" for c in COLUMNS[2:])
    news = ", ".join(f"n.{c}" for c in COLUMNS[2:])
    changeset = AvailabilityChangeSet.objects.create(version=cause, created_at=timezone.now())
    with connection.cursor() as cursor:
        _jit_off(cursor)
        cursor.execute(_LOCK)
        cursor.execute("DROP TABLE IF EXISTS availability_new")
        cursor.execute(f"CREATE TEMP TABLE availability_new ({columns}) ON COMMIT DROP AS {sql}", rank_params)
        cursor.execute("ANALYZE availability_new")
        cursor.execute(_changes_sql(table=table), [changeset.pk])
        changes = cursor.rowcount
        cursor.execute(f"DELETE FROM {table} o WHERE NOT EXISTS (SELECT FROM availability_new n WHERE {_KEY})")
        differs = f"({olds}) IS DISTINCT FROM ({news})"
        cursor.execute(f"UPDATE {table} o SET {assigned} FROM availability_new n WHERE {_KEY} AND {differs}")
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM availability_new n"
            f" WHERE NOT EXISTS (SELECT FROM {table} o WHERE {_KEY})"
        )
        cursor.execute("SELECT count(*) FROM availability_new")
        count = cursor.fetchone()[0]
        cursor.execute("DROP TABLE availability_new")
    if changes:
        changeset.change_count = changes
        changeset.save(update_fields=["change_count"])
        from rollout.tasks import changeset_announce

        # Deferred through this transaction's connection: the job exists exactly when the changes do.
        changeset_announce.defer(changeset_id=changeset.pk)
    else:
        changeset.delete()
    logger.info("availability recomputed: %s rows, %s changes of stage or date", count, changes)
    return count
