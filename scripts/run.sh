#!/usr/bin/env bash
# Entry point behind the Makefile: setup | serve | test | lint.
# shellcheck source=scripts/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

manage() { "$PY" manage.py "$@"; }

load_data() {
    manage migrate --noinput -v 0
    # Loads what is missing; a second run finds everything there and returns.
    manage load_city
}

lint() {
    log "ruff"
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    log "migrations match the models"
    manage makemigrations --check --dry-run -v 1
}

# scripts/serve.sh: granian, its workers, threads and pooled connections; beside it the task queue's worker
# (scripts/worker.sh: mail, notifications, periodic upkeep), stopped with the server.
serve() {
    bash "$ROOT/scripts/worker.sh" &
    local worker=$!
    trap 'kill -TERM "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT
    bash "$ROOT/scripts/serve.sh" --access-log "$@"
}

cmd="${1:-}"; shift || true
case "$cmd" in
    setup)
        setup_common
        compile_messages
        load_data
        ;;
    serve)
        setup_common
        compile_messages
        load_data
        manage collectstatic --noinput -v 0
        log "serving on http://${HOST:-127.0.0.1}:$PORT with the task queue's worker (Ctrl-C stops both; the database keeps running, 'make db-stop' stops it)"
        serve
        ;;
    test)
        setup_common
        system_packages_test
        lint
        manage collectstatic --noinput -v 0
        log "pytest"
        # No connection pool in tests (Django's test databases and transactions expect plain connections).
        DATABASE_POOL_SIZE=0 exec "$VENV/bin/pytest" "$@"
        ;;
    lint)
        setup_common
        lint
        ;;
    *)
        die "usage: run.sh setup|serve|test|lint"
        ;;
esac
