"""The rollout domain's jobs on the task queue (procrastinate; geoportal/queue.py says how the queue runs).

A job's body calls the domain's services explicitly, one after the other: no signals, no hidden hooks.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from geoportal.queue import RETRY

logger = logging.getLogger(__name__)


@app.task(queue="notifications", retry=RETRY, name="rollout.changeset_announce")
def changeset_announce(*, changeset_id: int) -> None:
    """Hand one committed change set of the public availability table to those who follow it, once.

    The change set row is locked and marked ``announced_at`` in the same transaction as the consumers' own
    writes (the residents' notifications queue one mail job each), so a retried or duplicated job finds it
    announced and does nothing.
    """
    from residents.notifications import changeset_notify
    from rollout.models import AvailabilityChangeSet

    with transaction.atomic():
        changeset = AvailabilityChangeSet.objects.select_for_update().filter(pk=changeset_id).first()
        if changeset is None or changeset.announced_at is not None:
            return
        changeset_notify(changeset=changeset)
        changeset.announced_at = timezone.now()
        changeset.save(update_fields=["announced_at"])


@app.periodic(cron="15 3 * * *")
@app.task(queue="maintenance", retry=RetryStrategy(max_attempts=3, wait=600), name="rollout.staging_prune")
def staging_prune(timestamp: int) -> None:
    """Daily: drop the staged areas of plan files not accepted PLAN_STAGING_KEEP_DAYS ago (manage.py prune_staging)."""
    from rollout.services import submissions_staging_prune

    pruned = submissions_staging_prune()
    logger.info("staging pruned: %s submissions, %s bytes", pruned.submissions, pruned.bytes)
