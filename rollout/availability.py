"""Availability per address and provider, derived from plan versions in one SQL statement.

``availability_recompute`` replaces the stored table from each provider's
newest *published* version, so the table is public data. The same SELECT with
``include_unpublished`` serves planners' previews and is never stored.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction

from layers.models import Address
from rollout.models import Availability, PlanArea, PlanVersion
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


@transaction.atomic
def availability_recompute() -> int:
    """Replace the public availability table from the newest published versions; returns the number of rows."""
    sql, rank_params = _select_sql(include_unpublished=False, one_provider=False)
    table = Availability._meta.db_table
    with connection.cursor() as cursor:
        _jit_off(cursor)
        # DELETE, not TRUNCATE: readers keep seeing the old contents until this transaction commits.
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(f"INSERT INTO {table} ({', '.join(COLUMNS)}) {sql}", rank_params)
        count = cursor.rowcount
    logger.info("availability recomputed: %s rows", count)
    return count
