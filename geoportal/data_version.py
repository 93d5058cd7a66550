"""Read the change counters of tables (see layers/migrations/0002_data_version.py).

A value derived from some tables (a count, a tile) may be cached under the
tables' versions: any write to one of them gives it a new version, committed or
not, and a version is never reused.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.db import connection


def data_versions(*, tables: list[str]) -> tuple[int, ...] | None:
    """The versions of ``tables`` in their order, or None when any of them is not watched (then do not cache)."""
    wanted = sorted(set(tables))
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, version FROM data_version WHERE table_name = ANY(%s)", [wanted])
        found = dict(cursor.fetchall())
    if len(found) != len(wanted):
        return None
    return tuple(found[t] for t in wanted)


def tables_in_sql(sql: str) -> list[str]:
    """Every model table a compiled statement names, in joins and subqueries alike (sorted)."""
    known = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    return sorted(known & set(re.findall(r'"([^"]+)"', sql)))
