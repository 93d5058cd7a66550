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
        log "serving on http://127.0.0.1:$PORT (Ctrl-C stops; the database keeps running, 'make db-stop' stops it)"
        exec "$VENV/bin/gunicorn" geoportal.wsgi:application \
            --bind "127.0.0.1:$PORT" --workers "${WEB_CONCURRENCY:-2}" --threads 4 \
            --access-logfile - --forwarded-allow-ips=127.0.0.1
        ;;
    test)
        setup_common
        system_packages_test
        lint
        manage collectstatic --noinput -v 0
        log "pytest"
        exec "$VENV/bin/pytest" "$@"
        ;;
    lint)
        setup_common
        lint
        ;;
    *)
        die "usage: run.sh setup|serve|test|lint"
        ;;
esac
