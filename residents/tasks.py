"""The residents' jobs on the task queue: the daily upkeep of subscriptions and reports.

Notifications need no job of their own: rollout.tasks.changeset_announce calls residents.notifications.
"""

from __future__ import annotations

import logging

from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)


@app.periodic(cron="30 3 * * *")
@app.task(queue="maintenance", retry=RetryStrategy(max_attempts=3, wait=600), name="residents.subscriptions_prune")
def subscriptions_prune(timestamp: int) -> None:
    """Daily: delete subscriptions nobody confirmed within a few days (residents.follow.services)."""
    from residents.follow.services import subscriptions_prune as prune

    logger.info("unconfirmed subscriptions deleted: %s", prune())


@app.periodic(cron="0 7 * * *")
@app.task(queue="maintenance", retry=RetryStrategy(max_attempts=3, wait=600), name="residents.reports_upkeep")
def reports_upkeep(timestamp: int) -> None:
    """Daily, before office hours: tell the planners about newly overdue reports; delete long-answered ones."""
    from residents.reports.services import reports_overdue_flag, reports_prune

    flagged = reports_overdue_flag()
    pruned = reports_prune()
    logger.info("reports: %s newly overdue, %s old ones deleted", flagged, pruned)
