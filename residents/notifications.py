"""Who is told what when the public availability changes (called by rollout.tasks.changeset_announce).

The follow helper builds subscriptions; until then there is nobody to tell.
"""

from __future__ import annotations

from rollout.models import AvailabilityChangeSet


def changeset_notify(*, changeset: AvailabilityChangeSet) -> int:
    """Queue the messages one change set causes; returns how many. Nobody subscribes yet, so none."""
    return 0
