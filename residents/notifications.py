"""Who is told what when the public availability changes (called by rollout.tasks.changeset_announce).

One mail per confirmed subscription whose address, or any address of whose district, the change set touches;
once per change set and subscription (residents.follow.services.changeset_deliver says how).
"""

from __future__ import annotations

from residents.follow.services import changeset_deliver
from rollout.models import AvailabilityChangeSet


def changeset_notify(*, changeset: AvailabilityChangeSet) -> int:
    """Queue the messages one change set causes; returns how many."""
    return changeset_deliver(changeset=changeset)
