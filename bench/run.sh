#!/usr/bin/env bash
# make bench: install the measuring tools, use the project's .venv and local cluster, run bench/bench.py.
# The benchmark works in its own database (BENCH_DB, default geoportal_bench); see bench/README.md.
# shellcheck source=scripts/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$ROOT"

# wrk (HTTP load), pgbench (comes with the postgresql package), ogr2ogr (gdal-bin).
apt_install wrk gdal-bin postgresql postgresql-postgis
ensure_venv
ensure_secret_key
ensure_database
compile_messages
# Stand-alone pygeoapi's SQL providers need SQLAlchemy, GeoAlchemy2 and psycopg2, and gunicorn serves it
# (none of them needed by the site).
if ! "$PY" -c 'import psycopg2, geoalchemy2, sqlalchemy, gunicorn' 2>/dev/null; then
    log "installing the benchmark's Python packages (bench/requirements.lock)"
    "$VENV/bin/uv" pip install -q --python "$PY" -r "$ROOT/bench/requirements.lock"
fi
# As scripts/run.sh serve does: with DEBUG off, pages (a 404 too) need the collected static files.
"$PY" manage.py collectstatic --noinput -v 0
exec "$PY" bench/bench.py "$@"
