"""The task queue: procrastinate on the site's own PostgreSQL. Mail, notifications and recomputes run here.

Why procrastinate (and not Django's tasks API with django-tasks-db): jobs live in PostgreSQL (no new server),
a worker wakes on LISTEN/NOTIFY instead of polling, jobs have retries with back-off, periodic jobs (the daily
staging prune) and queueing locks, and any number of workers on any number of machines share the queue
(SELECT … FOR UPDATE SKIP LOCKED). django-tasks-db's worker polls and has no retries or periodic jobs.

- A job is deferred through Django's own connection (procrastinate's DjangoConnector), inside the caller's
  transaction: a rolled-back change leaves no job behind, a committed one always has its job.
- Jobs are defined in each app's ``tasks.py`` (found by procrastinate's autodiscovery): ``geoportal/tasks.py``
  (mail), ``rollout/tasks.py`` (change sets, the daily prune), ``residents/tasks.py``.
- The worker: ``scripts/worker.sh`` (``manage.py procrastinate worker``), started by ``make run`` beside the web
  server and by a service unit in production; ``manage.py procrastinate healthchecks`` checks it can reach the
  database. Succeeded jobs are deleted (``--delete-jobs successful``): their arguments (e-mail addresses) are
  not kept. Failed jobs stay for the admin (/admin/procrastinate/) until they are retried or deleted.
- Queues: ``mail`` (sending), ``notifications`` (working out who to tell), ``maintenance`` (periodic upkeep).
"""

from __future__ import annotations

from procrastinate import RetryStrategy

# Transient failures (an SMTP server down, a deadlock) are retried: 8 attempts over about an hour and a half.
RETRY = RetryStrategy(max_attempts=8, exponential_wait=5)
