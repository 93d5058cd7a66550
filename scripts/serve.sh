#!/usr/bin/env bash
# The site under granian, as `make run` serves it after setting up; also used by the server test,
# scripts/ogctests.sh and the bench, so that they measure and check what runs.
#
# granian: HTTP in Rust, the WSGI application in THREADS threads per worker process. Per request it
# costs ~0.08 ms on loopback against ~0.35 ms under gunicorn's threaded workers, which was more than
# a cached vector tile or feature page costs us. Each worker keeps a pool of DATABASE_POOL_SIZE
# (default: one per thread) warmed database connections (geoportal/settings.py, geoportal/wsgi.py),
# and as many for the tiles it makes before Django (geoportal/connection_stack.py).
#
# A worker binds its socket only once it has loaded the site (~3-5 s). A worker told to stop while
# it is still loading misses the signal; --workers-kill-timeout ends it anyway, so that a stop
# (Ctrl-C, systemctl stop) never hangs.
#   usage: [PORT=8000] [HOST=127.0.0.1] [WEB_CONCURRENCY=2] [THREADS=4] scripts/serve.sh [granian options]
# (WSGI_APP: another application served the same way; the bench times its HTTP floor with one.)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
THREADS=${THREADS:-4}
export DATABASE_POOL_SIZE="${DATABASE_POOL_SIZE:-$THREADS}"
exec "$VENV/bin/granian" --interface wsgi "${WSGI_APP:-geoportal.wsgi:application}" \
    --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" \
    --workers "${WEB_CONCURRENCY:-2}" --blocking-threads "$THREADS" \
    --respawn-failed-workers --workers-kill-timeout "${WORKERS_KILL_TIMEOUT:-10}" "$@"
