"""Whether demo data is loaded: every page says so while it is (the banner in templates/base.html).

Asked on every page, so the answer is kept per process under the data versions of the tables it reads
(geoportal/data_version.py): a page costs no query for it, and an import or ``generate_demo`` shows or hides the
banner at once. One query when the answer is not known (inside a transaction, e.g. in tests: one more for the
versions); without demo rows it scans the address table, once per change of the data.
"""

from __future__ import annotations

from django.db import connection

from geoportal.data_version import data_versions

_known: dict[str, object] = {"versions": None, "present": False}


def demo_data_present() -> bool:
    """True while any generated district, address, street, facility or provider is stored."""
    from layers.models import Address, District, Facility, Street
    from rollout.models import Provider

    models = (District, Address, Street, Facility, Provider)
    versions = data_versions(tables=[model._meta.db_table for model in models])
    if versions is not None and _known["versions"] == versions:
        return bool(_known["present"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + " OR ".join(f"EXISTS (SELECT FROM {model._meta.db_table} WHERE is_demo)" for model in models)
        )
        present = bool(cursor.fetchone()[0])
    if versions is not None:
        _known.update(versions=versions, present=present)
    return present
