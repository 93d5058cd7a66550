"""The schools' jobs on the task queue (procrastinate; geoportal/queue.py says how the queue runs)."""

from __future__ import annotations

import logging

from django.db import transaction
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)


@app.periodic(cron="45 2 * * *")
@app.task(queue="maintenance", retry=RetryStrategy(max_attempts=3, wait=600), name="schools.measured_refresh")
def measured_values_refresh(timestamp: int) -> None:
    """Nightly: the measured values of every school for the window ending now (deliveries refresh their school;
    this moves the window on for schools whose device stopped sending, until they count as not measured)."""
    from schools.aggregates import measured_refresh

    with transaction.atomic():
        rows = measured_refresh()
    logger.info("measured values of %s schools refreshed", rows)
