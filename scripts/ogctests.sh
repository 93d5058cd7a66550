#!/usr/bin/env bash
# Run the community OGC API conformance suite `ogctests` (PyPI) against this site.
# ogctests pins pytest<9, so it lives in its own virtual environment (var/ogctests-venv).
# Starts the site (granian) on a free loopback port over $DATABASE_URL (default: the local cluster),
# loads the city's data if missing, runs the given scopes (default features/core), stops the server.
#   usage: scripts/ogctests.sh [SCOPE ...]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
OGC_VENV=var/ogctests-venv
PYTHON=${PYTHON:-$VENV/bin/python}
export SECRET_KEY=${SECRET_KEY:-ogctests}
export DATABASE_URL=${DATABASE_URL:-$(bash scripts/localdb.sh url)}

# ogctests pins pyarrow<18, which has wheels up to Python 3.12 only (3.13 would build it from source
# and fail): its own environment gets the first Python 3.10-3.12 found.
ogc_python() {
    local candidate
    for candidate in "${OGCTESTS_PYTHON:-}" python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 \
        python3.11 python3.10 python3 "$PYTHON"; do
        [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "ogctests.sh: no Python 3.10-3.12 for ogctests (pyarrow 17 has no wheels for newer ones)" >&2
    return 1
}
if [ ! -x "$OGC_VENV/bin/python" ]; then
    "$(ogc_python)" -m venv "$OGC_VENV"
    "$OGC_VENV/bin/pip" install -q "ogctests==0.1.15"
fi
# ogctests' tests lie inside this repository's tree: without an ini file of their own,
# pytest would take our pyproject.toml (pytest-django options) as theirs.
printf '[pytest]\n' > "$OGC_VENV/pytest.ini"
"$VENV/bin/python" manage.py migrate --noinput -v 0
"$VENV/bin/python" manage.py load_city
PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# As `make run` serves the site (scripts/serve.sh). ogctests gives each request 5 s; a fresh worker needs about as long to
# import the URLconf (pygeoapi, geopandas, ...), which geoportal/wsgi.py does while the worker boots:
# wait until the site answers.
PORT=$PORT WEB_CONCURRENCY=2 VENV=$VENV bash scripts/serve.sh --log-level warning &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 150); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/ogc/" && break
    sleep 0.2
done
[ "$#" -gt 0 ] || set -- features/core
# From its own directory: in the repository pytest would read our pyproject.toml (pytest-django options).
ROOT=$PWD
cd "$OGC_VENV"
"$ROOT/$OGC_VENV/bin/python" -m ogctests "$@" -i "http://127.0.0.1:$PORT/ogc"
