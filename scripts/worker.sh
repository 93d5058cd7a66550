#!/usr/bin/env bash
# The task queue's worker (geoportal/queue.py): mail, notifications, periodic upkeep. `make run` starts it beside
# the web server; in production a service unit runs this script with the site's environment, e.g. systemd:
#   ExecStart=/srv/glasfaserportal/scripts/worker.sh   EnvironmentFile=/srv/glasfaserportal/.env
# Any number of workers, on any number of machines, may share the queue. Succeeded jobs are deleted, so their
# arguments (e-mail addresses) are not kept; failed ones stay for the admin.
#   usage: [WORKER_CONCURRENCY=4] scripts/worker.sh [procrastinate worker options]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
exec "$VENV/bin/python" manage.py procrastinate worker --concurrency "${WORKER_CONCURRENCY:-4}" \
    --delete-jobs successful "$@"
